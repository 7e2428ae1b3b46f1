"""The recruitment API: one router per sub-domain, mounted under /api/recruitment/."""

from ninja import Router

from rencai.recruitment.api import channels, demands, funnel, referrals, rewards

router = Router(tags=["recruitment"])
for part in (demands, channels, referrals, rewards, funnel):
    router.add_router("", part.router)
