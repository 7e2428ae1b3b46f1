"""Every write to policies: drafting, issuing and withdrawing versions. Rules are validated before storing."""

import datetime as dt
from decimal import Decimal
from typing import cast

from django.db import models, transaction
from django.utils import timezone

from rencai.accounts.models import User
from rencai.core import audit, jobs
from rencai.core.access import Action, require, visible_to
from rencai.core.errors import DomainError, ErrorCode, NotFound, ValidationFailed, problem
from rencai.core.models import Job, JobKind, Region
from rencai.core.regions import QUZHOU
from rencai.policies import instalments, ledger
from rencai.policies.engine import RuleError, compile_rule, wording
from rencai.policies.models import (
    BUDGET_HOLDING,
    Entitlement,
    EntitlementStatus,
    Policy,
    PolicyVersion,
    ReservationSource,
    VersionStatus,
)


def check_rule_text(*, actor: User, source: str, expect: str) -> list[dict]:
    """The rule checker of the policy editor: for those who draft policies only (it parses whatever it
    is sent, so it is no endpoint for every logged-in user), and nothing it checks is cached."""
    require(actor, Action.DRAFT_POLICY)
    return rule_problems(source, expect=expect, cache=False) if source.strip() else []


def rule_problems(source: str, *, expect: str, cache: bool = True) -> list[dict]:
    """The problems of a rule as field errors (empty when the rule is valid)."""
    try:
        compile_rule(source, expect=expect, cache=cache)
    except RuleError as error:
        return [
            {
                "field": "eligibility_rule" if expect == "bool" else "amount_rule",
                "line": p.line,
                "column": p.column,
                "code": p.code,
                "message_zh": p.message_zh,
                "message_en": p.message_en,
            }
            for p in error.problems
        ]
    return []


@transaction.atomic
def create_policy(
    *,
    actor: User,
    code: str,
    name: str,
    region: Region,
    kind: str,
    is_proactive: bool = False,
    budget_total: Decimal | None = None,
    budget_per_year: Decimal | None = None,
    exclusivity_group: str = "",
    service_item_code: str = "",
    overrides: Policy | None = None,
    summary: str = "",
    instalment_shares: list[int] | None = None,
) -> Policy:
    require(actor, Action.DRAFT_POLICY, region)
    problems = instalments.share_problems(instalment_shares)
    if Policy.objects.filter(code=code).exists():
        problems.append(problem("code", "政策编号已存在", "Policy code already exists"))
    overrides_above = overrides is None or (
        region.path.startswith(overrides.region.path) and overrides.region_id != region.pk
    )
    if not overrides_above:
        problems.append(
            problem(
                "overrides",
                "只能替代上级区划发布的政策",
                "A policy may only override one issued above its region",
            )
        )
    if problems:
        raise ValidationFailed(problems)
    policy = Policy.objects.create(
        code=code,
        name=name,
        region=region,
        kind=kind,
        is_proactive=is_proactive,
        budget_total=budget_total,
        budget_per_year=budget_per_year,
        exclusivity_group=exclusivity_group,
        service_item_code=service_item_code,
        overrides=overrides,
        summary=summary,
        instalment_shares=list(instalment_shares or []),
    )
    audit.record(actor=actor, action="policy.create", obj=policy, detail={"code": code})
    return policy


def _check_draft_fields(
    effective_from: dt.date,
    effective_to: dt.date | None,
    budget_total: Decimal | None,
    budget_per_year: Decimal | None,
) -> None:
    problems = []
    if effective_to is not None and effective_to < effective_from:
        problems.append(
            problem("effective_to", "失效日期早于生效日期", "The end date is before the start date")
        )
    for field, value in (("budget_total", budget_total), ("budget_per_year", budget_per_year)):
        column = cast(models.DecimalField, PolicyVersion._meta.get_field(field))
        largest = Decimal(10) ** (column.max_digits - column.decimal_places) - Decimal(1).scaleb(
            -column.decimal_places
        )
        if value is None:
            continue
        if not value.is_finite() or value > largest:
            problems.append(
                problem(
                    field,
                    f"预算超出范围，最多为{largest}元",
                    f"The budget is out of range: at most {largest} yuan",
                )
            )
        elif value < 0:
            problems.append(problem(field, "预算不能为负数", "A budget cannot be negative"))
    if problems:
        raise ValidationFailed(problems)


@transaction.atomic
def draft_version(
    *,
    actor: User,
    policy: Policy,
    eligibility_rule: str,
    amount_rule: str,
    effective_from: dt.date,
    effective_to: dt.date | None = None,
    note: str = "",
    budget_total: Decimal | None = None,
    budget_per_year: Decimal | None = None,
) -> PolicyVersion:
    """Save a draft. Drafts may hold invalid rules while being edited, but never get issued that way."""
    require(actor, Action.DRAFT_POLICY, policy)
    _check_draft_fields(effective_from, effective_to, budget_total, budget_per_year)
    number = (policy.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = PolicyVersion.objects.create(
        policy=policy,
        number=number,
        eligibility_rule=eligibility_rule.strip(),
        amount_rule=amount_rule.strip(),
        effective_from=effective_from,
        effective_to=effective_to,
        note=note,
        budget_total=budget_total,
        budget_per_year=budget_per_year,
        created_by=actor,
    )
    audit.record(actor=actor, action="policy.draft", obj=policy, detail={"version": number})
    return version


@transaction.atomic
def update_draft(
    *,
    actor: User,
    version: PolicyVersion,
    eligibility_rule: str,
    amount_rule: str,
    effective_from: dt.date,
    effective_to: dt.date | None = None,
    note: str = "",
    budget_total: Decimal | None = None,
    budget_per_year: Decimal | None = None,
) -> PolicyVersion:
    require(actor, Action.DRAFT_POLICY, version.policy)
    _check_draft_fields(effective_from, effective_to, budget_total, budget_per_year)
    version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != VersionStatus.DRAFT:
        raise DomainError(
            ErrorCode.VERSION_NOT_DRAFT,
            "已发布或已撤回的版本不能修改，请新建版本",
            "Issued or withdrawn versions cannot change; draft a new version",
        )
    before = audit.snapshot(version)
    version.eligibility_rule, version.amount_rule = eligibility_rule.strip(), amount_rule.strip()
    version.effective_from, version.effective_to, version.note = effective_from, effective_to, note
    version.budget_total, version.budget_per_year = budget_total, budget_per_year
    version.save()
    _record_version_change(actor, "policy.draft_update", version, before)
    return version


@transaction.atomic
def issue_version(*, actor: User, version: PolicyVersion) -> PolicyVersion:
    """Issue a draft: its rules must be valid; the version in force before it ends the day before."""
    require(actor, Action.DRAFT_POLICY, version.policy)
    version = PolicyVersion.objects.select_for_update().select_related("policy").get(pk=version.pk)
    if version.status != VersionStatus.DRAFT:
        raise DomainError(ErrorCode.VERSION_NOT_DRAFT, "只有草稿可以发布", "Only a draft can be issued")
    problems = rule_problems(version.eligibility_rule, expect="bool") + rule_problems(
        version.amount_rule, expect="number"
    )
    if problems:
        raise ValidationFailed(problems, "规则有误，不能发布", "The rules are invalid and cannot be issued")
    issued = version.policy.versions.select_for_update().filter(status=VersionStatus.ISSUED)
    for previous in issued:
        if previous.effective_from >= version.effective_from:
            raise DomainError(
                ErrorCode.VERSION_OVERLAP,
                f"第{previous.number}版自{previous.effective_from}起生效，新版本须晚于它",
                f"Version {previous.number} starts {previous.effective_from}; a new version must start later",
            )
        if previous.effective_to is None or previous.effective_to >= version.effective_from:
            previous_before = audit.snapshot(previous)
            previous.effective_to = version.effective_from - dt.timedelta(days=1)
            previous.save(update_fields=["effective_to"])
            _record_version_change(actor, "policy.version_end", previous, previous_before)
    before = audit.snapshot(version)
    version.status, version.issued_by, version.issued_at = VersionStatus.ISSUED, actor, timezone.now()
    version.save(update_fields=["status", "issued_by", "issued_at"])
    _adopt_proposed_budget(actor, version)
    _record_version_change(actor, "policy.issue", version, before, {"effective_from": version.effective_from})
    return version


def _adopt_proposed_budget(actor: User, version: PolicyVersion) -> None:
    """A draft's proposed budget becomes the policy's budget when the draft is issued."""
    policy = version.policy
    before = audit.snapshot(policy)
    changed = []
    for field in ("budget_total", "budget_per_year"):
        proposed = getattr(version, field)
        if proposed is not None and proposed != getattr(policy, field):
            setattr(policy, field, proposed)
            changed.append(field)
    if changed:
        policy.save(update_fields=changed)
        audit.record_change(
            actor=actor,
            action="policy.budget_adopt",
            obj=policy,
            before=before,
            detail={"version": version.number},
        )


def _record_version_change(
    actor: User, action: str, version: PolicyVersion, before: dict, detail: dict | None = None
) -> None:
    detail = {"version": version.number, **(detail or {})}
    audit.record_change(actor=actor, action=action, obj=version, before=before, detail=detail)


@transaction.atomic
def withdraw_version(*, actor: User, version: PolicyVersion, reason: str) -> PolicyVersion:
    require(actor, Action.DRAFT_POLICY, version.policy)
    version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != VersionStatus.ISSUED:
        raise DomainError(
            ErrorCode.VERSION_NOT_ISSUED,
            "只有已发布的版本可以撤回",
            "Only an issued version can be withdrawn",
        )
    if not reason.strip():
        raise ValidationFailed([problem("reason", "请填写撤回理由", "Give a reason")])
    before = audit.snapshot(version)
    version.status = VersionStatus.WITHDRAWN
    version.save(update_fields=["status"])
    _record_version_change(actor, "policy.withdraw", version, before, {"reason": reason})
    return version


def get_version_for_edit(actor: User, version_id: int) -> PolicyVersion:
    version = (
        visible_to(actor, PolicyVersion.objects.select_related("policy", "policy__region"))
        .filter(pk=version_id)
        .first()
    )
    if version is None:
        raise NotFound()
    return version


# -- offers and match runs -----------------------------------------------------------------------


def _own_entitlement(actor, entitlement: Entitlement) -> Entitlement:
    """The actor's own entitlement, locked; another person's is NotFound (never answer for someone)."""
    locked = (
        Entitlement.objects.select_for_update()
        .select_related("talent__region", "policy")
        .filter(pk=entitlement.pk, talent__account=actor)
        .first()
    )
    if locked is None or not getattr(actor, "pk", None):
        raise NotFound()
    return locked


def _own_offer(actor, entitlement: Entitlement, *, unpaid_grant: bool = False) -> Entitlement:
    locked = _own_entitlement(actor, entitlement)
    answerable = {EntitlementStatus.OFFERED, *([EntitlementStatus.GRANTED] if unpaid_grant else [])}
    if locked.status not in answerable:
        raise DomainError(
            ErrorCode.ENTITLEMENT_NOT_OFFERED,
            "只有待确认的政策红利可以确认或放弃",
            "Only an open offer can be answered",
        )
    return locked


@transaction.atomic
def confirm_offer(*, actor: User, entitlement: Entitlement) -> Entitlement:
    """The talent accepts an offer: its amount was reserved when offered, so confirming never overspends."""
    entitlement = _own_offer(actor, entitlement)
    before = audit.snapshot(entitlement)
    entitlement.status = EntitlementStatus.GRANTED
    entitlement.save(update_fields=["status", "updated_at"])
    audit.record_change(
        actor=actor,
        action="policy.offer_confirm",
        obj=entitlement,
        before=before,
        detail={"policy": entitlement.policy.code, "amount": entitlement.amount},
    )
    instalments.schedule(entitlement, actor=actor)  # a staged benefit: its yearly instalments
    return entitlement


@transaction.atomic
def decline_offer(*, actor: User, entitlement: Entitlement, unpaid_grant: bool = False) -> Entitlement:
    """The talent declines: the reserved amount returns to the budget for the next run's queue.

    `unpaid_grant`: the one-stop services decline a granted entitlement whose application was still an
    unconfirmed offer (nothing was paid); only they know that, so only they pass it.
    """
    entitlement = _own_offer(actor, entitlement, unpaid_grant=unpaid_grant)
    before = audit.snapshot(entitlement)
    entitlement.status = EntitlementStatus.DECLINED
    entitlement.save(update_fields=["status", "updated_at"])
    instalments.cancel_scheduled(entitlement, actor=actor, reason="declined")
    ledger.release(policy_id=entitlement.policy_id, talent_id=entitlement.talent_id)
    audit.record_change(
        actor=actor,
        action="policy.offer_decline",
        obj=entitlement,
        before=before,
        detail={"policy": entitlement.policy.code},
    )
    return entitlement


@transaction.atomic
def revoke_refused(*, actor: User | None, entitlement_id: int, reason: str) -> Entitlement | None:
    """A department refused the application that would have paid this entitlement: it is revoked and its
    money returns to the budget (otherwise a refused benefit would read 已兑现 and hold its amount for ever).

    Called only by the one-stop state machine, inside the refusal it has already authorised (the deciding
    department's step); it is the consequence of that decision, not a right of its own.
    """
    entitlement = Entitlement.objects.select_for_update().filter(pk=entitlement_id).first()
    if entitlement is None or entitlement.status not in BUDGET_HOLDING:
        return entitlement
    before = audit.snapshot(entitlement)
    entitlement.status = EntitlementStatus.REVOKED
    entitlement.save(update_fields=["status", "updated_at"])
    instalments.cancel_scheduled(entitlement, actor=actor, reason="revoked")
    ledger.release(policy_id=entitlement.policy_id, talent_id=entitlement.talent_id)
    audit.record_change(
        actor=actor,
        action="policy.entitlement_revoke",
        obj=entitlement,
        before=before,
        detail={"policy": entitlement.policy.code, "reason": reason},
    )
    return entitlement


@transaction.atomic
def flag_for_review(*, actor: User | None, talent_id: int, reason: str) -> int:
    """A fact the talent's benefits may rest on was withdrawn (an evaluation result revoked): each live
    entitlement (offered or granted) the talent no longer qualifies for under the version in force today
    where they live is flagged for review (待复核), as a match run flags those no longer eligible: never
    silently revoked, its money still held until an officer decides. Returns how many were flagged.

    Called by the service that withdrew the fact, inside the decision it has already authorised; it is the
    consequence of that decision, not a right of its own."""
    from rencai.policies.benefits import explain_version, version_for
    from rencai.registry.models import Talent

    talent = Talent.objects.select_related("region").get(pk=talent_id)
    day = timezone.localdate()
    live = (
        Entitlement.objects.select_for_update()
        .select_related("policy")
        .filter(talent_id=talent_id, status__in=[EntitlementStatus.OFFERED, EntitlementStatus.GRANTED])
        .order_by("pk")
    )
    flagged = 0
    for entitlement in live:
        version = version_for(talent, entitlement.policy, day)
        if version is not None and explain_version(talent, version, day).eligible:
            continue
        before = audit.snapshot(entitlement)
        entitlement.status = EntitlementStatus.FLAGGED
        entitlement.save(update_fields=["status", "updated_at"])
        audit.record_change(
            actor=actor,
            action="policy.entitlement_flag",
            obj=entitlement,
            before=before,
            detail={"policy": entitlement.policy.code, "reason": reason},
        )
        flagged += 1
    return flagged


@transaction.atomic
def reclaim_offer(*, actor: User, entitlement: Entitlement, day: dt.date | None = None) -> Entitlement:
    """Undo a decline: the benefit is offered again, at today's rule and amount, while its policy is in
    force where the talent lives, the talent still qualifies and the budget covers it. Whoever waits in
    the policy's budget queue comes first (nobody jumps the queue), so a queue refuses the reclaim."""
    from rencai.policies.benefits import explain_version, feature_row, version_for
    from rencai.policies.features import features_hash

    entitlement = _own_entitlement(actor, entitlement)
    if entitlement.status != EntitlementStatus.DECLINED:
        raise DomainError(
            ErrorCode.ENTITLEMENT_NOT_OFFERED,
            "只有已放弃的政策红利可以恢复领取",
            "Only a declined benefit can be claimed again",
        )
    day = day or timezone.localdate()
    talent, policy = entitlement.talent, entitlement.policy
    version = version_for(talent, policy, day)
    if version is None:
        raise DomainError(
            ErrorCode.INELIGIBLE,
            f"“{policy.name}”已不在有效期内，不能恢复领取",
            f"{policy.code} is no longer in force, so it cannot be claimed again",
        )
    explanation = explain_version(talent, version, day)
    if not explanation.eligible:
        tree = explanation.as_dict(wording.SECOND)["tree"]
        needs_zh, needs_en = (wording.needs(tree, lang, wording.SECOND) for lang in ("zh", "en"))
        raise DomainError(
            ErrorCode.INELIGIBLE,
            "您已不再符合条件，不能恢复领取。" + "；".join(needs_zh) + ("。" if needs_zh else ""),
            "You no longer qualify, so it cannot be claimed again."
            + "".join(f" {need}." for need in needs_en),
        )
    ledger.lock_policies([policy.pk], day.year)  # the queue and the budget stay as read until commit
    if Entitlement.objects.filter(policy=policy, status=EntitlementStatus.QUEUED).exists():
        raise DomainError(
            ErrorCode.BUDGET_EXHAUSTED,
            f"“{policy.name}”已有人才在预算排队，预算先按排队顺序兑现，暂不能恢复领取",
            f"Talents are queued for the budget of {policy.code}; they are paid first, so it cannot be "
            "claimed again now",
        )
    amount = Decimal(0)
    if explanation.amount is not None:
        amount = Decimal(str(explanation.amount.amount)).quantize(Decimal("0.01"))
    ledger.reserve(  # BudgetExhausted when the budget cannot cover it, AlreadyPaid when paid elsewhere
        policy_id=policy.pk,
        talent_id=talent.pk,
        amount=amount,
        year=day.year,
        source=ReservationSource.ENTITLEMENT,
        reference=f"entitlement:{entitlement.pk}",
    )
    before = audit.snapshot(entitlement)
    entitlement.status, entitlement.amount = EntitlementStatus.OFFERED, amount
    entitlement.policy_version, entitlement.evaluation_date, entitlement.budget_year = version, day, day.year
    entitlement.queue_position = None
    entitlement.features_hash = features_hash(feature_row(talent, day))
    entitlement.save()
    audit.record_change(
        actor=actor,
        action="policy.offer_reclaim",
        obj=entitlement,
        before=before,
        detail={"policy": policy.code, "amount": amount, "version": version.number},
    )
    return entitlement


def prepare_frame(*, actor: User, day: dt.date, next_page: str) -> tuple[Job, bool]:
    """A simulation met a cold feature frame (none built today, no snapshot): build it as a job the officer
    follows (`core.jobs`), one per day and region, instead of inside the request; its end links back to
    `next_page`. Officers of one county share it (a second click, a colleague: the same job)."""
    from rencai.policies.tasks import prepare_frame_task

    region = actor.region or Region.objects.get(code=QUZHOU)
    return jobs.start_job(
        owner=actor,
        kind=JobKind.SIMULATE,
        scope=f"frame:{day.isoformat()}:{region.code}",
        region=region,
        right=Action.DRAFT_POLICY,
        task=prepare_frame_task,
        task_kwargs={"evaluation_date": day.isoformat(), "next_page": next_page},
    )


def start_match_run(*, actor: User) -> tuple[Job, bool]:
    """Start a matching run as a job (`core.jobs`) followed on the policy list, or hand back the run already
    queued or running (created False): a second click or a second officer never starts a second run. With
    the immediate task backend the job has ended when this returns."""
    from rencai.policies.tasks import match_task

    # Only the city (which leads talent work for every county) starts a run over the whole registry:
    # start_job requires START_MATCHING
    job, created = jobs.start_job(
        owner=actor,
        kind=JobKind.MATCH,
        scope="",
        region=Region.objects.get(code=QUZHOU),
        right=Action.START_MATCHING,
        task=match_task,
        task_kwargs={"actor_id": actor.pk},
    )
    if created:
        audit.record(actor=actor, action="policy.match_request", obj=job)
    return job, created
