"""Writes of the consultation on policy drafts (征求意见): the drafter opens a round on a draft version with a
deadline and the parties invited, invited parties comment, the drafter answers every comment, and only then
closes the round; another round may follow on the same draft (反复征求意见).

Rights: DRAFT_POLICY on the policy for the drafter's steps; COMMENT_ON_DRAFT on the round for comments
(officers who see the draft; an enterprise only when invited, otherwise the round is "not found").
The daily sweep (`consultation_sweep`, registered in the app's `ready`) reminds the parties that have not
commented, once, two working days before the deadline.
"""

import datetime as dt
import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Max, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rencai.accounts.models import User
from rencai.coordination.models import (
    AnswerOutcome,
    Comment,
    Consultation,
    ConsultationState,
    Invitation,
    PartyKind,
)
from rencai.core import audit
from rencai.core.access import Action, holders, region_subtree_ids, require
from rencai.core.calendar import add_working_days_or_estimate
from rencai.core.errors import DomainError, ErrorCode, ValidationFailed, problem
from rencai.core.models import Region
from rencai.core.notifications import notify
from rencai.policies.models import PolicyVersion, VersionStatus
from rencai.registry.models import Department, Enterprise

logger = logging.getLogger(__name__)

MAX_TEXT = 4000
MAX_CLAUSE = 100
REMIND_WORKING_DAYS = (
    2  # parties that have not commented are reminded this many working days before the deadline
)
KIND_REMINDER = "coordination.consultation_reminder"

# The parts of a draft a consultation compares: (key, label); the snapshot holds them as text.
DRAFT_FIELDS = (
    ("name", _("政策名称")),
    ("summary", _("政策摘要")),
    ("eligibility_rule", _("资格规则")),
    ("amount_rule", _("金额规则")),
    ("effective_from", _("生效日期")),
    ("effective_to", _("失效日期")),
    ("budget_total", _("拟定总预算（元）")),
    ("budget_per_year", _("拟定年度预算（元）")),
    ("note", _("修订说明")),
)


def version_snapshot(version: PolicyVersion) -> dict[str, str]:
    """The draft's title, body, rules, dates and money as text (what the parties read and comment on)."""
    policy = version.policy
    values = {
        "name": policy.name,
        "summary": policy.summary,
        "eligibility_rule": version.eligibility_rule,
        "amount_rule": version.amount_rule,
        "effective_from": version.effective_from,
        "effective_to": version.effective_to,
        "budget_total": version.budget_total,
        "budget_per_year": version.budget_per_year,
        "note": version.note,
    }
    return {key: "" if value is None else str(value) for key, value in values.items()}


def _policy_region_ids(version: PolicyVersion) -> set[int]:
    return set(region_subtree_ids(version.policy.region_id))


def _invitation_problems(
    version: PolicyVersion,
    departments: Iterable[Department],
    regions: Iterable[Region],
    enterprises: Iterable[Enterprise],
) -> list:
    """Parties must be within the policy's region (a county's draft is not sent to another county)."""
    inside = _policy_region_ids(version)
    outside = [str(d) for d in departments if d.region_id not in inside]
    outside += [r.name for r in regions if r.pk not in inside]
    outside += [e.name for e in enterprises if e.region_id not in inside]
    if not outside:
        return []
    names = "、".join(outside)
    return [
        problem(
            "invitations",
            f"只能邀请本政策适用地区内的单位：{names}",
            f"Only parties within the policy's region may be invited: {names}",
        )
    ]


@transaction.atomic
def consultation_open(
    *,
    actor: User,
    version: PolicyVersion,
    deadline: dt.date,
    departments: Iterable[Department] = (),
    regions: Iterable[Region] = (),
    enterprises: Iterable[Enterprise] = (),
    instructions: str = "",
    today: dt.date | None = None,
) -> Consultation:
    """Open a round on a draft: the draft as it is now is kept, the parties invited are told."""
    require(actor, Action.DRAFT_POLICY, version.policy)
    today = today or timezone.localdate()
    departments, regions, enterprises = list(departments), list(regions), list(enterprises)
    version = PolicyVersion.objects.select_for_update().select_related("policy").get(pk=version.pk)
    if version.status != VersionStatus.DRAFT:
        raise DomainError(
            ErrorCode.VERSION_NOT_DRAFT, "只能对草稿征求意见", "Only a draft can be put out for consultation"
        )
    rounds = Consultation.objects.filter(version=version)
    if rounds.filter(state=ConsultationState.OPEN).exists():
        raise DomainError(
            ErrorCode.ILLEGAL_TRANSITION,
            "上一轮征求意见尚未结束，请先答复意见并结束该轮",
            "The previous round is still open: answer its comments and close it first",
        )
    problems = _invitation_problems(version, departments, regions, enterprises)
    if deadline < today:
        problems.append(problem("deadline", "截止日期不能早于今天", "The deadline cannot be before today"))
    if not (departments or regions or enterprises):
        problems.append(problem("invitations", "请至少邀请一个单位", "Invite at least one party"))
    if problems:
        raise ValidationFailed(problems)
    consultation = Consultation.objects.create(
        version=version,
        region_id=version.policy.region_id,
        round_number=(rounds.aggregate(n=Max("round_number"))["n"] or 0) + 1,
        opened_on=today,
        deadline=deadline,
        instructions=(instructions or "").strip()[:MAX_TEXT],
        snapshot=version_snapshot(version),
        opened_by=actor,
    )
    Invitation.objects.bulk_create(
        [Invitation(consultation=consultation, kind=PartyKind.DEPARTMENT, department=d) for d in departments]
        + [Invitation(consultation=consultation, kind=PartyKind.REGION, party_region=r) for r in regions]
        + [
            Invitation(consultation=consultation, kind=PartyKind.ENTERPRISE, enterprise=e)
            for e in enterprises
        ],
        ignore_conflicts=False,
    )
    audit.record_creation(
        actor=actor,
        action="coordination.consultation.open",
        obj=consultation,
        detail={
            "departments": sorted(d.pk for d in departments),
            "regions": sorted(r.pk for r in regions),
            "enterprises": sorted(e.pk for e in enterprises),
        },
    )
    _tell_invited(consultation, departments, regions, enterprises)
    return consultation


def party_users(invitation: Invitation) -> QuerySet[User]:
    """The accounts that speak for an invited party: a department's officers, a county's organization
    officers, an enterprise's accounts (inactive ones included: the sweep asks whether one commented)."""
    users = User.objects.filter(holders(Action.COMMENT_ON_DRAFT))
    if invitation.kind == PartyKind.DEPARTMENT:
        return users.filter(department=invitation.department)
    if invitation.kind == PartyKind.REGION:
        return users.filter(holders(Action.DRAFT_POLICY), region=invitation.party_region)
    return users.filter(enterprise=invitation.enterprise)


def _link(consultation: Consultation) -> str:
    return reverse("coordination:consultation_detail", args=[consultation.pk])


def _tell_invited(consultation: Consultation, departments, regions, enterprises) -> None:
    users = User.objects.filter(holders(Action.COMMENT_ON_DRAFT), is_active=True)
    invited = (
        list(users.filter(department__in=departments))
        + list(users.filter(holders(Action.DRAFT_POLICY), region__in=regions))
        + list(users.filter(enterprise__in=enterprises))
    )
    name = consultation.snapshot.get("name", "")
    link = _link(consultation)
    for user in {u.pk: u for u in invited}.values():
        notify(
            recipient=user,
            subject=f"征求意见：{name}",
            body=f"《{name}》（第{consultation.round_number}轮）正在征求意见，"
            f"请于 {consultation.deadline:%Y年%m月%d日} 前提出意见。",
            link=link,
            kind="coordination.consultation",
        )


def party_of(user: User) -> str:
    """How a comment is signed: the enterprise, the department, or the region of the officer."""
    if user.enterprise_id:
        return str(user.enterprise)
    if user.department_id:
        return str(user.department)
    if user.region is not None:
        return user.region.name
    return user.get_username()


@transaction.atomic
def comment_add(
    *, actor: User, consultation: Consultation, body: str, clause: str = "", today: dt.date | None = None
) -> Comment:
    """A comment on the round's draft, optionally on one clause or field, before the deadline."""
    require(actor, Action.COMMENT_ON_DRAFT, consultation)
    today = today or timezone.localdate()
    consultation = Consultation.objects.select_for_update().select_related("version").get(pk=consultation.pk)
    # a draft issued while the round was open takes no more comments
    if consultation.state != ConsultationState.OPEN or consultation.version.status != VersionStatus.DRAFT:
        raise DomainError(ErrorCode.CONSULTATION_CLOSED, "本轮征求意见已结束", "This round is closed")
    if today > consultation.deadline:
        raise DomainError(
            ErrorCode.DEADLINE_PASSED, "已过征求意见截止日期", "The deadline for comments has passed"
        )
    if not (body or "").strip():
        raise ValidationFailed([problem("body", "请填写意见内容", "Write the comment")])
    comment = Comment.objects.create(
        consultation=consultation,
        author=actor,
        party=party_of(actor)[:200],
        clause=(clause or "").strip()[:MAX_CLAUSE],
        body=body.strip()[:MAX_TEXT],
    )
    audit.record_creation(actor=actor, action="coordination.comment.create", obj=comment)
    return comment


@transaction.atomic
def comment_answer(*, actor: User, comment: Comment, outcome: str, reason: str = "") -> Comment:
    """The drafter's answer: adopted, partly adopted (with the reason) or not adopted (with the reason)."""
    consultation = comment.consultation
    require(actor, Action.DRAFT_POLICY, consultation.version.policy)
    comment = Comment.objects.select_for_update().select_related("consultation").get(pk=comment.pk)
    if comment.consultation.state != ConsultationState.OPEN:
        raise DomainError(ErrorCode.CONSULTATION_CLOSED, "本轮征求意见已结束", "This round is closed")
    problems = []
    if outcome not in AnswerOutcome.values:
        problems.append(problem("outcome", "请选择采纳情况", "Choose whether it is adopted"))
    elif outcome != AnswerOutcome.ADOPTED and not (reason or "").strip():
        problems.append(
            problem("reason", "部分采纳或未采纳的，请说明理由", "Give the reason when not (fully) adopted")
        )
    if problems:
        raise ValidationFailed(problems)
    before = audit.snapshot(comment)
    comment.outcome, comment.reason = outcome, (reason or "").strip()[:MAX_TEXT]
    comment.answered_by, comment.answered_at = actor, timezone.now()
    comment.save()
    audit.record_change(actor=actor, action="coordination.comment.answer", obj=comment, before=before)
    return comment


@transaction.atomic
def consultation_close(*, actor: User, consultation: Consultation) -> Consultation:
    """Close a round: every comment must have its answer first."""
    require(actor, Action.DRAFT_POLICY, consultation.version.policy)
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if consultation.state != ConsultationState.OPEN:
        raise DomainError(ErrorCode.CONSULTATION_CLOSED, "本轮征求意见已结束", "This round is closed")
    unanswered = consultation.comments.filter(outcome="").count()
    if unanswered:
        raise DomainError(
            ErrorCode.COMMENTS_UNANSWERED,
            f"尚有 {unanswered} 条意见未答复，答复全部意见后才能结束",
            f"{unanswered} comment(s) have no answer yet: answer every comment before closing",
        )
    before = audit.snapshot(consultation)
    consultation.state, consultation.closed_at = ConsultationState.CLOSED, timezone.now()
    consultation.save(update_fields=["state", "closed_at"])
    audit.record_change(
        actor=actor, action="coordination.consultation.close", obj=consultation, before=before
    )
    return consultation


# -- the daily sweep ----------------------------------------------------------------------------------------


def consultation_sweep(today: dt.date) -> dict:
    """One day's sweep: each invited party that has not commented on an open round is reminded, once, when
    the deadline is two working days away or nearer (a sweep missed on that day reminds on the next, up to
    the deadline). Idempotent: the invitation is marked by a conditional UPDATE under a row lock, so a
    rerun, or a second sweep at the same moment, sends nothing twice."""
    soon = add_working_days_or_estimate(today, REMIND_WORKING_DAYS)
    if not soon.exact:
        logger.warning("consultation sweep on %s: calendar lacks %s", today, soon.assumed_years)
    report = {"reminded": 0, "already_commented": 0, "told": 0}
    with transaction.atomic():
        due = (
            Invitation.objects.filter(
                reminded_on__isnull=True,
                consultation__state=ConsultationState.OPEN,
                consultation__version__status=VersionStatus.DRAFT,
                consultation__deadline__gte=today,
                consultation__deadline__lte=soon.day,
            )
            .select_for_update(of=("self",))
            .select_related("consultation", "department", "party_region", "enterprise")
            .order_by("pk")
        )
        for invitation in due:
            consultation = invitation.consultation
            speakers = party_users(invitation)
            if consultation.comments.filter(author__in=speakers).exists():
                report["already_commented"] += 1
                continue
            if not Invitation.objects.filter(pk=invitation.pk, reminded_on__isnull=True).update(
                reminded_on=today
            ):
                continue
            report["reminded"] += 1
            name = consultation.snapshot.get("name", "")
            for user in speakers.filter(is_active=True).order_by("pk"):
                notify(
                    recipient=user,
                    subject=f"征求意见即将截止：{name}",
                    body=f"《{name}》（第{consultation.round_number}轮）征求意见将于"
                    f" {consultation.deadline:%Y年%m月%d日} 截止，{invitation}尚未提出意见，请抓紧反馈。",
                    link=_link(consultation),
                    kind=KIND_REMINDER,
                )
                report["told"] += 1
        audit.record(
            actor=None, action="coordination.consultation_sweep", object_type="coordination", detail=report
        )
    return report
