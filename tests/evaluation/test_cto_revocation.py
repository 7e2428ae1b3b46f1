"""Revoking a recognized chief-technology-officer result ends the appointment it made: the appointment is
revoked with the reason, the honour leaves the registry (so the CTO allowance is flagged for review), the
talent is told, the certificate says so, and all of it is audited."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from rencai.core.audit import verify_chain
from rencai.core.errors import PermissionDenied, ValidationFailed
from rencai.core.models import AuditEntry, Notification
from rencai.evaluation.choices import AppointmentStatus, CaseState, Purpose
from rencai.evaluation.models import Case, CtoAppointment
from rencai.evaluation.services import cto, notices, outcomes
from rencai.policies.matching import run_match
from rencai.policies.models import Entitlement, Policy, PolicyVersion
from rencai.registry.models import Honour
from tests.evaluation.builders import make_case, make_round, make_scheme, today_is

pytestmark = pytest.mark.django_db
S = CaseState
PUBLISHED = dt.date(2026, 9, 29)
AFTER = dt.date(2026, 10, 13)  # the day after the five-working-day notice
REASON = "推荐材料中的授权专利系伪造"


def _cto_allowance(world) -> Policy:
    """The demo CTO allowance: every talent holding the chief-technology-officer honour, proactively."""
    policy = Policy.objects.create(
        code="cto-allowance",
        name="首席技术官津贴",
        region=world.regions["330800"],
        kind="subsidy",
        is_proactive=True,
    )
    PolicyVersion.objects.create(
        policy=policy,
        number=1,
        effective_from=dt.date(2017, 1, 1),
        eligibility_rule='"chief_tech_officer" in talent.programmes',
        amount_rule="50000",
        status="issued",
    )
    return policy


@pytest.fixture
def appointed(world, monkeypatch):
    """Talent A recognized as enterprise A's chief technology officer after a clean notice: the decision
    appoints (outcomes → cto.appoint_from_case)."""
    city = world.regions["330800"]
    scheme = make_scheme(city, code="cto-2026", purpose=Purpose.CHIEF_TECH_OFFICER)
    case = make_case(
        make_round(scheme, city),
        world.talent_a,
        state=S.SECOND_PASSED,
        enterprise=world.enterprise_a,
        total_score=Decimal("88"),
    )
    today_is(monkeypatch, PUBLISHED)
    notices.notice_publish(actor=world.users["city_org_dept"], round=case.round)
    today_is(monkeypatch, AFTER)
    notices.case_decide(actor=world.users["city_org_dept"], case=case)
    return CtoAppointment.objects.get(case=case)


def test_revoking_a_cto_result_revokes_the_appointment_and_removes_the_honour(world, appointed):
    assert appointed.status == AppointmentStatus.ACTIVE
    assert Honour.objects.filter(talent=world.talent_a, programme="chief_tech_officer").exists()

    outcomes.case_revoke(actor=world.users["city_org_dept"], case=appointed.case, reason=REASON)

    appointment = CtoAppointment.objects.get(pk=appointed.pk)
    assert appointment.status == AppointmentStatus.REVOKED
    assert REASON in appointment.ended_reason
    assert Case.objects.get(pk=appointed.case_id).state == S.REVOKED
    assert not Honour.objects.filter(talent=world.talent_a, programme="chief_tech_officer").exists()
    entry = AuditEntry.objects.get(action="evaluation.cto.revoked", object_id=str(appointment.pk))
    assert entry.detail["before"]["status"] == "active" and entry.detail["after"]["status"] == "revoked"
    assert verify_chain().ok


def test_the_cto_allowance_resting_on_the_appointment_is_flagged_for_review(world, appointed):
    policy = _cto_allowance(world)
    run_match(evaluation_date=AFTER)
    assert Entitlement.objects.get(policy=policy, talent=world.talent_a).status == "granted"

    outcomes.case_revoke(actor=world.users["city_org_dept"], case=appointed.case, reason=REASON)

    assert Entitlement.objects.get(policy=policy, talent=world.talent_a).status == "flagged"


def test_the_talent_is_told_and_the_certificate_shows_the_revocation(client, world, appointed):
    outcomes.case_revoke(actor=world.users["city_org_dept"], case=appointed.case, reason=REASON)

    message = Notification.objects.filter(recipient=world.users["talent"], kind="evaluation.cto").latest("pk")
    assert "撤销" in message.subject and appointed.certificate_number in message.body
    client.force_login(world.users["talent"])
    html = client.get(reverse("evaluation:cto_certificate", args=[appointed.pk])).content.decode()
    assert 'data-status="revoked"' in html and REASON in html


def test_the_appointment_is_revoked_once_and_a_second_call_changes_nothing(world, appointed):
    city = world.users["city_org_dept"]
    outcomes.case_revoke(actor=city, case=appointed.case, reason=REASON)
    audited = AuditEntry.objects.filter(action="evaluation.cto.revoked").count()

    again = cto.appointment_revoke_for_case(actor=city, case=appointed.case, reason="再次撤销")

    assert again.pk == appointed.pk and REASON in again.ended_reason
    assert AuditEntry.objects.filter(action="evaluation.cto.revoked").count() == audited == 1


def test_a_case_that_appointed_nobody_revokes_nothing(world, open_round):
    case = make_case(open_round, world.talent_a, state=S.RECOGNIZED)

    assert (
        cto.appointment_revoke_for_case(actor=world.users["city_org_dept"], case=case, reason=REASON) is None
    )


def test_revocation_needs_a_reason_and_the_organizers_right_and_nothing_changes_otherwise(world, appointed):
    with pytest.raises(ValidationFailed):
        outcomes.case_revoke(actor=world.users["city_org_dept"], case=appointed.case, reason="  ")
    with pytest.raises(ValidationFailed):
        cto.appointment_revoke_for_case(actor=world.users["city_org_dept"], case=appointed.case, reason="")
    # the round is the city's: a county officer does not manage it
    with pytest.raises(PermissionDenied):
        cto.appointment_revoke_for_case(
            actor=world.users["county_org_dept"], case=appointed.case, reason=REASON
        )

    assert CtoAppointment.objects.get(pk=appointed.pk).status == AppointmentStatus.ACTIVE
    assert Honour.objects.filter(talent=world.talent_a, programme="chief_tech_officer").exists()


def test_revoking_from_the_case_page_ends_the_appointment(client, world, appointed):
    client.force_login(world.users["city_org_dept"])

    response = client.post(reverse("evaluation:case_revoke", args=[appointed.case_id]), {"reason": REASON})

    assert response.status_code == 302
    assert CtoAppointment.objects.get(pk=appointed.pk).status == AppointmentStatus.REVOKED
    register = client.get(reverse("evaluation:cto_register")).content.decode()
    assert f'data-appointment="{appointed.pk}" data-status="revoked"' in register
