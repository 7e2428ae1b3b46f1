"""Cases through the stages of a round: application (by the talent, or by the enterprise for an employee),
employer confirmation with its own scores (企业自主评价), the one correction notice, county first review
(integrity first), city second review, withdrawal.

Every move goes through `statemachine.move` with the party whose right the service has just required.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone

from rencai.accounts.models import User
from rencai.core import audit, idempotency
from rencai.core.access import Action, holders, region_ancestor_ids, region_subtree_ids, require
from rencai.core.errors import DomainError, ErrorCode, Problem, ValidationFailed, problem
from rencai.core.notifications import notify
from rencai.evaluation.choices import CaseResult, CaseState, EvaluatorKind, IndicatorSource
from rencai.evaluation.models import Case, CaseCorrection, CaseMaterial, Round
from rencai.evaluation.services import outcomes
from rencai.evaluation.services.rounds import applications_open, round_advance
from rencai.evaluation.statemachine import IllegalCaseTransition, Party, move
from rencai.onestop.models import Material
from rencai.registry.choices import Industry
from rencai.registry.models import Talent

S = CaseState
MAX_SUMMARY = 5000
MAX_ITEMS = 30


# -- who is told -------------------------------------------------------------------------------------------


def case_link(case: Case) -> str:
    return f"/evaluation/cases/{case.pk}/"


def officers_for(action: Action, region_id: int) -> list[User]:
    """The holders of `action` in the region, or, without any, in the nearest region above it."""
    ancestors = sorted(region_ancestor_ids(region_id), key=lambda pk: pk != region_id)
    by_region: dict[int, list[User]] = {}
    for user in User.objects.filter(holders(action), region_id__in=ancestors, is_active=True).order_by("pk"):
        by_region.setdefault(user.region_id or 0, []).append(user)
    from rencai.core.models import Region

    for pk in Region.objects.filter(pk__in=ancestors).order_by("-path").values_list("pk", flat=True):
        if by_region.get(pk):
            return by_region[pk]
    return []


def employer_users(case: Case) -> list[User]:
    if not case.enterprise_id:
        return []
    return list(
        User.objects.filter(
            holders(Action.CONFIRM_AS_EMPLOYER), enterprise_id=case.enterprise_id, is_active=True
        )
    )


def applicant_users(case: Case) -> list[User]:
    """The talent, and the enterprise's users when the enterprise applied for its employee."""
    users = [case.talent.account] if case.talent.account_id else []
    applied_by = case.applied_by
    if applied_by is not None and applied_by.enterprise_id and applied_by.enterprise_id == case.enterprise_id:
        users += employer_users(case)
    return [user for user in users if user is not None]


def tell(users: Iterable[User], *, subject: str, body: str, link: str, kind: str) -> int:
    """One message per distinct user; returns how many were sent."""
    distinct = {user.pk: user for user in users}
    for user in distinct.values():
        notify(recipient=user, subject=subject, body=body, link=link, kind=kind)
    return len(distinct)


# -- checks ------------------------------------------------------------------------------------------------


class AlreadyApplied(DomainError):
    status = 409

    def __init__(self) -> None:
        super().__init__(
            ErrorCode.ALREADY_OPEN,
            "该人才已在本批次申报，每批次每人只能申报一次",
            "The talent has already applied in this round (one case per talent and round)",
        )


def _check_round_open(round: Round, today: dt.date) -> None:
    if applications_open(round, today):
        return
    if round.state == "open" and today > round.applications_due:
        raise DomainError(
            ErrorCode.DEADLINE_PASSED,
            f"本批次申报已于 {round.applications_due:%Y-%m-%d} 截止",
            f"Applications to this round closed on {round.applications_due.isoformat()}",
        )
    raise DomainError(ErrorCode.ROUND_CLOSED, "本批次当前不接受申报", "This round is not taking applications")


def _check_talent(round: Round, talent: Talent) -> None:
    scheme = round.scheme
    if talent.region_id not in region_subtree_ids(round.region_id):
        raise DomainError(
            ErrorCode.INELIGIBLE,
            f"{talent.name}不在本批次的组织区划内，不能申报",
            f"{talent.name} is not registered in this round's region",
        )
    if scheme.team and talent.team != scheme.team:
        raise DomainError(
            ErrorCode.INELIGIBLE,
            f"本批次面向{scheme.get_team_display()}，{talent.name}不属于该人才队伍",
            f"This round is for the {scheme.team} team; {talent.name} is not in it",
        )


def _library(talent: Talent, material_ids: Sequence[int]) -> tuple[list[Material], list[Problem]]:
    """The talent's current library documents among `material_ids`; unknown ids are problems."""
    wanted = list(dict.fromkeys(material_ids))
    found = {m.pk: m for m in Material.objects.filter(pk__in=wanted, talent=talent, is_current=True)}
    problems = [
        problem(
            "material_ids", f"材料 {pk} 不在申报人的材料库中", f"Material {pk} is not in the talent's library"
        )
        for pk in wanted
        if pk not in found
    ]
    return [found[pk] for pk in wanted if pk in found], problems


def _attach(case: Case, materials: list[Material]) -> None:
    CaseMaterial.objects.bulk_create(
        [CaseMaterial(case=case, material=material) for material in materials], ignore_conflicts=True
    )


# -- applying ----------------------------------------------------------------------------------------------


def case_apply(
    *,
    actor: User,
    round: Round,
    talent: Talent,
    field: str,
    summary: str,
    material_ids: Sequence[int] = (),
    submit: bool = True,
) -> Case:
    """Apply in `round` for `talent` (the talent themself, or their employer). One case per talent and
    round, a database fact: a retry of the same application returns the case made the first time, another
    application is refused. Materials come from the talent's library (given once, reused). A talent with
    no employer has nobody to confirm: the system confirms at once; otherwise the employer is told."""
    require(actor, Action.APPLY_FOR_EVALUATION, talent)
    summary = (summary or "").strip()
    problems: list[Problem] = []
    if field not in Industry.values:
        problems.append(problem("field", "请选择评审领域", "Choose the field of review"))
    if submit and not summary:
        problems.append(problem("summary", "请填写主要业绩", "Describe the main achievements"))
    if len(summary) > MAX_SUMMARY:
        problems.append(
            problem("summary", f"主要业绩不能超过{MAX_SUMMARY}字", f"At most {MAX_SUMMARY} characters")
        )
    materials, material_problems = _library(talent, material_ids)
    if problems or material_problems:
        raise ValidationFailed(problems + material_problems)

    def find() -> Case | None:
        return Case.objects.filter(round=round, talent=talent).first()

    def same(earlier: Case) -> bool:
        if earlier.field == field and earlier.summary == summary and earlier.state != S.WITHDRAWN:
            return True
        raise AlreadyApplied()

    def create() -> Case:
        _check_round_open(round, timezone.localdate())
        _check_talent(round, talent)
        return _create_case(actor, round, talent, field, summary, materials, submit)

    return idempotency.once(find=find, same=same, create=create)


def _create_case(actor, round, talent, field, summary, materials, submit) -> Case:
    with transaction.atomic():
        case = Case(
            round=round,
            talent=talent,
            enterprise_id=talent.current_employer_id,
            region_id=talent.region_id,
            field=field,
            summary=summary,
            applied_by=actor,
        )
        move(case, S.SUBMITTED if submit else S.DRAFT, actor=actor, party=Party.APPLICANT)
        _attach(case, materials)
        audit.record_creation(
            actor=actor,
            action="evaluation.case.apply",
            obj=case,
            detail={"materials": [m.pk for m in materials]},
        )
        if submit:
            _after_submission(case)
    return case


def _after_submission(case: Case) -> None:
    """Without an employer the system confirms at once; otherwise the employer is asked to."""
    if not case.enterprise_id:
        move(case, S.CONFIRMED, actor=None, party=Party.SYSTEM, comment="无用人单位，系统确认")
        _ask_first_review(case)
        return
    tell(
        employer_users(case),
        subject=f"待确认：{case.talent.name}的人才评价申报",
        body=f"{case.talent.name}在“{case.round.name}”中提交了评价申报，"
        f"请于 {case.round.employer_due:%Y年%m月%d日} 前确认（可填写单位自主评价分数）。",
        link=case_link(case),
        kind="evaluation.confirm",
    )


def _ask_first_review(case: Case) -> None:
    tell(
        officers_for(Action.FIRST_REVIEW, case.region_id),
        subject=f"待初审：{case.talent.name}的人才评价申报",
        body=f"“{case.round.name}”中{case.talent.name}的申报已确认，"
        f"请于 {case.round.first_review_due:%Y年%m月%d日} 前完成初审。",
        link=case_link(case),
        kind="evaluation.first_review",
    )


def case_submit(*, actor: User, case: Case) -> Case:
    """Submit a draft, while the round still takes applications."""
    require(actor, Action.APPLY_FOR_EVALUATION, case)
    _check_round_open(case.round, timezone.localdate())
    if not case.summary.strip():
        raise ValidationFailed([problem("summary", "请填写主要业绩", "Describe the main achievements")])
    with transaction.atomic():
        move(case, S.SUBMITTED, actor=actor, party=Party.APPLICANT)
        _after_submission(case)
    return case


def case_withdraw(*, actor: User, case: Case, reason: str = "") -> Case:
    require(actor, Action.APPLY_FOR_EVALUATION, case)
    move(case, S.WITHDRAWN, actor=actor, party=Party.APPLICANT, comment=reason.strip())
    return case


# -- the employer ------------------------------------------------------------------------------------------


def _employer_score_problems(case: Case, scores: dict[str, Decimal] | None) -> tuple[dict, list[Problem]]:
    scheme = case.round.scheme
    scored = list(scheme.indicators.filter(source=IndicatorSource.SCORED).values_list("code", "name"))
    weighs_employer = scheme.evaluators.filter(kind=EvaluatorKind.EMPLOYER).exists()
    scores = scores or {}
    problems: list[Problem] = []
    cleaned: dict[str, str] = {}
    known = dict(scored)
    for code in scores:
        if code not in known:
            problems.append(
                problem(
                    f"employer_scores.{code}", f"未知的评分指标：{code}", f"Unknown scored indicator: {code}"
                )
            )
    for code, name in scored:
        if code not in scores:
            if weighs_employer:
                problems.append(
                    problem(f"employer_scores.{code}", f"请为“{name}”打分", f"Give points for {code}")
                )
            continue
        try:
            points = Decimal(str(scores[code]))
        except (InvalidOperation, ValueError):
            points = Decimal(-1)
        if not points.is_finite() or not Decimal(0) <= points <= Decimal(100):
            problems.append(
                problem(
                    f"employer_scores.{code}",
                    f"“{name}”的分值须在0至100之间",
                    f"Points for {code} must be between 0 and 100",
                )
            )
        else:
            cleaned[code] = str(points.quantize(Decimal("0.01")))
    return cleaned, problems


def case_confirm(*, actor: User, case: Case, employer_scores: dict[str, Decimal] | None = None) -> Case:
    """The employer confirms the application, with its own 0–100 points for each scored indicator when the
    scheme weighs the employer's judgement (企业自主评价); by the employer deadline."""
    require(actor, Action.CONFIRM_AS_EMPLOYER, case)
    cleaned, problems = _employer_score_problems(case, employer_scores)
    if problems:
        raise ValidationFailed(problems)
    if timezone.localdate() > case.round.employer_due:
        raise DomainError(
            ErrorCode.DEADLINE_PASSED,
            f"单位确认已于 {case.round.employer_due:%Y-%m-%d} 截止",
            f"Employer confirmation closed on {case.round.employer_due.isoformat()}",
        )
    with transaction.atomic():
        before = audit.snapshot(case)
        move(case, S.CONFIRMED, actor=actor, party=Party.EMPLOYER)
        case.employer_scores = cleaned
        case.save(update_fields=["employer_scores", "updated_at"])
        audit.record_change(actor=actor, action="evaluation.case.employer_scores", obj=case, before=before)
        _ask_first_review(case)
    return case


def case_decline(*, actor: User, case: Case, reason: str) -> Case:
    """The employer declines to confirm: the case ends, not recognized, with the reason."""
    require(actor, Action.CONFIRM_AS_EMPLOYER, case)
    if not (reason or "").strip():
        raise ValidationFailed([problem("reason", "请填写不予确认的理由", "Give the reason for declining")])
    with transaction.atomic():
        _not_recognized(actor, case, Party.EMPLOYER, f"用人单位不予确认：{reason.strip()}")
    return case


# -- first review and the one correction notice -----------------------------------------------------------


class CorrectionGiven(DomainError):
    status = 409

    def __init__(self) -> None:
        super().__init__(
            ErrorCode.NOTICE_EXISTS,
            "该申报已一次性告知过补正事项，不能再次退回",
            "This case has had its one correction notice; it cannot be returned again",
        )


def case_return(*, actor: User, case: Case, items: list[str]) -> Case:
    """Return a confirmed case for correction with every item at once (一次性告知). One notice per case,
    a database fact (the notice is one-to-one with the case): a second is refused."""
    require(actor, Action.FIRST_REVIEW, case)
    cleaned = [item.strip() for item in items if item and item.strip()]
    problems = []
    if not cleaned:
        problems.append(problem("items", "请列出全部需补正的事项", "List every item to correct"))
    if len(cleaned) > MAX_ITEMS:
        problems.append(problem("items", f"补正事项不超过{MAX_ITEMS}项", f"At most {MAX_ITEMS} items"))
    if problems:
        raise ValidationFailed(problems)
    if CaseCorrection.objects.filter(case=case).exists():
        raise CorrectionGiven()
    try:
        with transaction.atomic():
            correction = CaseCorrection.objects.create(case=case, officer=actor, items=cleaned)
            move(case, S.RETURNED, actor=actor, party=Party.COUNTY, comment="；".join(cleaned))
            audit.record_creation(actor=actor, action="evaluation.case.correction", obj=correction)
    except IntegrityError:  # a colleague's notice committed first
        raise CorrectionGiven() from None
    tell(
        applicant_users(case),
        subject=f"请补正：{case.round.name}",
        body="评价申报需补正以下事项（一次性告知）：" + "；".join(cleaned),
        link=case_link(case),
        kind="evaluation.returned",
    )
    return case


def case_resubmit(*, actor: User, case: Case, material_ids: Sequence[int] = ()) -> Case:
    """The applicant answers the correction notice: new library documents join the case, and it returns
    to first review (where it cannot be returned again)."""
    require(actor, Action.APPLY_FOR_EVALUATION, case)
    materials, problems = _library(case.talent, material_ids)
    if problems:
        raise ValidationFailed(problems)
    with transaction.atomic():
        move(case, S.CONFIRMED, actor=actor, party=Party.APPLICANT, comment="已补正")
        _attach(case, materials)
        audit.record(
            actor=actor,
            action="evaluation.case.resubmit",
            obj=case,
            detail={"materials": [m.pk for m in materials]},
        )
        _ask_first_review(case)
    return case


def _veto(case: Case, today: dt.date):
    """The integrity finding in force for the case's talent, if any (品德/诚信 first: it vetoes)."""
    from rencai.evaluation.services.integrity import finding_in_force

    return finding_in_force(case.talent, today)


def _not_recognized(actor, case: Case, party: Party, comment: str, *, vetoed: bool = False) -> None:
    move(case, S.NOT_RECOGNIZED, actor=actor, party=party, comment=comment)
    case.result, case.vetoed, case.decided_at = CaseResult.FAILED, vetoed, timezone.now()
    case.save(update_fields=["result", "vetoed", "decided_at", "updated_at"])
    outcomes.conclude_not_recognized(actor=actor, case=case)
    tell(
        applicant_users(case),
        subject=f"评价未通过：{case.round.name}",
        body=f"{case.talent.name}的评价申报未通过。{comment}",
        link=case_link(case),
        kind="evaluation.not_recognized",
    )


def veto_comment(finding) -> str:
    return f"诚信一票否决：{finding.source}（{finding.found_on:%Y-%m-%d}）{finding.description}"


def case_first_review(*, actor: User, case: Case, passed: bool, comment: str = "") -> Case:
    """The county's first review. Integrity first: a finding in force vetoes whatever the reviewer
    decided (not recognized, `vetoed`, the finding as the reason). A pass computes the case's indicators
    from the registry and sends it on to the panel."""
    require(actor, Action.FIRST_REVIEW, case)
    comment = (comment or "").strip()
    if not passed and not comment:
        raise ValidationFailed([problem("comment", "不通过时须说明理由", "A failed review needs a reason")])
    with transaction.atomic():
        finding = _veto(case, timezone.localdate())
        if finding is not None:
            _not_recognized(actor, case, Party.COUNTY, veto_comment(finding), vetoed=True)
            return case
        if not passed:
            _not_recognized(actor, case, Party.COUNTY, comment)
            return case
        move(case, S.FIRST_PASSED, actor=actor, party=Party.COUNTY, comment=comment)
        from rencai.evaluation.indicators import compute_for_cases

        compute_for_cases([case])
        round_advance(case.round, "reviewing")
    return case


def case_second_review(*, actor: User, case: Case, passed: bool, comment: str = "") -> Case:
    """The city's second review of a scored case (integrity checked again: a finding recorded since the
    first review still vetoes)."""
    require(actor, Action.SECOND_REVIEW, case)
    comment = (comment or "").strip()
    if not passed and not comment:
        raise ValidationFailed([problem("comment", "不通过时须说明理由", "A failed review needs a reason")])
    with transaction.atomic():
        if case.state != S.SCORED:  # the table's refusal, said before the integrity look-up
            raise IllegalCaseTransition(case.state, S.SECOND_PASSED, Party.CITY)
        finding = _veto(case, timezone.localdate())
        if finding is not None:
            _not_recognized(actor, case, Party.CITY, veto_comment(finding), vetoed=True)
        elif not passed:
            _not_recognized(actor, case, Party.CITY, comment)
        else:
            move(case, S.SECOND_PASSED, actor=actor, party=Party.CITY, comment=comment)
    return case
