"""One-stop services API (placeholder until it lands)."""

from ninja import Router

router = Router(tags=["onestop"])
