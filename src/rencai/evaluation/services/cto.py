"""Enterprise chief technology officers (首席技术官): nomination with its rules checked against the registry,
appointment from a recognized case, the yearly check, the end of terms, and the officers register.

The rules are checked, not trusted: the nominating enterprise declares nothing. Employment comes from the
registry's employment history, the legal representative and the shareholders from the market-regulation
register (`EnterpriseOfficer`, matched by the ID number's blind index), the quota from the appointments
and live nominations. The quota's final word is the database's: the partial unique index on (enterprise,
slot) of active appointments and the CHECK that slot 2 belongs to a platform enterprise.
"""

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from rencai.accounts.models import User
from rencai.core import audit
from rencai.core.access import Action, region_ancestor_ids, region_subtree_ids, require, visible_to
from rencai.core.errors import DomainError, ErrorCode, Problem, ValidationFailed, problem
from rencai.core.notifications import notify
from rencai.core.pii import id_number_index
from rencai.core.validators import is_valid_id_number, normalize_id_number
from rencai.evaluation.choices import AppointmentStatus, CaseState, OfficerRole, Purpose, RoundState
from rencai.evaluation.models import (
    Case,
    CaseMaterial,
    CtoAppointment,
    CtoYearlyCheck,
    EnterpriseOfficer,
    Round,
)
from rencai.evaluation.statemachine import TERMINAL, Party, move
from rencai.onestop.models import Material
from rencai.registry.choices import Programme, ProgrammeLevel
from rencai.registry.models import Enterprise, Honour, Talent

CTO_MIN_MONTHS = 12  # continuous employment at the nominating enterprise, by the registry
TOP_SHAREHOLDERS = 3  # none of the enterprise's three largest shareholders may be its CTO
TERM_YEARS = 3
MAX_SUMMARY = 5000


def quota_of(enterprise: Enterprise) -> int:
    """One chief technology officer per enterprise, two for a platform enterprise (平台型企业)."""
    return 2 if enterprise.is_platform_enterprise else 1


# -- the rules ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One rule of a nomination and whether the nominee meets it, in both languages (the form shows them
    before submitting; the service refuses with the failing ones as problems)."""

    code: str
    passed: bool
    text_zh: str
    text_en: str

    def as_problem(self) -> Problem:
        return problem(self.code, self.text_zh, self.text_en)


def _months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` earlier (the month's last day when it is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def continuous_employment_since(talent: Talent, enterprise: Enterprise, today: dt.date) -> dt.date | None:
    """The start of the talent's unbroken employment at `enterprise` that reaches `today`, by the registry's
    employment history (consecutive or overlapping spells join); None when not employed there today."""
    spells = sorted(
        talent.employments.filter(enterprise=enterprise, started_on__lte=today).values_list(
            "started_on", "ended_on"
        )
    )
    since, reach = None, None
    for started, ended in spells:
        ended = ended or today
        if reach is None or started > reach + dt.timedelta(days=1):
            since, reach = started, ended
        else:
            reach = max(reach, ended)
    return since if reach is not None and reach >= today else None


def _barring_roles(talent: Talent, enterprise: Enterprise) -> tuple[bool, bool]:
    """(is the legal representative, is among the three largest shareholders), by the register."""
    officers = list(EnterpriseOfficer.objects.filter(enterprise=enterprise))
    mine = [o for o in officers if o.id_number_index == talent.id_number_index]
    legal = any(o.role == OfficerRole.LEGAL_REPRESENTATIVE for o in mine)
    shares = sorted(
        (o.share_percent for o in officers if o.role == OfficerRole.SHAREHOLDER and o.share_percent),
        reverse=True,
    )
    # ties at the third place count: "among the three largest" may be more than three people
    threshold = shares[TOP_SHAREHOLDERS - 1] if len(shares) >= TOP_SHAREHOLDERS else Decimal(0)
    major = any(
        o.role == OfficerRole.SHAREHOLDER
        and (o.share_percent or 0) > 0
        and (o.share_percent or 0) >= threshold
        for o in mine
    )
    return legal, major


def nomination_rules(talent: Talent, enterprise: Enterprise, today: dt.date | None = None) -> list[Rule]:
    """Every rule of a CTO nomination, checked against the registry (the quota is counted apart)."""
    today = today or timezone.localdate()
    since = continuous_employment_since(talent, enterprise, today)
    needed = _months_before(today, CTO_MIN_MONTHS)
    legal, major = _barring_roles(talent, enterprise)
    elsewhere = (
        CtoAppointment.objects.filter(talent=talent, status=AppointmentStatus.ACTIVE)
        .exclude(enterprise=enterprise)
        .exists()
    )
    employed = bool(since and since <= needed)
    if employed:
        employed_zh = f"在本单位连续工作满{CTO_MIN_MONTHS}个月（人才库记录自 {since:%Y-%m-%d} 起）"
        employed_en = (
            f"Employed here continuously for {CTO_MIN_MONTHS} months (since {since} in the registry)"
        )
    elif since:
        employed_zh = (
            f"被推荐人在本单位连续工作不满{CTO_MIN_MONTHS}个月：人才库记录自 {since:%Y-%m-%d} 起，"
            f"须在 {needed:%Y-%m-%d} 或之前入职"
        )
        employed_en = (
            f"Employed here for less than {CTO_MIN_MONTHS} months: the registry shows employment since "
            f"{since}; it must have begun on or before {needed}"
        )
    else:
        employed_zh = f"人才库中没有被推荐人在本单位的在职记录，须连续工作满{CTO_MIN_MONTHS}个月"
        employed_en = (
            "The registry shows no current employment of the nominee here; "
            f"{CTO_MIN_MONTHS} months are required"
        )
    return [
        Rule("employment", employed, employed_zh, employed_en),
        Rule(
            "legal_representative",
            not legal,
            "不是本单位的法定代表人"
            if not legal
            else "被推荐人是本单位的法定代表人（市场监管登记），不能担任首席技术官",
            "Not the enterprise's legal representative"
            if not legal
            else "The nominee is the enterprise's registered legal representative and cannot be its CTO",
        ),
        Rule(
            "shareholder",
            not major,
            f"不是本单位前{TOP_SHAREHOLDERS}大股东"
            if not major
            else f"被推荐人是本单位前{TOP_SHAREHOLDERS}大股东之一（市场监管登记），不能担任首席技术官",
            f"Not among the enterprise's {TOP_SHAREHOLDERS} largest shareholders"
            if not major
            else f"The nominee is among the enterprise's {TOP_SHAREHOLDERS} largest registered shareholders "
            "and cannot be its CTO",
        ),
        Rule(
            "talent",
            not elsewhere,
            "未在其他企业担任首席技术官" if not elsewhere else "被推荐人正在其他企业担任首席技术官",
            "Not a CTO of another enterprise"
            if not elsewhere
            else "The nominee is the chief technology officer of another enterprise",
        ),
    ]


def seats_taken(enterprise: Enterprise) -> int:
    """Active appointments plus live nominations (cases of a CTO round not yet ended) of the enterprise."""
    active = CtoAppointment.objects.filter(enterprise=enterprise, status=AppointmentStatus.ACTIVE).count()
    live = (
        Case.objects.filter(enterprise=enterprise, round__scheme__purpose=Purpose.CHIEF_TECH_OFFICER)
        .exclude(state__in=TERMINAL)
        .count()
    )
    return active + live


def _quota_exceeded(enterprise: Enterprise, details: list[Problem]) -> DomainError:
    quota = quota_of(enterprise)
    kind_zh, kind_en = ("平台型企业", "a platform enterprise") if quota == 2 else ("企业", "an enterprise")
    return DomainError(
        ErrorCode.QUOTA_EXCEEDED,
        f"{enterprise.name}的首席技术官名额已满：{kind_zh}最多{quota}名（含在任和推荐中的）",
        f"{enterprise.name} has no CTO place left: {kind_en} may have at most {quota} "
        "(serving and nominated together)",
        details=details,
    )


# -- nominating ---------------------------------------------------------------------------------------------


def _round_problems(round: Round, enterprise: Enterprise, today: dt.date) -> list[Problem]:
    problems = []
    if round.scheme.purpose != Purpose.CHIEF_TECH_OFFICER:
        problems.append(
            problem(
                "round",
                "该批次不是首席技术官评价批次",
                "This round does not evaluate chief technology officers",
            )
        )
    if enterprise.region_id not in set(region_subtree_ids(round.region_id)):
        problems.append(
            problem("round", "本单位不在该批次的组织区划内", "The enterprise is outside this round's region")
        )
    return problems


def _check_round_open(round: Round, today: dt.date) -> None:
    if round.state == RoundState.OPEN and round.opens_on <= today <= round.applications_due:
        return
    if round.state == RoundState.OPEN and today > round.applications_due:
        raise DomainError(
            ErrorCode.DEADLINE_PASSED,
            f"本批次推荐已于 {round.applications_due:%Y-%m-%d} 截止",
            f"Nominations to this round closed on {round.applications_due.isoformat()}",
        )
    raise DomainError(ErrorCode.ROUND_CLOSED, "本批次当前不接受推荐", "This round is not taking nominations")


def _library(talent: Talent, material_ids: Sequence[int]) -> tuple[list[Material], list[Problem]]:
    wanted = list(dict.fromkeys(material_ids))
    found = {m.pk: m for m in Material.objects.filter(pk__in=wanted, talent=talent, is_current=True)}
    problems = [
        problem(
            "material_ids",
            f"材料 {pk} 不在被推荐人的材料库中",
            f"Material {pk} is not in the nominee's library",
        )
        for pk in wanted
        if pk not in found
    ]
    return [found[pk] for pk in wanted if pk in found], problems


def cto_nominate(
    *, actor: User, round: Round, talent: Talent, summary: str, material_ids: Sequence[int] = ()
) -> Case:
    """The enterprise nominates an employee as its chief technology officer in an open CTO round. Every
    failing rule is listed at once (nothing is written); a full quota is refused with QUOTA_EXCEEDED. The
    nomination is a case the enterprise submits as applicant and the system confirms (the enterprise is
    also the employer); county review, panel, notice and decision follow as for every case."""
    require(actor, Action.NOMINATE_CTO, talent)
    today = timezone.localdate()
    summary = (summary or "").strip()
    _check_round_open(round, today)
    with transaction.atomic():
        # the enterprise row, locked: two nominations of one enterprise count the quota one after the other
        assert actor.enterprise_id is not None  # NOMINATE_CTO holds only for an enterprise's users
        enterprise = Enterprise.objects.select_for_update().get(pk=actor.enterprise_id)
        problems = _round_problems(round, enterprise, today)
        problems += [
            rule.as_problem() for rule in nomination_rules(talent, enterprise, today) if not rule.passed
        ]
        if not summary:
            problems.append(
                problem("summary", "请填写被推荐人的主要业绩", "Describe the nominee's achievements")
            )
        elif len(summary) > MAX_SUMMARY:
            problems.append(
                problem("summary", f"主要业绩不能超过{MAX_SUMMARY}字", f"At most {MAX_SUMMARY} characters")
            )
        if Case.objects.filter(round=round, talent=talent).exists():
            problems.append(
                problem("talent", "被推荐人已在本批次中", "The nominee already has a case in this round")
            )
        materials, material_problems = _library(talent, material_ids)
        problems += material_problems
        if seats_taken(enterprise) >= quota_of(enterprise):
            raise _quota_exceeded(enterprise, problems)
        if problems:
            raise ValidationFailed(problems, "推荐不符合条件", "The nomination does not meet the rules")
        case = Case(
            round=round,
            talent=talent,
            enterprise=enterprise,
            region_id=enterprise.region_id,  # the enterprise's county reviews it first
            field=enterprise.industry,
            summary=summary,
            applied_by=actor,
        )
        move(case, CaseState.SUBMITTED, actor=actor, party=Party.APPLICANT)
        CaseMaterial.objects.bulk_create([CaseMaterial(case=case, material=m) for m in materials])
        audit.record_creation(
            actor=actor,
            action="evaluation.cto.nominate",
            obj=case,
            detail={"materials": [m.pk for m in materials], "rules": "checked against the registry"},
        )
        move(
            case, CaseState.CONFIRMED, actor=None, party=Party.SYSTEM, comment="推荐单位即用人单位，系统确认"
        )
    return case


# -- appointing ---------------------------------------------------------------------------------------------


def _years_later(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def certificate_number(case: Case, year: int) -> str:
    """One number per case (the case is one-to-one with its appointment), readable by year."""
    return f"QZCTO-{year}-{case.pk:06d}"


def appoint_from_case(*, actor: User, case: Case) -> CtoAppointment:
    """Appoint the chief technology officer a recognized CTO case decided (called by the decision service,
    whose actor manages the round). Takes a free slot under a lock on the enterprise row; the database's
    unique index and CHECK are the fact (a race that passed both checks meets IntegrityError, refused as
    QUOTA_EXCEEDED). A three-year term from the decision date, a certificate number, and the honour in the
    registry so that policies see `"chief_tech_officer" in talent.programmes`. Idempotent per case."""
    require(actor, Action.MANAGE_EVALUATION, case)
    earlier = CtoAppointment.objects.filter(case=case).first()
    if earlier is not None:
        return earlier
    if (
        case.round.scheme.purpose != Purpose.CHIEF_TECH_OFFICER
        or case.state != CaseState.RECOGNIZED
        or case.enterprise is None
    ):
        raise DomainError(
            ErrorCode.ILLEGAL_TRANSITION,
            "只有评价通过的首席技术官申报可以任命",
            "Only a recognized chief-technology-officer case leads to an appointment",
        )
    try:
        with transaction.atomic():
            return _appoint(actor, case)
    except IntegrityError:
        earlier = CtoAppointment.objects.filter(case=case).first()
        if earlier is not None:  # a twin call for the same case won
            return earlier
        raise _quota_exceeded(Enterprise.objects.get(evaluation_cases=case), []) from None


def _appoint(actor: User, case: Case) -> CtoAppointment:
    assert case.enterprise_id is not None  # appoint_from_case refused a case without one
    enterprise = Enterprise.objects.select_for_update().get(pk=case.enterprise_id)
    taken = set(
        CtoAppointment.objects.filter(enterprise=enterprise, status=AppointmentStatus.ACTIVE).values_list(
            "slot", flat=True
        )
    )
    free = [slot for slot in range(1, quota_of(enterprise) + 1) if slot not in taken]
    if not free:
        raise _quota_exceeded(enterprise, [])
    starts = timezone.localdate(case.decided_at) if case.decided_at else timezone.localdate()
    appointment = CtoAppointment.objects.create(
        enterprise=enterprise,
        talent=case.talent,
        case=case,
        slot=free[0],
        platform_enterprise=enterprise.is_platform_enterprise,
        term_starts=starts,
        term_ends=_years_later(starts, TERM_YEARS) - dt.timedelta(days=1),
        certificate_number=certificate_number(case, starts.year),
        appointed_by=actor,
    )
    audit.record_creation(actor=actor, action="evaluation.cto.appoint", obj=appointment)
    _grant_honour(actor, case.talent, starts.year)
    _tell_appointed(appointment)
    return appointment


def _grant_honour(actor: User | None, talent: Talent, year: int) -> None:
    honour, created = Honour.objects.get_or_create(
        talent=talent,
        programme=Programme.CHIEF_TECH_OFFICER,
        defaults={"level": ProgrammeLevel.CITY, "year": year},
    )
    if created:
        audit.record_creation(actor=actor, action="registry.honour.grant", obj=honour)
        _touch(talent)


def _remove_honour(actor: User | None, talent: Talent) -> None:
    """The honour goes with the last active appointment (the feature frame then drops the programme)."""
    if CtoAppointment.objects.filter(talent=talent, status=AppointmentStatus.ACTIVE).exists():
        return
    for honour in Honour.objects.filter(talent=talent, programme=Programme.CHIEF_TECH_OFFICER):
        audit.record(
            actor=actor,
            action="registry.honour.remove",
            obj=honour,
            detail={"before": audit.snapshot(honour)},
        )
        honour.delete()
        _touch(talent)


def _touch(talent: Talent) -> None:
    """A changed honour changes the talent's features: the feature cache finds changes by `updated_at`."""
    Talent.objects.filter(pk=talent.pk).update(updated_at=timezone.now())


def _tell_appointed(appointment: CtoAppointment) -> None:
    account = appointment.talent.account
    if account is not None:
        notify(
            recipient=account,
            subject=f"您已被认定为{appointment.enterprise.name}首席技术官",
            body=f"任期 {appointment.term_starts:%Y-%m-%d} 至 {appointment.term_ends:%Y-%m-%d}，"
            f"证书编号 {appointment.certificate_number}。",
            link=f"/evaluation/cto/{appointment.pk}/certificate/",
            kind="evaluation.cto",
        )


# -- the yearly check and the end of terms ------------------------------------------------------------------


def yearly_check(
    *, actor: User, appointment: CtoAppointment, year: int, passed: bool, note: str = ""
) -> CtoYearlyCheck:
    """Record an appointment's check for `year` (one per year, a database fact). A failed check ends the
    appointment at once and removes the honour from the registry."""
    require(actor, Action.MANAGE_EVALUATION, appointment.case)
    note = (note or "").strip()
    with transaction.atomic():
        appointment = (
            CtoAppointment.objects.select_for_update().select_related("talent").get(pk=appointment.pk)
        )
        problems = []
        if appointment.status != AppointmentStatus.ACTIVE:
            problems.append(problem("appointment", "该首席技术官已不在任", "The appointment has ended"))
        first, last = appointment.term_starts.year, appointment.term_ends.year
        if not first <= year <= last:
            problems.append(
                problem(
                    "year",
                    f"考核年度须在任期内（{first}—{last}年）",
                    f"The year must fall in the term ({first}–{last})",
                )
            )
        if not passed and not note:
            problems.append(problem("note", "考核不合格须说明理由", "Give the reason for a failed check"))
        if CtoYearlyCheck.objects.filter(appointment=appointment, year=year).exists():
            problems.append(problem("year", f"{year}年度已考核", f"The {year} check is already recorded"))
        if problems:
            raise ValidationFailed(problems)
        try:
            with transaction.atomic():
                check = CtoYearlyCheck.objects.create(
                    appointment=appointment, year=year, passed=passed, note=note, checked_by=actor
                )
        except IntegrityError:  # a twin check committed meanwhile: the constraint is the fact
            raise ValidationFailed(
                [problem("year", f"{year}年度已考核", f"The {year} check is already recorded")]
            ) from None
        audit.record_creation(actor=actor, action="evaluation.cto.yearly_check", obj=check)
        if not passed:
            _end(actor, appointment, AppointmentStatus.REVOKED, f"{year}年度考核不合格：{note}")
    return check


def _end(actor: User | None, appointment: CtoAppointment, status: str, reason: str) -> None:
    before = audit.snapshot(appointment)
    appointment.status, appointment.ended_reason = status, reason
    appointment.save(update_fields=["status", "ended_reason"])
    audit.record_change(actor=actor, action=f"evaluation.cto.{status}", obj=appointment, before=before)
    _remove_honour(actor, appointment.talent)


def appointment_revoke_for_case(*, actor: User, case: Case, reason: str) -> CtoAppointment | None:
    """Revoke the appointment a CTO case made, when that case's result is revoked (called by
    `outcomes.case_revoke`, in its transaction): the appointment ends as revoked with the reason, the
    honour leaves the registry unless another active appointment still holds it, the talent is told.
    None when the case appointed nobody; an appointment already revoked is left as it is (idempotent)."""
    require(actor, Action.MANAGE_EVALUATION, case.round)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed([problem("reason", "请填写撤销原因", "Give the reason for revocation")])
    with transaction.atomic():
        # only the appointment's row is locked (the talent's account is an outer join PostgreSQL cannot lock)
        appointment = (
            CtoAppointment.objects.select_for_update(of=("self",))
            .select_related("talent__account", "enterprise")
            .filter(case=case)
            .first()
        )
        if appointment is None or appointment.status == AppointmentStatus.REVOKED:
            return appointment
        _end(actor, appointment, AppointmentStatus.REVOKED, f"评价结果撤销：{reason}")
        _tell_revoked(appointment)
    return appointment


def _tell_revoked(appointment: CtoAppointment) -> None:
    account = appointment.talent.account
    if account is not None:
        notify(
            recipient=account,
            subject=f"您的{appointment.enterprise.name}首席技术官任命已撤销",
            body=f"证书编号 {appointment.certificate_number} 已失效：{appointment.ended_reason}",
            link=f"/evaluation/cto/{appointment.pk}/certificate/",
            kind="evaluation.cto",
        )


def terms_sweep(today: dt.date | None = None) -> dict:
    """End the terms that are over (the day after `term_ends`): the daily sweep (`core.sweeps`, name
    "evaluation_cto"); idempotent. Returns {"cto_terms_ended": how many}."""
    today = today or timezone.localdate()
    ended = 0
    expired = CtoAppointment.objects.filter(status=AppointmentStatus.ACTIVE, term_ends__lt=today)
    for pk in expired.values_list("pk", flat=True):
        with transaction.atomic():
            appointment = (
                CtoAppointment.objects.select_for_update()
                .select_related("talent")
                .filter(pk=pk, status=AppointmentStatus.ACTIVE)
                .first()
            )
            if appointment is not None:
                _end(None, appointment, AppointmentStatus.ENDED, "任期届满")
                ended += 1
    return {"cto_terms_ended": ended}


# -- the market-regulation register -------------------------------------------------------------------------


@dataclass(frozen=True)
class OfficerInput:
    """One registered person of an enterprise, as the market-regulation register lists them."""

    role: str
    name: str
    id_number: str
    share_percent: str | Decimal | None = None
    registered_on: dt.date | None = None


def _officer_row(n: int, row: OfficerInput, today: dt.date) -> tuple[dict, list[Problem]]:
    problems = []
    field = f"rows.{n}"
    if row.role not in OfficerRole.values:
        problems.append(
            problem(
                f"{field}.role",
                "身份须为法定代表人或股东",
                "Role must be legal_representative or shareholder",
            )
        )
    if not row.name.strip():
        problems.append(problem(f"{field}.name", "请填写姓名", "Give the name"))
    number = normalize_id_number(row.id_number or "")
    if not is_valid_id_number(number):
        problems.append(problem(f"{field}.id_number", "身份证号码无效", "Invalid ID number"))
    share = None
    if row.share_percent not in (None, ""):
        try:
            share = Decimal(str(row.share_percent))
        except InvalidOperation:
            share = Decimal(-1)
        if not share.is_finite() or not Decimal(0) <= share <= Decimal(100):
            problems.append(
                problem(f"{field}.share_percent", "持股比例须在0至100之间", "Share must be 0–100%")
            )
    elif row.role == OfficerRole.SHAREHOLDER:
        problems.append(
            problem(f"{field}.share_percent", "股东须填写持股比例", "Give the shareholder's share")
        )
    values = {
        "role": row.role,
        "name": row.name.strip(),
        "id_number_index": id_number_index(number) if not problems else "",
        "share_percent": share,
        "registered_on": row.registered_on or today,
    }
    return values, problems


def officers_import(
    *, actor: User, enterprise: Enterprise, rows: Sequence[OfficerInput]
) -> list[EnterpriseOfficer]:
    """Replace an enterprise's registered legal representative and shareholders with the register's current
    list (every row's problems listed at once; nothing written unless all are valid). ID numbers are kept
    only as blind indexes: the CTO rules compare them, nobody reads them."""
    require(actor, Action.EDIT_REGISTRY, enterprise)
    today = timezone.localdate()
    cleaned, problems = [], []
    for n, row in enumerate(rows):
        values, row_problems = _officer_row(n, row, today)
        cleaned.append(values)
        problems += row_problems
    if sum(1 for v in cleaned if v["role"] == OfficerRole.LEGAL_REPRESENTATIVE) > 1:
        problems.append(problem("rows", "法定代表人只能有一名", "An enterprise has one legal representative"))
    if problems:
        raise ValidationFailed(problems)
    with transaction.atomic():
        before = [audit.snapshot(o) for o in EnterpriseOfficer.objects.filter(enterprise=enterprise)]
        EnterpriseOfficer.objects.filter(enterprise=enterprise).delete()
        officers = EnterpriseOfficer.objects.bulk_create(
            [EnterpriseOfficer(enterprise=enterprise, **values) for values in cleaned]
        )
        audit.record(
            actor=actor,
            action="evaluation.cto.officers_import",
            obj=enterprise,
            detail={"before": before, "after": [audit.snapshot(o) for o in officers]},
        )
    return officers


# -- reads (selectors) --------------------------------------------------------------------------------------


def appointments_for(user: User) -> QuerySet[CtoAppointment]:
    """The appointments the user sees: officers their region's, an enterprise its own, a talent theirs."""
    return visible_to(
        user, CtoAppointment.objects.select_related("enterprise", "talent", "case")
    ).prefetch_related("checks")


def open_cto_rounds(enterprise: Enterprise, today: dt.date | None = None) -> QuerySet[Round]:
    """The CTO rounds taking nominations that the enterprise's region lies in (rounds are public facts)."""
    today = today or timezone.localdate()
    return Round.objects.filter(
        scheme__purpose=Purpose.CHIEF_TECH_OFFICER,
        state=RoundState.OPEN,
        opens_on__lte=today,
        applications_due__gte=today,
        region_id__in=region_ancestor_ids(enterprise.region_id),
    ).order_by("applications_due", "pk")


def nominations_of(user: User) -> QuerySet[Case]:
    """The enterprise's CTO nominations (cases of CTO rounds), newest first."""
    return visible_to(
        user,
        Case.objects.filter(round__scheme__purpose=Purpose.CHIEF_TECH_OFFICER).select_related(
            "talent", "round"
        ),
    ).order_by("-pk")
