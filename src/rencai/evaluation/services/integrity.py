"""Integrity first (品德/诚信): recorded findings, and the lookup that vetoes a talent's evaluation.

A finding is in force from the day it was found (`found_on`) up to the day before `expires_on` (失效日期:
the first day it no longer counts); without `expires_on` it is in force for good. Other parts of the
evaluation ask `finding_in_force` (or `findings_in_force` for many talents) and refuse with INTEGRITY_VETO.
"""

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from rencai.accounts.models import User
from rencai.core import audit
from rencai.core.access import Action, require
from rencai.core.errors import ValidationFailed, problem
from rencai.evaluation.models import IntegrityFinding
from rencai.registry.models import Talent

SOURCE_MAX = IntegrityFinding._meta.get_field("source").max_length or 200
DESCRIPTION_MAX = 4000


def _finding_problems(found_on: dt.date, source: str, description: str, expires_on: dt.date | None) -> list:
    problems = []
    if found_on > timezone.localdate():
        problems.append(problem("found_on", "认定日期不能晚于今天", "The date found cannot be in the future"))
    if not source.strip():
        problems.append(problem("source", "请填写认定机关", "Give the authority that made the finding"))
    elif len(source) > SOURCE_MAX:
        problems.append(
            problem("source", f"认定机关不能超过{SOURCE_MAX}个字符", f"At most {SOURCE_MAX} characters")
        )
    if not description.strip():
        problems.append(problem("description", "请填写认定的事实", "Describe the facts found"))
    elif len(description) > DESCRIPTION_MAX:
        problems.append(
            problem(
                "description", f"事实不能超过{DESCRIPTION_MAX}个字符", f"At most {DESCRIPTION_MAX} characters"
            )
        )
    if expires_on is not None and expires_on <= found_on:
        problems.append(
            problem("expires_on", "失效日期须晚于认定日期", "The expiry date must be after the date found")
        )
    return problems


@transaction.atomic
def finding_record(
    *,
    actor: User,
    talent: Talent,
    found_on: dt.date,
    source: str,
    description: str,
    expires_on: dt.date | None = None,
) -> IntegrityFinding:
    """Record an integrity finding about a talent: by an organization officer whose region covers the
    talent (MANAGE_EVALUATION on the talent, checked against the talent's region)."""
    require(actor, Action.MANAGE_EVALUATION, talent)
    problems = _finding_problems(found_on, source, description, expires_on)
    if problems:
        raise ValidationFailed(problems)
    finding = IntegrityFinding.objects.create(
        talent=talent,
        found_on=found_on,
        source=source.strip(),
        description=description.strip(),
        expires_on=expires_on,
        recorded_by=actor,
    )
    audit.record_creation(actor=actor, action="evaluation.integrity.record", obj=finding)
    return finding


def _in_force_on(on: dt.date) -> Q:
    return Q(found_on__lte=on) & (Q(expires_on__isnull=True) | Q(expires_on__gt=on))


def finding_in_force(talent: Talent, on: dt.date) -> IntegrityFinding | None:
    """The talent's finding in force on `on` (the latest found), or None: a finding vetoes the evaluation."""
    return (
        IntegrityFinding.objects.filter(_in_force_on(on), talent=talent).order_by("-found_on", "-pk").first()
    )


def findings_in_force(talent_ids: Iterable[int], on: dt.date) -> dict[int, IntegrityFinding]:
    """talent id -> its latest finding in force on `on`, for many talents in one query (a whole round)."""
    found: dict[int, IntegrityFinding] = {}
    queryset: QuerySet[IntegrityFinding] = IntegrityFinding.objects.filter(
        _in_force_on(on), talent_id__in=list(talent_ids)
    ).order_by("talent_id", "-found_on", "-pk")
    for finding in queryset:
        found.setdefault(finding.talent_id, finding)
    return found
