"""The analytics API (mounted at /api/analytics/)."""

from ninja import Router

from rencai.analytics.api import figures

router = Router(tags=["analytics"])
router.add_router("", figures.router)

__all__ = ["router"]
