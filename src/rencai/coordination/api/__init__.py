"""The coordination API (mounted at /api/coordination/)."""

from ninja import Router

from rencai.coordination.api import consultation, targets, worklists

router = Router(tags=["coordination"])
router.add_router("", targets.router)
router.add_router("", worklists.router)
router.add_router("", consultation.router)

__all__ = ["router"]
