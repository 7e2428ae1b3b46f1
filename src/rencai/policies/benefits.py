"""Which benefits a talent is eligible for, and why: every policy in force, explained clause by clause;
and the route (registered by the one-stop services) that tells and pays each benefit as one story."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from rencai.policies.compiled import compiled_pair
from rencai.policies.engine import Explanation, explain
from rencai.policies.features import build_feature_frame
from rencai.policies.models import Entitlement, Policy, PolicyVersion
from rencai.policies.selectors import versions_in_force
from rencai.registry.models import Talent


@dataclass(frozen=True)
class BenefitLine:
    version: PolicyVersion
    explanation: Explanation
    entitlement: Entitlement | None

    @property
    def eligible(self) -> bool:
        return self.explanation.eligible

    @property
    def amount(self):
        return self.explanation.amount.amount if self.explanation.eligible and self.explanation.amount else 0


def feature_row(talent: Talent, day: dt.date) -> dict:
    """One talent's features (departed talents included: they may ask why a benefit stopped)."""
    frame = build_feature_frame(day, talent_ids=[talent.pk], active_only=False)
    return frame.row(0, named=True)


def explain_version(talent: Talent, version: PolicyVersion, day: dt.date | None = None) -> Explanation:
    day = day or timezone.localdate()
    rule, amount = compiled_pair(version)
    return explain(rule, feature_row(talent, day), amount)


def benefits_of(talent: Talent, day: dt.date | None = None) -> list[BenefitLine]:
    """Every policy version in force where the talent lives, eligible ones first."""
    day = day or timezone.localdate()
    row = feature_row(talent, day)
    entitlements = {
        e.policy_id: e for e in Entitlement.objects.filter(talent=talent).select_related("policy")
    }
    lines = []
    for item in versions_in_force(day, region=talent.region):
        rule, amount = compiled_pair(item.version)
        lines.append(
            BenefitLine(item.version, explain(rule, row, amount), entitlements.get(item.version.policy_id))
        )
    lines.sort(key=lambda line: (not line.eligible, line.version.policy.code))
    return lines


def version_for(talent: Talent, policy: Policy, day: dt.date) -> PolicyVersion | None:
    """The version of `policy` in force on `day` where the talent lives (None: none, or overridden there)."""
    return next(
        (
            item.version
            for item in versions_in_force(day, region=talent.region)
            if item.version.policy_id == policy.pk and talent.region.code in item.region_codes
        ),
        None,
    )


# -- how benefits are paid: one story per benefit, one service per answer -----------------------------------


@dataclass(frozen=True)
class PaymentRoute:
    """How entitlements are paid beyond the engine. The one-stop services pay them through applications
    and register their route when the app is ready (policies may not import onestop), so that the
    talent's two pages read one story per benefit and answer through the same services.

    - `stories(user, talent, explanations=...)`: one story per benefit, each with `policy_id`, `name`,
      `state` and what the talent can do next; `explanations` maps policy ids to their Explanation;
    - `groups(stories)`: the page's sections (`key`, `title`, `stories`), the same on every page;
    - `confirm(actor=, entitlement=, form_data=)`, `decline(actor=, entitlement=)`,
      `reclaim(actor=, entitlement=)`: the answers, entitlement and application moved together;
    - `item_name(code)`: the name of the service item that pays a policy (`Policy.service_item_code`).
    """

    stories: Callable[..., list[Any]]
    groups: Callable[[list[Any]], list[Any]]
    confirm: Callable[..., object]
    decline: Callable[..., object]
    reclaim: Callable[..., object]
    item_name: Callable[[str], str | None] = lambda code: None


_ROUTE: list[PaymentRoute] = []


def register_payment_route(route: PaymentRoute) -> None:
    """Called from the one-stop app's `ready()`; a second registration replaces the first."""
    _ROUTE[:] = [route]


def payment_route() -> PaymentRoute:
    if not _ROUTE:
        raise RuntimeError("No payment route: the one-stop services register theirs in their AppConfig")
    return _ROUTE[0]
