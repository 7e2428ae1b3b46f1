"""Registry API (placeholder until the API lands)."""

from ninja import Router

router = Router(tags=["registry"])
