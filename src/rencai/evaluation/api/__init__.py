"""The evaluation API: one router per sub-domain, mounted under /api/evaluation/."""

from ninja import Router

from rencai.evaluation.api import cases, cto, panels, schemes

router = Router(tags=["evaluation"])
for part in (schemes, cases, panels, cto):
    router.add_router("", part.router)
