"""Referrals (推荐): an agency under contract proposes a candidate for a published demand, with the
candidate's recorded consent. The first live referral of a person to an enterprise wins; a later one is
refused with the date of the earlier one, never the name of the agency that made it.

The rule's final word is the database's: the partial unique index `referral_first_valid_wins` on
(enterprise, the person's blind index) over the live states. The look-up before the insert only words the
refusal; two agencies referring the same person at the same moment are decided by the index.
"""

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from rencai.accounts.models import User
from rencai.core import audit
from rencai.core.access import Action, can_see, holders, require, visible_to
from rencai.core.errors import (
    DomainError,
    ErrorCode,
    NotFound,
    PermissionDenied,
    Problem,
    ValidationFailed,
    problem,
)
from rencai.core.notifications import notify
from rencai.core.pii import id_number_index, seal_id_number, seal_phone
from rencai.core.validators import InvalidValue, is_valid_id_number, normalize_id_number, validate_phone
from rencai.recruitment.choices import LIVE_REFERRAL_STATES, DemandState, ReferralState
from rencai.recruitment.models import Agency, Candidate, Demand, Referral
from rencai.recruitment.services.agencies import agency_of, under_contract
from rencai.registry.choices import Degree, Industry, TalentStatus
from rencai.registry.models import Talent

MAX_STATEMENT = 5000
MAX_NOTE = 2000

# Who moves a referral where: the enterprise records the interview and its outcome, the agency withdraws
# (which frees the person for another agency). `placed` is set by the placement confirmed by the registry.
TRANSITIONS: dict[str, dict[str, Action]] = {
    ReferralState.REFERRED: {
        ReferralState.INTERVIEWED: Action.POST_DEMAND,
        ReferralState.FAILED: Action.POST_DEMAND,
        ReferralState.WITHDRAWN: Action.REFER_CANDIDATE,
    },
    ReferralState.INTERVIEWED: {
        ReferralState.FAILED: Action.POST_DEMAND,
        ReferralState.WITHDRAWN: Action.REFER_CANDIDATE,
    },
}


# -- reads --------------------------------------------------------------------------------------------------


def referrals_for(user) -> QuerySet[Referral]:
    """The referrals the user sees: an agency's users their agency's, an enterprise those to its demands,
    officers their region's. Candidate data are shown masked only (the model holds no clear text)."""
    return visible_to(
        user, Referral.objects.select_related("agency", "demand", "enterprise", "candidate")
    ).order_by("-created_at", "-pk")


def earlier_referral(enterprise_id: int, person_index: str) -> Referral | None:
    """The live referral that holds this person for this enterprise, if any."""
    return (
        Referral.objects.filter(
            enterprise_id=enterprise_id, person_index=person_index, state__in=LIVE_REFERRAL_STATES
        )
        .select_related("agency")
        .first()
    )


# -- checks -------------------------------------------------------------------------------------------------


def _candidate_problems(data: Mapping[str, Any]) -> tuple[dict[str, str], list[Problem]]:
    """The candidate's cleaned fields and every problem with them."""
    problems: list[Problem] = []
    name = str(data.get("name") or "").strip()
    if not name or len(name) > 100:
        problems.append(
            problem("name", "请填写候选人姓名（100字以内）", "Give the candidate's name (up to 100)")
        )
    id_number = normalize_id_number(str(data.get("id_number") or ""))
    if not is_valid_id_number(id_number):
        problems.append(problem("id_number", "身份证号码无效", "The ID number is not valid"))
    phone = str(data.get("phone") or "").strip()
    if phone:
        try:
            phone = validate_phone(phone)
        except InvalidValue as error:
            problems.append(problem("phone", error.zh, error.en))
    degree = str(data.get("degree") or "")
    if degree and degree not in Degree.values:
        problems.append(problem("degree", "请选择学历", "Choose a degree"))
    field = str(data.get("field") or "")
    if field and field not in Industry.values:
        problems.append(problem("field", "请选择专业领域", "Choose a field"))
    cleaned = {"name": name, "id_number": id_number, "phone": phone, "degree": degree, "field": field}
    return cleaned, problems


def _consent_problems(statement: str, consent_at: dt.datetime | None) -> list[Problem]:
    problems = []
    if not statement.strip():
        problems.append(
            problem(
                "consent_statement",
                "请填写候选人本人同意被推荐的声明",
                "Record the candidate's own consent to be referred",
            )
        )
    if consent_at is None:
        problems.append(
            problem("consent_at", "请填写本人同意的时间", "Give the time the candidate consented")
        )
    elif consent_at > timezone.now():
        problems.append(
            problem("consent_at", "本人同意时间不能晚于现在", "Consent cannot be given in the future")
        )
    return problems


def _agency_for_referring(actor: User) -> Agency:
    agency = agency_of(actor)
    if agency is None:
        raise PermissionDenied("您的账号未关联中介机构", "Your login does not work for an agency")
    require(actor, Action.REFER_CANDIDATE, agency)
    if not under_contract(agency):
        raise PermissionDenied(
            f"本机构不在合同期内（{agency.contract_starts:%Y-%m-%d} 至 "
            f"{agency.contract_ends:%Y-%m-%d}），不能推荐",
            f"Your agency is not under contract today ({agency.contract_starts} to "
            f"{agency.contract_ends}) and may not refer",
        )
    return agency


def _refused_as_duplicate(earlier: Referral, agency: Agency) -> DomainError:
    """The reason, with the earlier referral's date; the other agency is never named (its candidates and
    fees are its business)."""
    day = timezone.localtime(earlier.created_at).date()
    if earlier.agency_id == agency.pk:
        return DomainError(
            ErrorCode.ALREADY_REFERRED,
            f"本机构已于 {day:%Y-%m-%d} 向该单位推荐过此人，不能重复推荐",
            f"Your agency already referred this person to this enterprise on {day}",
        )
    return DomainError(
        ErrorCode.ALREADY_REFERRED,
        f"此人已于 {day:%Y-%m-%d} 由其他机构推荐至该单位，按首次有效推荐认定，本次推荐不予受理",
        f"This person was referred to this enterprise earlier by another agency, on {day}; the first valid "
        "referral counts, so this one is refused",
    )


# -- writes -------------------------------------------------------------------------------------------------


def _candidate_for(cleaned: dict[str, str], demand: Demand) -> Candidate:
    """The one candidate row of this person (found by the ID blind index), created on first referral; a
    concurrent creation of the same person is answered with the row that won."""
    index = id_number_index(cleaned["id_number"])
    found = Candidate.objects.filter(id_number_index=index).first()
    if found is not None:
        return found
    sealed = seal_id_number(cleaned["id_number"])
    phone = seal_phone(cleaned["phone"]) if cleaned["phone"] else None
    try:
        with transaction.atomic():
            return Candidate.objects.create(
                name=cleaned["name"],
                id_number_ciphertext=sealed.ciphertext,
                id_number_index=sealed.index,
                id_number_masked=sealed.masked,
                phone_ciphertext=phone.ciphertext if phone else "",
                phone_masked=phone.masked if phone else "",
                degree=cleaned["degree"],
                field=cleaned["field"],
                region=demand.region,
            )
    except IntegrityError:
        return Candidate.objects.get(id_number_index=index)


def referral_create(
    *,
    actor: User,
    demand: Demand,
    candidate_data: Mapping[str, Any],
    consent_statement: str,
    consent_at: dt.datetime | None,
    note: str = "",
) -> Referral:
    """Refer a candidate for a published demand on behalf of the actor's agency (under contract today)."""
    agency = _agency_for_referring(actor)
    if demand.state != DemandState.PUBLISHED or demand.expires_on < timezone.localdate():
        raise DomainError(
            ErrorCode.ILLEGAL_TRANSITION,
            "该需求未发布或已关闭，不能推荐",
            "This demand is not published (or is closed); candidates cannot be referred to it",
        )
    cleaned, problems = _candidate_problems(candidate_data)
    if len(note) > MAX_NOTE:
        problems.append(
            problem("note", f"推荐说明不能超过{MAX_NOTE}字", f"The note is over {MAX_NOTE} characters")
        )
    consent = _consent_problems(consent_statement or "", consent_at)
    if consent:
        raise DomainError(
            ErrorCode.CONSENT_MISSING,
            "没有候选人本人同意的记录，不能推荐",
            "The candidate's consent is not recorded; a candidate cannot be referred without it",
            details=problems + consent,
        )
    if len(consent_statement) > MAX_STATEMENT:
        problems.append(
            problem(
                "consent_statement",
                f"同意书不能超过{MAX_STATEMENT}字",
                f"The consent statement is over {MAX_STATEMENT} characters",
            )
        )
    if problems:
        raise ValidationFailed(problems)
    assert consent_at is not None  # refused above without it
    person_index = id_number_index(cleaned["id_number"])
    if Talent.objects.filter(
        id_number_index=person_index, current_employer_id=demand.enterprise_id, status=TalentStatus.ACTIVE
    ).exists():
        # the registry already has the person at this enterprise: a referral would bring nobody
        raise DomainError(
            ErrorCode.ALREADY_EMPLOYED,
            "人才库显示该人才已在该单位工作，不能再推荐",
            "The registry shows the candidate already works at this enterprise: no referral to it",
        )
    with transaction.atomic():
        earlier = earlier_referral(demand.enterprise_id, person_index)
        if earlier is not None:
            raise _refused_as_duplicate(earlier, agency)
        candidate = _candidate_for(cleaned, demand)
        try:
            with transaction.atomic():
                referral = Referral.objects.create(
                    agency=agency,
                    demand=demand,
                    enterprise_id=demand.enterprise_id,
                    region_id=demand.region_id,
                    candidate=candidate,
                    person_index=person_index,
                    consent_at=consent_at,
                    consent_statement=consent_statement.strip(),
                    note=note.strip(),
                    referred_by=actor,
                )
        except IntegrityError:
            # a concurrent referral of the same person to the same enterprise committed first
            winner = earlier_referral(demand.enterprise_id, person_index)
            if winner is None:
                raise
            raise _refused_as_duplicate(winner, agency) from None
        audit.record_creation(
            actor=actor,
            action="recruitment.referral.create",
            obj=referral,
            detail={"candidate": candidate.name, "demand": demand.title},
        )
        _tell_enterprise(referral)
    return referral


def _tell_enterprise(referral: Referral) -> None:
    users = User.objects.filter(
        holders(Action.POST_DEMAND), enterprise_id=referral.enterprise_id, is_active=True
    )
    for user in users:
        notify(
            recipient=user,
            subject=f"收到人才推荐：{referral.demand.title}",
            body=f"中介机构推荐了候选人{referral.candidate.name}，请在“推荐人才”中查看并记录面试结果。",
            link="/recruitment/referrals/",
            kind="recruitment.referral",
        )


def referral_update_state(*, actor: User, referral: Referral, state: str) -> Referral:
    """Move a referral: interviewed or failed (the enterprise), withdrawn (the agency). A withdrawn or
    failed referral no longer holds the person: another agency may then refer them."""
    target = ReferralState(state) if state in ReferralState.values else None
    allowed = TRANSITIONS.get(referral.state, {})
    if target is None or target not in allowed:
        if not can_see(actor, referral):
            raise NotFound()
        raise DomainError(
            ErrorCode.ILLEGAL_TRANSITION,
            "该推荐当前状态下不能进行此操作",
            "This referral cannot be moved to that state from its current state",
        )
    require(actor, allowed[target], referral)
    with transaction.atomic():
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
        if TRANSITIONS.get(locked.state, {}).get(target) != allowed[target]:
            raise DomainError(
                ErrorCode.ILLEGAL_TRANSITION,
                "该推荐的状态已被他人更改，请刷新后重试",
                "This referral was changed by someone else meanwhile; reload and try again",
            )
        before = audit.snapshot(locked)
        # a conditional UPDATE on the state read under the lock: one move wins
        Referral.objects.filter(pk=locked.pk, state=locked.state).update(
            state=target, updated_at=timezone.now()
        )
        locked.refresh_from_db()
        audit.record_change(actor=actor, action="recruitment.referral.state", obj=locked, before=before)
    return locked
