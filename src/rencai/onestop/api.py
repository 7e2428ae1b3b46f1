"""One-stop services API (placeholder until it lands)."""

from ninja import Router

router = Router(tags=["onestop"])

from rencai.onestop.verification import router as verification_router  # noqa: E402

router.add_router("", verification_router)  # /api/cards/verify, /api/cards/public-key (H6)
