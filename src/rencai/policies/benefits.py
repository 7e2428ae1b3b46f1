"""Which benefits a talent is eligible for, and why: every policy in force, explained clause by clause."""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from rencai.policies.compiled import compiled_pair
from rencai.policies.engine import Explanation, explain
from rencai.policies.features import build_feature_frame
from rencai.policies.models import Entitlement, PolicyVersion
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
