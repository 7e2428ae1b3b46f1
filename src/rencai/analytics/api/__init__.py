"""The analytics API (mounted at /api/analytics/)."""

from ninja import Router

router = Router(tags=["analytics"])

__all__ = ["router"]
