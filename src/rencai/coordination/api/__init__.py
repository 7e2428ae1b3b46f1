"""The coordination API (mounted at /api/coordination/)."""

from ninja import Router

router = Router(tags=["coordination"])

__all__ = ["router"]
