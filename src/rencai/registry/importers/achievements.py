"""Importing achievements (成果): each row cleaned as in the form (`achievements.clean_achievement`), planned
as created, updated, unchanged or rejected, then written with its holders.

A row is the same achievement as a stored one when it has the same kind and number (the database's unique
constraint); a row without a number is the same as a visible stored one of the same kind, title and date
without a number. So importing a file twice changes nothing.
"""

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from rencai.accounts.models import User
from rencai.core import jobs
from rencai.core.access import visible_to
from rencai.core.errors import ValidationFailed, problem
from rencai.registry.achievements import (
    AchievementContext,
    AchievementInput,
    CleanAchievement,
    achievement_context,
    clean_achievement,
    split_holders,
)
from rencai.registry.importers.columns import RowInput
from rencai.registry.importers.planning import Plan, _accept, _not_yet_said, _reject, _skip
from rencai.registry.models import Achievement, AchievementHolder

FOREIGN = (
    "该编号的成果已在您的权限范围以外登记，不能通过导入修改",
    "An achievement with this number is registered outside your scope; an import cannot change it",
)
COMPARED = ("title", "achieved_on", "amount", "level", "enterprise_id", "region_id")


def _input(values: dict) -> AchievementInput:
    return AchievementInput(
        kind=values.get("kind") or "",
        title=values.get("title") or "",
        achieved_on=values.get("achieved_on"),
        holders=split_holders(values.get("holders") or ""),
        reference=values.get("reference") or "",
        amount=values.get("amount"),
        level=values.get("level") or "",
        enterprise_credit_code=values.get("enterprise_credit_code") or "",
        region_code=values.get("region_code") or "",
    )


def _label(values: dict) -> str:
    return f"{values.get('title') or ''} {values.get('reference') or ''}".strip().replace("\x00", "␀")


def _file_key(clean: CleanAchievement) -> tuple:
    """Two rows of one file are the same achievement: same kind and number, or, without a number, same
    kind, title and date."""
    values = clean.values
    if values["reference"]:
        return values["kind"], values["reference"]
    return values["kind"], "", values["title"], values["achieved_on"]


def plan_achievements(rows: list[RowInput], actor: User) -> Plan:
    """Every row checked on its own, against the file and against what is stored; nothing written."""
    plan = Plan()
    jobs.stage(gettext_noop("逐行校验"), done=0, total=len(rows))
    tokens = {token for row in rows for token in split_holders(row.values.get("holders") or "")}
    context = achievement_context(actor, tokens)
    cleaned = _clean_rows(rows, context, plan)
    stored = _stored(actor, [clean for _, clean in cleaned])
    for row, clean in cleaned:
        _compare(plan, row, clean, stored)
    plan.report.sort(key=lambda entry: entry["row"])  # the report reads in the file's order
    return plan


def _clean_rows(
    rows: list[RowInput], context: AchievementContext, plan: Plan
) -> list[tuple[RowInput, CleanAchievement]]:
    cleaned: list[tuple[RowInput, CleanAchievement]] = []
    first_seen: dict[tuple, int] = {}
    for row in rows:
        jobs.advance()
        if row.example:
            _skip(plan, row)
            continue
        problems = list(row.problems)
        clean = None
        try:
            clean = clean_achievement(_input(row.values), context)
        except ValidationFailed as failure:
            problems.extend(_not_yet_said(failure.details, row))
        if clean is not None and _file_key(clean) in first_seen:
            first = first_seen[_file_key(clean)]
            problems.append(
                problem("duplicate", f"与第 {first} 行的成果重复", f"Same achievement as row {first}")
            )
        if problems or clean is None:
            _reject(plan, row, problems, label=_label(row.values))
            continue
        first_seen[_file_key(clean)] = row.number
        cleaned.append((row, clean))
    return cleaned


def _stored(actor: User, cleaned: list[CleanAchievement]) -> dict[tuple, tuple[Achievement | None, bool]]:
    """The stored achievement each row names, by file key: (achievement, visible to the actor)."""
    found: dict[tuple, tuple[Achievement | None, bool]] = {}
    numbered = [c.values for c in cleaned if c.values["reference"]]
    unnumbered = [c.values for c in cleaned if not c.values["reference"]]
    for start in range(0, len(numbered), 500):
        chunk = numbered[start : start + 500]
        condition = Q(pk__in=[])
        for values in chunk:
            condition |= Q(kind=values["kind"], reference=values["reference"])
        matches = list(Achievement.objects.filter(condition))
        scoped = visible_to(actor, Achievement.objects.filter(pk__in=[a.pk for a in matches]))
        visible = set(scoped.values_list("pk", flat=True))
        for achievement in matches:
            found[(achievement.kind, achievement.reference)] = (achievement, achievement.pk in visible)
    for start in range(0, len(unnumbered), 500):
        titles = {values["title"] for values in unnumbered[start : start + 500]}
        same = visible_to(actor, Achievement.objects.filter(reference="", title__in=titles)).order_by("pk")
        for achievement in same:
            key = (achievement.kind, "", achievement.title, achievement.achieved_on)
            found.setdefault(key, (achievement, True))
    return found


def _compare(plan: Plan, row: RowInput, clean: CleanAchievement, stored: dict) -> None:
    label = _label(clean.values)
    achievement, visible = stored.get(_file_key(clean), (None, False))
    if achievement is None:
        plan.creates.append({"values": clean.values, "holders": clean.holder_ids})
        _accept(plan, row, "created", label)
        return
    if not visible:
        _reject(plan, row, [problem("scope", *FOREIGN)], label=label)
        return
    holders = list(achievement.holders.order_by("rank").values_list("talent_id", flat=True))
    changed = [name for name in COMPARED if getattr(achievement, name) != clean.values[name]]
    if not changed and holders == clean.holder_ids:
        _accept(plan, row, "unchanged", label)
        return
    plan.updates.append(
        {
            "id": achievement.pk,
            "values": clean.values,
            "holders": clean.holder_ids if holders != clean.holder_ids else None,  # None: unchanged
        }
    )
    plan.update_fields.update(changed)
    _accept(plan, row, "updated", label)


def write_achievements(plan: Plan) -> None:
    """The plan's creates and updates, with their holders (inside the import's transaction)."""
    now = timezone.now()
    created = Achievement.objects.bulk_create(Achievement(**entry["values"]) for entry in plan.creates)
    holders = [
        AchievementHolder(achievement_id=achievement.pk, talent_id=talent_id, rank=rank)
        for achievement, entry in zip(created, plan.creates, strict=True)
        for rank, talent_id in enumerate(entry["holders"], start=1)
    ]
    if plan.updates:
        changed = [Achievement(pk=entry["id"], updated_at=now, **entry["values"]) for entry in plan.updates]
        Achievement.objects.bulk_update(changed, [*COMPARED, "updated_at"])
        regrouped = [entry for entry in plan.updates if entry["holders"] is not None]
        AchievementHolder.objects.filter(achievement_id__in=[entry["id"] for entry in regrouped]).delete()
        holders.extend(
            AchievementHolder(achievement_id=entry["id"], talent_id=talent_id, rank=rank)
            for entry in regrouped
            for rank, talent_id in enumerate(entry["holders"], start=1)
        )
    AchievementHolder.objects.bulk_create(holders)
