"""Results reach the rest of the platform: a recognized tier and honour are written to the registry (the
next matching run turns them into entitlements, 免申即享), a CTO case appoints, an annual case releases
or withholds a staged benefit's instalment; revoking a result undoes what it wrote and flags the
entitlements that rested on it for review."""

from django.db import transaction
from django.utils import timezone

from rencai.accounts.models import User
from rencai.core import audit
from rencai.core.access import Action, require
from rencai.core.errors import ValidationFailed, problem
from rencai.evaluation.choices import CaseState, Purpose
from rencai.evaluation.models import Case
from rencai.evaluation.statemachine import Party, move
from rencai.registry.choices import ProgrammeLevel
from rencai.registry.models import Honour, Talent

TIER_ORDER = "ABCDE"  # A is the highest


def _higher(tier: str, than: str) -> bool:
    return bool(tier) and (not than or TIER_ORDER.index(tier) < TIER_ORDER.index(than))


def reference_of(case: Case) -> str:
    return f"evaluation-case:{case.pk}"


def apply_result(*, actor: User, case: Case) -> Case:
    """Write a recognized case's result to the registry: the tier when it is higher than the talent's (the
    previous tier kept in `registry_effect`, so revocation can restore it) and the honour as a city-level
    registry honour of the round's year. Then the purpose's own consequence. Called by `case_decide`,
    inside the decision it has authorised."""
    with transaction.atomic():
        talent = Talent.objects.select_for_update().get(pk=case.talent_id)
        effect: dict = {}
        if _higher(case.result_tier, talent.tier):
            before = audit.snapshot(talent)
            effect.update(previous_tier=talent.tier, tier=case.result_tier)
            talent.tier = case.result_tier
            talent.save(update_fields=["tier", "updated_at"])
            audit.record_change(
                actor=actor,
                action="talent.tier_from_evaluation",
                obj=talent,
                before=before,
                detail={"case": case.pk},
            )
        if case.result_honour:
            honour, created = Honour.objects.get_or_create(
                talent=talent,
                programme=case.result_honour,
                defaults={"level": ProgrammeLevel.CITY, "year": case.round.year},
            )
            if created:  # an honour held already (an earlier year) is left as it was
                effect["honour_id"] = honour.pk
                audit.record_creation(
                    actor=actor, action="talent.honour_from_evaluation", obj=honour, detail={"case": case.pk}
                )
        case.registry_effect = effect
        case.save(update_fields=["registry_effect", "updated_at"])
        _purpose_consequence(actor, case, passed=True)
    return case


def conclude_not_recognized(*, actor: User, case: Case) -> None:
    """What a case that ends not recognized changes elsewhere: an annual evaluation withholds that year's
    instalment of the talent's staged benefit."""
    _purpose_consequence(actor, case, passed=False)


def _purpose_consequence(actor: User, case: Case, *, passed: bool) -> None:
    purpose = case.round.scheme.purpose
    if purpose == Purpose.ANNUAL:
        # written by the staged-benefits part; imported here so that this module stands without it
        from rencai.policies.instalments import release_for_evaluation

        release_for_evaluation(
            talent_id=case.talent_id, year=case.round.year, passed=passed, reference=reference_of(case)
        )
    elif purpose == Purpose.CHIEF_TECH_OFFICER and passed:
        from rencai.evaluation.services.cto import appoint_from_case

        appoint_from_case(actor=actor, case=case)


def case_revoke(*, actor: User, case: Case, reason: str) -> Case:
    """Revoke a recognized result: the previous tier comes back (unless the tier has changed since), the
    honour it created is removed, a chief technology officer's appointment it made is revoked
    (`cto.appointment_revoke_for_case`), and the talent's entitlements that no longer hold without it are
    flagged for review (`policies.services.flag_for_review`)."""
    from rencai.policies.services import flag_for_review

    require(actor, Action.MANAGE_EVALUATION, case.round)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed([problem("reason", "请填写撤销原因", "Give the reason for revocation")])
    with transaction.atomic():
        move(case, CaseState.REVOKED, actor=actor, party=Party.MANAGER, comment=reason)
        before = audit.snapshot(case)
        _undo(actor, case)
        if case.round.scheme.purpose == Purpose.CHIEF_TECH_OFFICER:
            # the appointment rested on the result: it ends with it (and the honour, unless held otherwise)
            from rencai.evaluation.services.cto import appointment_revoke_for_case

            appointment_revoke_for_case(actor=actor, case=case, reason=reason)
        flagged = flag_for_review(actor=actor, talent_id=case.talent_id, reason=f"评价结果撤销：{reason}")
        case.revoked_reason = reason
        case.save(update_fields=["revoked_reason", "updated_at"])
        audit.record_change(
            actor=actor,
            action="evaluation.case.revoke",
            obj=case,
            before=before,
            detail={"reason": reason, "entitlements_flagged": flagged, "at": timezone.now()},
        )
    return case


def _undo(actor: User, case: Case) -> None:
    effect = case.registry_effect or {}
    talent = Talent.objects.select_for_update().get(pk=case.talent_id)
    if effect.get("tier") and talent.tier == effect["tier"]:
        before = audit.snapshot(talent)
        talent.tier = effect.get("previous_tier", "")
        talent.save(update_fields=["tier", "updated_at"])
        audit.record_change(
            actor=actor, action="talent.tier_revoked", obj=talent, before=before, detail={"case": case.pk}
        )
    honour = Honour.objects.filter(pk=effect.get("honour_id") or 0).first()
    if honour is not None:
        audit.record(
            actor=actor,
            action="talent.honour_revoked",
            obj=honour,
            detail={"case": case.pk, "before": audit.snapshot(honour)},
        )
        honour.delete()
        # the feature frame re-reads a talent whose row changed: the honour's removal must reach it
        Talent.objects.filter(pk=talent.pk).update(updated_at=timezone.now())
