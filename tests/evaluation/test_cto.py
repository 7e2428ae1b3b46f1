"""Chief technology officers (首席技术官): nomination rules checked against the registry, the quota, the
appointment with its term, certificate and honour, the yearly check, the end of terms, the pages and API."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from rencai.core import sweeps
from rencai.core.errors import DomainError, ErrorCode, NotFound, ValidationFailed
from rencai.evaluation.choices import AppointmentStatus, CaseState, OfficerRole, Purpose
from rencai.evaluation.models import Case, CtoAppointment, CtoYearlyCheck, EnterpriseOfficer
from rencai.evaluation.services import cto
from rencai.policies.benefits import feature_row
from rencai.registry.models import Employment, Honour
from tests import factories
from tests.evaluation.builders import make_case, make_round, make_scheme

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LONG_AGO = TODAY - dt.timedelta(days=800)


def cto_round(world, **fields):
    scheme = make_scheme(world.regions["330800"], code="cto-2026", purpose=Purpose.CHIEF_TECH_OFFICER)
    return make_round(scheme, world.regions["330800"], opens_on=TODAY, **fields)


def employ(talent, enterprise, since=LONG_AGO, until=None):
    return Employment.objects.create(
        talent=talent,
        enterprise=enterprise,
        employer_name=enterprise.name,
        employment_type="full_time",
        started_on=since,
        ended_on=until,
    )


def register_officer(enterprise, talent, role, share=None):
    from rencai.core.pii import seal_id_number

    return EnterpriseOfficer.objects.create(
        enterprise=enterprise,
        role=role,
        name=talent.name if talent else "某股东",
        id_number_index=seal_id_number(factories.make_id_number()).index
        if talent is None
        else talent.id_number_index,
        share_percent=share,
        registered_on=dt.date(2015, 1, 1),
    )


def nominate(world, round_, talent=None, actor=None):
    return cto.cto_nominate(
        actor=actor or world.users["enterprise"],
        round=round_,
        talent=talent or world.talent_a,
        summary="主持研发三项授权发明专利并实现转化",
    )


def second_employee(world, enterprise=None, region=None):
    enterprise = enterprise or world.enterprise_a
    talent = factories.make_talent(region or world.county_a, current_employer=enterprise)
    employ(talent, enterprise)
    return talent


def enterprise_b_user(world):
    return factories.make_user("ent_b", "enterprise", enterprise=world.enterprise_b)


def recognized_case(round_, talent, enterprise):
    return make_case(
        round_,
        talent,
        state=CaseState.RECOGNIZED,
        enterprise=enterprise,
        region=enterprise.region,
        decided_at=timezone.now(),
    )


# -- nominating ---------------------------------------------------------------------------------------------


def test_an_enterprise_nominates_an_employee_who_meets_every_rule_and_the_system_confirms(world):
    round_ = cto_round(world)
    employ(world.talent_a, world.enterprise_a)

    case = nominate(world, round_)

    assert case.state == CaseState.CONFIRMED
    assert case.enterprise == world.enterprise_a and case.region == world.county_a
    assert case.applied_by == world.users["enterprise"]
    assert list(case.transitions.values_list("to_state", flat=True)) == ["submitted", "confirmed"]


def test_a_nominee_employed_for_less_than_twelve_months_is_refused_and_nothing_is_written(world):
    round_ = cto_round(world)
    since = TODAY - dt.timedelta(days=200)
    employ(world.talent_a, world.enterprise_a, since=since)

    with pytest.raises(ValidationFailed) as refused:
        nominate(world, round_)

    [problem] = refused.value.details
    assert problem["field"] == "employment"
    assert problem["message_zh"].startswith(
        f"被推荐人在本单位连续工作不满12个月：人才库记录自 {since:%Y-%m-%d} 起"
    )
    assert problem["message_en"].startswith(
        f"Employed here for less than 12 months: the registry shows employment since {since}"
    )
    assert not Case.objects.exists()


def test_a_break_in_employment_restarts_the_twelve_months_and_adjoining_spells_join(world):
    round_ = cto_round(world)
    employ(world.talent_a, world.enterprise_a, since=LONG_AGO, until=TODAY - dt.timedelta(days=300))
    employ(world.talent_a, world.enterprise_a, since=TODAY - dt.timedelta(days=100))  # a gap: starts again
    with pytest.raises(ValidationFailed):
        nominate(world, round_)

    joined = second_employee(world)
    Employment.objects.filter(talent=joined).update(ended_on=TODAY - dt.timedelta(days=200))
    employ(joined, world.enterprise_a, since=TODAY - dt.timedelta(days=199))  # the next day: unbroken
    assert nominate(world, round_, talent=joined).state == CaseState.CONFIRMED


def test_the_legal_representative_cannot_be_nominated(world):
    round_ = cto_round(world)
    employ(world.talent_a, world.enterprise_a)
    register_officer(world.enterprise_a, world.talent_a, OfficerRole.LEGAL_REPRESENTATIVE)

    with pytest.raises(ValidationFailed) as refused:
        nominate(world, round_)

    [problem] = refused.value.details
    assert problem["message_zh"] == "被推荐人是本单位的法定代表人（市场监管登记），不能担任首席技术官"
    assert (
        problem["message_en"]
        == "The nominee is the enterprise's registered legal representative and cannot be its CTO"
    )
    assert not Case.objects.exists()


def test_one_of_the_three_largest_shareholders_cannot_be_nominated_but_the_fourth_can(world):
    round_ = cto_round(world)
    fourth = second_employee(world)
    employ(world.talent_a, world.enterprise_a)
    register_officer(world.enterprise_a, None, OfficerRole.SHAREHOLDER, Decimal("40"))
    register_officer(world.enterprise_a, None, OfficerRole.SHAREHOLDER, Decimal("25"))
    register_officer(world.enterprise_a, world.talent_a, OfficerRole.SHAREHOLDER, Decimal("10"))
    register_officer(world.enterprise_a, fourth, OfficerRole.SHAREHOLDER, Decimal("5"))

    with pytest.raises(ValidationFailed) as refused:
        nominate(world, round_)
    assert (
        refused.value.details[0]["message_zh"]
        == "被推荐人是本单位前3大股东之一（市场监管登记），不能担任首席技术官"
    )
    assert refused.value.details[0]["message_en"] == (
        "The nominee is among the enterprise's 3 largest registered shareholders and cannot be its CTO"
    )

    assert nominate(world, round_, talent=fourth).state == CaseState.CONFIRMED


def test_every_failing_rule_is_listed_at_once(world):
    round_ = cto_round(world)
    register_officer(world.enterprise_a, world.talent_a, OfficerRole.LEGAL_REPRESENTATIVE)
    register_officer(world.enterprise_a, world.talent_a, OfficerRole.SHAREHOLDER, Decimal("60"))

    with pytest.raises(ValidationFailed) as refused:
        cto.cto_nominate(actor=world.users["enterprise"], round=round_, talent=world.talent_a, summary=" ")

    assert [p["field"] for p in refused.value.details] == [
        "employment",
        "legal_representative",
        "shareholder",
        "summary",
    ]
    assert refused.value.details[0]["message_en"].startswith("The registry shows no current employment")
    assert not Case.objects.exists()


def test_a_nomination_over_the_quota_is_refused_with_quota_exceeded(world):
    round_ = cto_round(world)
    user = enterprise_b_user(world)
    employ(world.talent_b, world.enterprise_b)
    other = second_employee(world, world.enterprise_b, world.county_b)
    nominate(world, round_, talent=world.talent_b, actor=user)

    with pytest.raises(DomainError) as refused:
        nominate(world, round_, talent=other, actor=user)

    assert refused.value.code == ErrorCode.QUOTA_EXCEEDED
    assert refused.value.message_zh == "龙游测试纸业的首席技术官名额已满：企业最多1名（含在任和推荐中的）"
    assert refused.value.message_en.startswith(
        "龙游测试纸业 has no CTO place left: an enterprise may have at most 1"
    )
    assert Case.objects.count() == 1


def test_a_platform_enterprise_nominates_two_and_not_three(world):
    round_ = cto_round(world)
    employ(world.talent_a, world.enterprise_a)
    nominate(world, round_)
    nominate(world, round_, talent=second_employee(world))

    with pytest.raises(DomainError) as refused:
        nominate(world, round_, talent=second_employee(world))
    assert refused.value.code == ErrorCode.QUOTA_EXCEEDED and "最多2名" in refused.value.message_zh


def test_a_round_of_another_purpose_takes_no_nomination(world, open_round):
    employ(world.talent_a, world.enterprise_a)
    open_round.opens_on = TODAY
    open_round.save()
    with pytest.raises(ValidationFailed) as refused:
        nominate(world, open_round)
    assert refused.value.details[0]["message_en"] == "This round does not evaluate chief technology officers"


def test_an_enterprise_cannot_nominate_another_enterprises_talent(world):
    round_ = cto_round(world)
    employ(world.talent_b, world.enterprise_b)
    with pytest.raises(NotFound):
        nominate(world, round_, talent=world.talent_b)
    assert not Case.objects.exists()


# -- appointing, the yearly check and the end of terms -------------------------------------------------------


def test_a_recognized_case_appoints_for_three_years_with_a_certificate_and_the_honour(world):
    round_ = cto_round(world)
    case = recognized_case(round_, world.talent_a, world.enterprise_a)

    appointment = cto.appoint_from_case(actor=world.users["city_org_dept"], case=case)

    assert appointment.slot == 1 and appointment.status == AppointmentStatus.ACTIVE
    assert appointment.term_starts == TODAY
    assert appointment.term_ends == TODAY.replace(year=TODAY.year + 3) - dt.timedelta(days=1)
    assert appointment.certificate_number == f"QZCTO-{TODAY.year}-{case.pk:06d}"
    honour = Honour.objects.get(talent=world.talent_a, programme="chief_tech_officer")
    assert (honour.level, honour.year) == ("city", TODAY.year)
    assert "chief_tech_officer" in feature_row(world.talent_a, TODAY)["programmes"]
    # called again for the same case (a retried decision): the same appointment, nothing new
    assert cto.appoint_from_case(actor=world.users["city_org_dept"], case=case) == appointment
    assert (
        CtoAppointment.objects.count() == 1
        and Honour.objects.filter(programme="chief_tech_officer").count() == 1
    )


def test_a_case_not_recognized_appoints_nobody(world):
    case = make_case(cto_round(world), world.talent_a, state=CaseState.NOTICE)
    with pytest.raises(DomainError) as refused:
        cto.appoint_from_case(actor=world.users["city_org_dept"], case=case)
    assert refused.value.code == ErrorCode.ILLEGAL_TRANSITION and not CtoAppointment.objects.exists()


def test_a_full_enterprise_gets_no_second_appointment(world):
    round_ = cto_round(world)
    other = second_employee(world, world.enterprise_b, world.county_b)
    cto.appoint_from_case(
        actor=world.users["city_org_dept"], case=recognized_case(round_, world.talent_b, world.enterprise_b)
    )

    with pytest.raises(DomainError) as refused:
        cto.appoint_from_case(
            actor=world.users["city_org_dept"], case=recognized_case(round_, other, world.enterprise_b)
        )
    assert refused.value.code == ErrorCode.QUOTA_EXCEEDED
    assert CtoAppointment.objects.count() == 1
    assert not Honour.objects.filter(talent=other).exists()


def test_a_platform_enterprise_gets_a_second_slot(world):
    round_ = cto_round(world)
    city = world.users["city_org_dept"]
    first = cto.appoint_from_case(
        actor=city, case=recognized_case(round_, world.talent_a, world.enterprise_a)
    )
    second = cto.appoint_from_case(
        actor=city, case=recognized_case(round_, second_employee(world), world.enterprise_a)
    )
    assert (first.slot, second.slot) == (1, 2)


def test_a_passed_yearly_check_keeps_the_appointment_and_one_check_a_year(world):
    appointment = cto.appoint_from_case(
        actor=world.users["city_org_dept"],
        case=recognized_case(cto_round(world), world.talent_a, world.enterprise_a),
    )
    check = cto.yearly_check(
        actor=world.users["county_org_dept"], appointment=appointment, year=TODAY.year, passed=True
    )
    assert check.passed and CtoAppointment.objects.get().status == AppointmentStatus.ACTIVE

    with pytest.raises(ValidationFailed) as refused:
        cto.yearly_check(
            actor=world.users["county_org_dept"], appointment=appointment, year=TODAY.year, passed=True
        )
    assert refused.value.details[0]["message_en"] == f"The {TODAY.year} check is already recorded"
    assert CtoYearlyCheck.objects.count() == 1


def test_a_failed_yearly_check_ends_the_appointment_and_removes_the_honour(world):
    appointment = cto.appoint_from_case(
        actor=world.users["city_org_dept"],
        case=recognized_case(cto_round(world), world.talent_a, world.enterprise_a),
    )
    with pytest.raises(ValidationFailed):  # a failed check says why
        cto.yearly_check(
            actor=world.users["city_org_dept"], appointment=appointment, year=TODAY.year, passed=False
        )

    cto.yearly_check(
        actor=world.users["city_org_dept"],
        appointment=appointment,
        year=TODAY.year,
        passed=False,
        note="未履职",
    )

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.REVOKED and "未履职" in appointment.ended_reason
    assert not Honour.objects.filter(talent=world.talent_a, programme="chief_tech_officer").exists()
    assert "chief_tech_officer" not in feature_row(world.talent_a, TODAY)["programmes"]


def test_an_officer_of_another_county_cannot_check(world):
    appointment = cto.appoint_from_case(
        actor=world.users["city_org_dept"],
        case=recognized_case(cto_round(world), world.talent_b, world.enterprise_b),
    )
    with pytest.raises(DomainError):
        cto.yearly_check(
            actor=world.users["county_org_dept"], appointment=appointment, year=TODAY.year, passed=True
        )
    assert not CtoYearlyCheck.objects.exists()


def test_the_sweep_ends_terms_that_are_over(world):
    appointment = cto.appoint_from_case(
        actor=world.users["city_org_dept"],
        case=recognized_case(cto_round(world), world.talent_a, world.enterprise_a),
    )
    assert cto.terms_sweep(appointment.term_ends) == {
        "cto_terms_ended": 0
    }  # the last day of the term is still in it

    assert cto.terms_sweep(appointment.term_ends + dt.timedelta(days=1)) == {"cto_terms_ended": 1}
    assert "evaluation_cto" in sweeps.registered()

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.ENDED and appointment.ended_reason == "任期届满"
    assert not Honour.objects.filter(programme="chief_tech_officer").exists()


# -- the register of officers -------------------------------------------------------------------------------


def test_the_register_import_replaces_the_officers_and_lists_every_bad_row(world):
    rows = [
        cto.OfficerInput("legal_representative", "法人", factories.make_id_number()),
        cto.OfficerInput("shareholder", "股东甲", factories.make_id_number(), "51.5"),
    ]
    officers = cto.officers_import(
        actor=world.users["county_org_dept"], enterprise=world.enterprise_a, rows=rows
    )
    assert [o.role for o in officers] == ["legal_representative", "shareholder"]
    assert all(len(o.id_number_index) > 10 for o in officers)

    with pytest.raises(ValidationFailed) as refused:
        cto.officers_import(
            actor=world.users["county_org_dept"],
            enterprise=world.enterprise_a,
            rows=[cto.OfficerInput("shareholder", "", "123", "120")],
        )
    assert [p["field"] for p in refused.value.details] == [
        "rows.0.name",
        "rows.0.id_number",
        "rows.0.share_percent",
    ]
    assert EnterpriseOfficer.objects.filter(enterprise=world.enterprise_a).count() == 2


# -- pages and API ------------------------------------------------------------------------------------------


def test_the_nomination_form_shows_the_rule_check_before_submitting(client, world):
    round_ = cto_round(world)
    employ(world.talent_a, world.enterprise_a, since=TODAY - dt.timedelta(days=30))
    client.force_login(world.users["enterprise"])

    html = client.get(
        reverse("evaluation:cto_nominate"), {"round": round_.pk, "talent": world.talent_a.pk}
    ).content.decode()

    assert 'data-rule="employment" data-passed="false"' in html
    assert "被推荐人在本单位连续工作不满12个月" in html
    assert 'data-rule="legal_representative" data-passed="true"' in html
    assert not Case.objects.exists()
    # the staff list holds the enterprise's own employees only
    assert world.talent_a.name in html and world.talent_b.name not in html


def test_submitting_the_form_nominates_and_a_refusal_is_shown_with_every_problem(client, world):
    round_ = cto_round(world)
    client.force_login(world.users["enterprise"])
    data = {"round": round_.pk, "talent": world.talent_a.pk, "summary": "研发负责人", "submit": "1"}

    refused = client.post(reverse("evaluation:cto_nominate"), data)
    assert refused.status_code == 422 and "人才库中没有被推荐人在本单位的在职记录" in refused.content.decode()

    employ(world.talent_a, world.enterprise_a)
    response = client.post(reverse("evaluation:cto_nominate"), data)
    assert response.status_code == 302
    assert Case.objects.get().state == CaseState.CONFIRMED


def test_the_certificate_is_printable_and_seen_by_the_talent_and_the_enterprise_only(client, world):
    appointment = cto.appoint_from_case(
        actor=world.users["city_org_dept"],
        case=recognized_case(cto_round(world), world.talent_a, world.enterprise_a),
    )
    url = reverse("evaluation:cto_certificate", args=[appointment.pk])
    for role in ("talent", "enterprise", "county_org_dept"):
        client.force_login(world.users[role])
        html = client.get(url).content.decode()
        assert f'data-certificate="{appointment.certificate_number}"' in html
        assert "江山甲" in html and "江山天蓬测试集团" in html
        assert f"{appointment.term_starts:%Y-%m-%d} — {appointment.term_ends:%Y-%m-%d}" in html
        assert "@media print" in html
    client.force_login(enterprise_b_user(world))
    assert client.get(url).status_code == 404
    client.force_login(world.users["reviewer"])
    assert client.get(url).status_code == 404


def test_the_register_lists_appointments_in_scope_and_records_a_check(client, world):
    city = world.users["city_org_dept"]
    round_ = cto_round(world)
    mine = cto.appoint_from_case(actor=city, case=recognized_case(round_, world.talent_a, world.enterprise_a))
    cto.appoint_from_case(actor=city, case=recognized_case(round_, world.talent_b, world.enterprise_b))
    client.force_login(world.users["county_org_dept"])

    html = client.get(reverse("evaluation:cto_register")).content.decode()
    assert f'data-appointment="{mine.pk}"' in html and "龙游丙" not in html

    response = client.post(
        reverse("evaluation:cto_check", args=[mine.pk]), {"year": TODAY.year, "passed": "1", "note": ""}
    )
    assert response.status_code == 302
    html = client.get(reverse("evaluation:cto_register")).content.decode()
    assert f'data-check-year="{TODAY.year}"' in html


def test_the_api_nominates_once_per_key_and_lists_appointments(client, world):
    round_ = cto_round(world)
    employ(world.talent_a, world.enterprise_a)
    client.force_login(world.users["enterprise"])
    body = {"round_id": round_.pk, "talent_id": world.talent_a.pk, "summary": "研发负责人"}

    first = client.post(
        "/api/evaluation/cto/nominations", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    again = client.post(
        "/api/evaluation/cto/nominations", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert first.status_code == 201 and again.status_code == 201
    assert first.json()["id"] == again.json()["id"] and Case.objects.count() == 1
    assert first.json()["state"] == "confirmed"

    over = client.post(
        "/api/evaluation/cto/nominations",
        {**body, "talent_id": second_employee(world).pk},
        content_type="application/json",
    )
    assert over.status_code == 201  # a platform enterprise has two places

    third = client.post(
        "/api/evaluation/cto/nominations",
        {**body, "talent_id": second_employee(world).pk},
        content_type="application/json",
    )
    assert third.status_code == 409 and third.json()["code"] == "quota_exceeded"

    cto.appoint_from_case(
        actor=world.users["city_org_dept"], case=recognized_case(round_, world.talent_b, world.enterprise_b)
    )
    listed = client.get("/api/evaluation/cto/appointments").json()
    assert listed == []  # enterprise A sees its own appointments only
    client.force_login(world.users["city_org_dept"])
    [row] = client.get("/api/evaluation/cto/appointments").json()
    assert row["talent_name"] == "龙游丙" and row["slot"] == 1
