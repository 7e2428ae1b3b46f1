"""Public notice (公示) of a round's results, objections by real name, and the decision that makes a result
final only when the period is over and every objection on the case is settled.

The period: a notice published on day D runs for `days` working days after D (core.calendar); objections
are taken from D up to and including its last day, `ends_on`; a case is decided from the day after.
"""

import datetime as dt
import re
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from rencai.accounts.models import User
from rencai.core import audit
from rencai.core.access import Action, require
from rencai.core.calendar import add_working_days, add_working_days_or_estimate
from rencai.core.errors import DomainError, ErrorCode, NotFound, Problem, ValidationFailed, problem
from rencai.core.pii import id_number_index, seal_id_number, seal_phone
from rencai.core.validators import InvalidValue, is_valid_id_number, normalize_id_number, validate_phone
from rencai.evaluation.choices import CaseResult, CaseState, NoticeState, ObjectionPoint, ObjectionState
from rencai.evaluation.models import Case, Objection, PublicNotice, Round, Scheme
from rencai.evaluation.services import outcomes
from rencai.evaluation.services.cases import (
    _not_recognized,
    _veto,
    applicant_users,
    case_link,
    officers_for,
    tell,
    veto_comment,
)
from rencai.evaluation.services.rounds import round_advance
from rencai.evaluation.statemachine import IllegalCaseTransition, Party, move
from rencai.onestop.services.materials import MATERIAL_EXTENSIONS, original_name

S = CaseState
MAX_NOTICE_DAYS = 30
OBJECTION_DAYS = 10  # working days to answer an objection
MAX_STATEMENT = 2000
# Abuse: one person's objections within an hour, and on one notice in all
OBJECTIONS_PER_HOUR = 5
OBJECTIONS_PER_NOTICE = 20


def tier_for(scheme: Scheme, score: Decimal | None) -> str:
    """The highest tier whose threshold the score reaches ("" below every threshold, or without any)."""
    if score is None:
        return ""
    reached = [tier for tier, line in scheme.tier_thresholds.items() if score >= Decimal(str(line))]
    return min(reached, default="")  # "A" < "B" < …: the highest tier


def notice_is_open(notice: PublicNotice, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return notice.state == NoticeState.OPEN and notice.starts_on <= today <= notice.ends_on


# -- publishing --------------------------------------------------------------------------------------------


def notice_publish(*, actor: User, round: Round, days: int | None = None) -> PublicNotice:
    """Publish the round's cases that passed second review, with their proposed result, for `days`
    working days (default: the scheme's notice period, five)."""
    require(actor, Action.MANAGE_EVALUATION, round)
    days = round.scheme.notice_days if days is None else days
    if not 1 <= days <= MAX_NOTICE_DAYS:
        raise ValidationFailed(
            [
                problem(
                    "days",
                    f"公示期须为1至{MAX_NOTICE_DAYS}个工作日",
                    f"The notice runs 1 to {MAX_NOTICE_DAYS} working days",
                )
            ]
        )
    today = timezone.localdate()
    ends_on = add_working_days(today, days)  # the period is a legal fact: never estimated
    with transaction.atomic():
        Round.objects.select_for_update().filter(pk=round.pk).first()  # one publication at a time
        cases = list(round.cases.filter(state=S.SECOND_PASSED).select_related("talent").order_by("pk"))
        if not cases:
            raise DomainError(
                ErrorCode.ROUND_CLOSED, "本批次没有待公示的申报", "No case of this round awaits public notice"
            )
        notice = PublicNotice.objects.create(
            round=round,
            title=f"{round.name}评价结果公示",
            starts_on=today,
            ends_on=ends_on,
            days=days,
            published_by=actor,
        )
        for case in cases:
            move(case, S.NOTICE, actor=actor, party=Party.MANAGER, comment=notice.title)
            case.result_tier = tier_for(round.scheme, case.total_score)
            case.result_honour = round.scheme.honour
            case.save(update_fields=["result_tier", "result_honour", "updated_at"])
        notice.cases.add(*cases)
        round_advance(round, "notice")
        audit.record_creation(
            actor=actor,
            action="evaluation.notice.publish",
            obj=notice,
            detail={"cases": [c.pk for c in cases]},
        )
    return notice


# -- objections --------------------------------------------------------------------------------------------


def _evidence_problems(evidence: File | None) -> list[Problem]:
    if evidence is None:
        return []
    name = original_name(evidence)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    limit = settings.RENCAI_MATERIAL_MAX_BYTES
    problems = []
    if extension not in MATERIAL_EXTENSIONS:
        kinds = "、".join(sorted(MATERIAL_EXTENSIONS))
        problems.append(
            problem(
                "evidence",
                f"不支持的文件类型“{name}”，请上传 {kinds} 文件",
                f"{name!r} is not a supported file type; upload one of {kinds}",
            )
        )
    if (getattr(evidence, "size", None) or 0) > limit:
        problems.append(
            problem(
                "evidence",
                f"文件过大，单个文件不能超过 {limit // 1024 // 1024} MB",
                f"The file is too large; the limit is {limit // 1024 // 1024} MB",
            )
        )
    return problems


def _objection_problems(name, id_number, phone, point, statement, evidence) -> tuple[str, str, list[Problem]]:
    problems: list[Problem] = []
    if not name.strip():
        problems.append(problem("name", "请填写真实姓名", "Give your real name"))
    elif len(name.strip()) > 100:
        problems.append(problem("name", "姓名过长", "The name is too long"))
    number = normalize_id_number(id_number or "")
    if not is_valid_id_number(number):
        problems.append(problem("id_number", "身份证号码无效", "The ID number is not valid"))
    try:
        phone = validate_phone(phone)
    except InvalidValue as error:
        problems.append(problem("phone", error.zh, error.en))
    if point not in ObjectionPoint.values:
        problems.append(problem("point", "请选择异议事项", "Choose what the objection is about"))
    if not statement.strip():
        problems.append(problem("statement", "请填写异议内容和理由", "State the objection and its grounds"))
    elif len(statement) > MAX_STATEMENT:
        problems.append(
            problem("statement", f"异议内容不能超过{MAX_STATEMENT}字", f"At most {MAX_STATEMENT} characters")
        )
    return number, phone, problems + _evidence_problems(evidence)


class ObjectionDuplicate(DomainError):
    status = 409

    def __init__(self) -> None:
        super().__init__(
            ErrorCode.OBJECTION_DUPLICATE,
            "您已就该申报的同一事项提出过异议，请勿重复提交；如有新的事实，请选择其他事项或等待答复",
            "You have already objected to this case on the same point; each person objects once per point",
        )


class TooManyObjections(DomainError):
    status = 429

    def __init__(self) -> None:
        super().__init__(
            ErrorCode.TOO_MANY_ATTEMPTS,
            "提交异议过于频繁，请稍后再试",
            "Too many objections in a short time; try again later",
        )


def _check_throttle(notice: PublicNotice, index: str) -> None:
    since = timezone.now() - dt.timedelta(hours=1)
    counts = Objection.objects.filter(objector_id_index=index).aggregate(
        hour=Count("pk", filter=Q(submitted_at__gte=since)), notice=Count("pk", filter=Q(notice=notice))
    )
    if counts["hour"] >= OBJECTIONS_PER_HOUR or counts["notice"] >= OBJECTIONS_PER_NOTICE:
        raise TooManyObjections()


def _assignee(case: Case) -> User | None:
    """The officer of the case's region (or the nearest above) holding ANSWER_OBJECTION with the fewest
    objections open."""
    officers = officers_for(Action.ANSWER_OBJECTION, case.region_id)
    if not officers:
        return None
    open_counts = dict(
        Objection.objects.filter(state=ObjectionState.OPEN, assigned_to__in=officers)
        .values("assigned_to")
        .annotate(n=Count("pk"))
        .values_list("assigned_to", "n")
    )
    return min(officers, key=lambda user: (open_counts.get(user.pk, 0), user.pk))


def objection_submit(
    *,
    notice: PublicNotice,
    case: Case,
    name: str,
    id_number: str,
    phone: str,
    point: str,
    statement: str,
    evidence: File | None = None,
) -> Objection:
    """An objection by real name (a valid ID number and a phone, sealed), from the public page while the
    notice is open. One per person, case and point: the database's unique constraint, said as
    OBJECTION_DUPLICATE. Assigned to an officer of the case's region, due in ten working days."""
    if not notice.cases.filter(pk=case.pk).exists():
        raise NotFound("该公示中没有这项申报", "This case is not on this notice")
    number, phone, problems = _objection_problems(name, id_number, phone, point, statement, evidence)
    if problems:
        raise ValidationFailed(problems)
    today = timezone.localdate()
    if not notice_is_open(notice, today):
        raise DomainError(
            ErrorCode.DEADLINE_PASSED,
            f"公示期已于 {notice.ends_on:%Y-%m-%d} 结束，不再受理异议",
            f"The notice ended on {notice.ends_on.isoformat()}; objections are no longer taken",
        )
    index = id_number_index(number)
    _check_throttle(notice, index)
    if Objection.objects.filter(case=case, objector_id_index=index, point=point).exists():
        raise ObjectionDuplicate()
    sealed, sealed_phone = seal_id_number(number), seal_phone(phone)
    assignee = _assignee(case)
    objection = Objection(
        notice=notice,
        case=case,
        point=point,
        objector_name=name.strip(),
        objector_id_ciphertext=sealed.ciphertext,
        objector_id_index=sealed.index,
        objector_id_masked=sealed.masked,
        phone_ciphertext=sealed_phone.ciphertext,
        phone_masked=sealed_phone.masked,
        statement=statement.strip(),
        assigned_to=assignee,
        due_on=add_working_days_or_estimate(today, OBJECTION_DAYS).day,
    )
    if evidence is not None:
        objection.evidence_name = original_name(evidence)
        objection.evidence.save(_stored_name(objection.evidence_name), evidence, save=False)
    try:
        with transaction.atomic():
            objection.save()
            audit.record_creation(actor=None, action="evaluation.objection.submit", obj=objection)
    except IntegrityError:  # the same person's twin request committed first
        if objection.evidence:
            objection.evidence.delete(save=False)
        raise ObjectionDuplicate() from None
    tell(
        [assignee] if assignee is not None else [],
        subject=f"公示异议待办理：{case.talent.name}",
        body=f"“{notice.title}”收到关于{case.talent.name}的异议（{objection.get_point_display()}），"
        f"请于 {objection.due_on:%Y年%m月%d日} 前答复。",
        link=f"/evaluation/objections/{objection.pk}/",
        kind="evaluation.objection",
    )
    return objection


def _stored_name(name: str) -> str:
    """A random name on disk, keeping a plain extension: nothing the objector typed reaches the path."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return uuid.uuid4().hex + (f".{extension}" if re.fullmatch(r"[a-z0-9]{1,8}", extension) else "")


def objection_answer(*, actor: User, objection: Objection, upheld: bool, answer: str) -> Objection:
    """Answer an objection: upheld (the case will not be recognized) or dismissed, with the answer."""
    require(actor, Action.ANSWER_OBJECTION, objection)
    answer = (answer or "").strip()
    if not answer:
        raise ValidationFailed([problem("answer", "请填写答复意见", "Give the answer")])
    with transaction.atomic():
        before = audit.snapshot(Objection.objects.select_for_update().get(pk=objection.pk))
        now = timezone.now()
        state = ObjectionState.UPHELD if upheld else ObjectionState.DISMISSED
        updated = Objection.objects.filter(pk=objection.pk, state=ObjectionState.OPEN).update(
            state=state, answer=answer, answered_by=actor, answered_at=now
        )
        if not updated:
            raise DomainError(
                ErrorCode.ILLEGAL_TRANSITION, "该异议已办结", "This objection is already settled"
            )
        objection.refresh_from_db()
        audit.record_change(actor=actor, action="evaluation.objection.answer", obj=objection, before=before)
    return objection


# -- the decision ------------------------------------------------------------------------------------------


class NoticeNotOver(DomainError):
    status = 409

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(ErrorCode.NOTICE_NOT_OVER, zh, en)


def _check_decidable(case: Case, today: dt.date) -> None:
    if case.state != S.NOTICE:
        raise IllegalCaseTransition(case.state, S.RECOGNIZED, Party.MANAGER)
    notice = case.notices.order_by("-pk").first()
    if notice is None or today <= notice.ends_on:
        ends = notice.ends_on if notice is not None else today
        raise NoticeNotOver(
            f"公示期至 {ends:%Y-%m-%d} 结束，期满后方可作出决定",
            f"The notice runs until {ends.isoformat()}; the decision comes after it",
        )
    waiting = case.objections.filter(state=ObjectionState.OPEN).count()
    if waiting:
        raise NoticeNotOver(
            f"尚有 {waiting} 件异议未办结，办结后方可作出决定",
            f"{waiting} objections are not settled yet; the decision comes after them",
        )


def case_decide(*, actor: User, case: Case) -> Case:
    """Make a noticed case's result final: refused (NOTICE_NOT_OVER) until the period is over and every
    objection on it is settled. An upheld objection or an integrity finding: not recognized; otherwise
    recognized at the tier its total score reaches and with the scheme's honour, written to the registry."""
    require(actor, Action.MANAGE_EVALUATION, case.round)
    today = timezone.localdate()
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("round__scheme", "talent").get(pk=case.pk)
        _check_decidable(case, today)
        finding = _veto(case, today)
        upheld = case.objections.filter(state=ObjectionState.UPHELD).first()
        if finding is not None:
            _not_recognized(actor, case, Party.MANAGER, veto_comment(finding), vetoed=True)
        elif upheld is not None:
            _not_recognized(actor, case, Party.MANAGER, f"公示异议成立：{upheld.answer}")
        else:
            _recognize(actor, case)
    return case


def _recognize(actor: User, case: Case) -> None:
    move(case, S.RECOGNIZED, actor=actor, party=Party.MANAGER)
    case.result, case.decided_at = CaseResult.PASSED, timezone.now()
    case.result_tier = tier_for(case.round.scheme, case.total_score)
    case.result_honour = case.round.scheme.honour
    case.save(update_fields=["result", "decided_at", "result_tier", "result_honour", "updated_at"])
    outcomes.apply_result(actor=actor, case=case)
    tell(
        applicant_users(case),
        subject=f"评价通过：{case.round.name}",
        body=f"{case.talent.name}通过了“{case.round.name}”的评价"
        + (f"，认定为{case.result_tier}类人才" if case.result_tier else "")
        + "。",
        link=case_link(case),
        kind="evaluation.recognized",
    )


def round_decide(*, actor: User, round: Round) -> dict[str, int]:
    """Decide every noticed case of the round that can be decided; the others wait (their notice or an
    objection is not over). Returns how many were decided and how many wait."""
    require(actor, Action.MANAGE_EVALUATION, round)
    decided = waiting = 0
    for case in round.cases.filter(state=S.NOTICE).order_by("pk"):
        try:
            case_decide(actor=actor, case=case)
        except NoticeNotOver:
            waiting += 1
        else:
            decided += 1
    today = timezone.localdate()
    PublicNotice.objects.filter(round=round, state=NoticeState.OPEN, ends_on__lt=today).update(
        state=NoticeState.ENDED
    )
    return {"decided": decided, "waiting": waiting}
