"""Cases through application, employer confirmation, the one correction notice, first and second review."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from rencai.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from rencai.core.models import Notification
from rencai.evaluation.choices import CaseResult, CaseState, RoundState
from rencai.evaluation.models import Case, CaseCorrection, CaseMaterial, IntegrityFinding
from rencai.evaluation.services import cases
from rencai.evaluation.statemachine import IllegalCaseTransition
from rencai.onestop.models import Material, MaterialType
from rencai.registry.models import Achievement, AchievementHolder
from tests import factories
from tests.evaluation.builders import TODAY, make_case, make_round, make_scheme, today_is

pytestmark = pytest.mark.django_db
S = CaseState


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    today_is(monkeypatch, TODAY)


def _material(talent, code="degree", reference="学位证书 No. 1"):
    kind, _ = MaterialType.objects.get_or_create(code=code, defaults={"name": code})
    return Material.objects.create(talent=talent, material_type=kind, reference=reference)


def _apply(world, round_, actor=None, talent=None, **kwargs):
    return cases.case_apply(
        actor=actor or world.users["talent"],
        round=round_,
        talent=talent or world.talent_a,
        field=kwargs.pop("field", "electronics"),
        summary=kwargs.pop("summary", "主持研发的数控系统实现产业化，授权发明专利3项"),
        **kwargs,
    )


# -- applying --------------------------------------------------------------------------------------------


def test_a_talent_applies_with_library_materials_and_the_employer_is_asked_to_confirm(world, open_round):
    degree = _material(world.talent_a)

    case = _apply(world, open_round, material_ids=[degree.pk])

    assert case.state == S.SUBMITTED and case.enterprise == world.enterprise_a
    assert case.region == world.county_a and case.applied_by == world.users["talent"]
    assert list(CaseMaterial.objects.filter(case=case).values_list("material", flat=True)) == [degree.pk]
    assert Notification.objects.filter(
        recipient=world.users["enterprise"], kind="evaluation.confirm"
    ).exists()


def test_an_enterprise_applies_for_its_employee_but_not_for_another_enterprises(world, open_round):
    case = _apply(world, open_round, actor=world.users["enterprise"])
    assert case.talent == world.talent_a and case.state == S.SUBMITTED

    with pytest.raises(NotFound):
        _apply(world, open_round, actor=world.users["enterprise"], talent=world.talent_b)
    with pytest.raises(PermissionDenied):
        _apply(world, open_round, actor=world.users["county_org_dept"])


def test_a_retried_application_returns_the_same_case_and_another_is_refused(world, open_round):
    first = _apply(world, open_round)
    again = _apply(world, open_round)
    assert again.pk == first.pk and Case.objects.count() == 1

    with pytest.raises(DomainError) as caught:
        _apply(world, open_round, field="biomedicine")
    assert caught.value.code == "already_open" and caught.value.message_en
    assert Case.objects.count() == 1


def test_an_application_after_the_deadline_is_refused(world, scheme):
    today = timezone.localdate()
    late = make_round(scheme, world.regions["330800"], opens_on=today - dt.timedelta(days=20))
    late.applications_due = today - dt.timedelta(days=1)
    late.save()

    with pytest.raises(DomainError) as caught:
        _apply(world, late)

    assert caught.value.code == "deadline_passed"
    assert "截止" in caught.value.message_zh and "closed" in caught.value.message_en
    assert not Case.objects.exists()


def test_a_round_not_open_takes_no_application(world, scheme):
    closed = make_round(scheme, world.regions["330800"], state=RoundState.CLOSED)
    with pytest.raises(DomainError) as caught:
        _apply(world, closed)
    assert caught.value.code == "round_closed"


def test_a_round_for_another_team_or_county_refuses_the_talent(world):
    skilled = make_scheme(world.regions["330800"], code="skills", team="high_skill")
    with pytest.raises(DomainError) as caught:
        _apply(world, make_round(skilled, world.regions["330800"]))
    assert caught.value.code == "ineligible"

    longyou = make_round(make_scheme(world.county_b, code="longyou"), world.county_b)
    with pytest.raises(DomainError):
        _apply(world, longyou)


def test_bad_input_is_listed_at_once(world, open_round):
    stranger = _material(world.talent_b)
    with pytest.raises(ValidationFailed) as caught:
        _apply(world, open_round, field="astrology", summary=" ", material_ids=[stranger.pk])
    assert sorted(d["field"] for d in caught.value.details) == ["field", "material_ids", "summary"]


def test_a_talent_without_employer_is_confirmed_by_the_system(world, open_round):
    world.talent_a2.account = factories.make_user("talent2", "talent")
    world.talent_a2.save()

    case = _apply(world, open_round, actor=world.talent_a2.account, talent=world.talent_a2)

    assert case.state == S.CONFIRMED and case.enterprise is None
    assert [t.to_state for t in case.transitions.order_by("pk")] == [S.SUBMITTED, S.CONFIRMED]
    assert case.transitions.order_by("pk").last().actor is None


# -- the employer ----------------------------------------------------------------------------------------


def test_the_employer_confirms_with_its_own_scores(world, open_round):
    case = _apply(world, open_round)

    cases.case_confirm(
        actor=world.users["enterprise"],
        case=case,
        employer_scores={"innovation": Decimal("88"), "team": Decimal("75.5")},
    )

    case.refresh_from_db()
    assert case.state == S.CONFIRMED
    assert case.employer_scores == {"innovation": "88.00", "team": "75.50"}
    assert Notification.objects.filter(
        recipient=world.users["county_org_dept"], kind="evaluation.first_review"
    )


def test_employer_scores_out_of_range_missing_or_unknown_are_all_refused(world, open_round):
    case = _apply(world, open_round)

    with pytest.raises(ValidationFailed) as caught:
        cases.case_confirm(
            actor=world.users["enterprise"],
            case=case,
            employer_scores={"innovation": Decimal("101"), "patents": Decimal("50")},
        )

    fields = sorted(d["field"] for d in caught.value.details)
    assert fields == ["employer_scores.innovation", "employer_scores.patents", "employer_scores.team"]
    assert Case.objects.get(pk=case.pk).state == S.SUBMITTED


def test_a_late_confirmation_is_refused(world, open_round, monkeypatch):
    case = _apply(world, open_round)
    today_is(monkeypatch, open_round.employer_due + dt.timedelta(days=1))

    with pytest.raises(DomainError) as caught:
        cases.case_confirm(
            actor=world.users["enterprise"], case=case, employer_scores={"innovation": 80, "team": 80}
        )
    assert caught.value.code == "deadline_passed"


def test_only_the_employer_confirms_and_a_decline_ends_the_case(world, open_round):
    case = _apply(world, open_round)
    with pytest.raises(NotFound):
        cases.case_confirm(
            actor=factories.make_user("other", "enterprise", enterprise=world.enterprise_b), case=case
        )

    cases.case_decline(actor=world.users["enterprise"], case=case, reason="业绩不属实")

    case.refresh_from_db()
    assert (case.state, case.result) == (S.NOT_RECOGNIZED, CaseResult.FAILED)


# -- first review and the one correction notice -----------------------------------------------------------


def test_the_one_correction_notice_lists_every_item_and_cannot_be_given_twice(world, open_round):
    case = make_case(open_round, world.talent_a, state=S.CONFIRMED)
    county = world.users["county_org_dept"]

    cases.case_return(actor=county, case=case, items=["缺少专利证书", "业绩证明未盖章", " "])

    assert CaseCorrection.objects.get(case=case).items == ["缺少专利证书", "业绩证明未盖章"]
    assert Case.objects.get(pk=case.pk).state == S.RETURNED
    patent = _material(world.talent_a, "patent", "ZL2024 1 0000001.2")
    cases.case_resubmit(actor=world.users["talent"], case=case, material_ids=[patent.pk])
    case.refresh_from_db()
    assert case.state == S.CONFIRMED and case.materials.filter(material=patent).exists()

    with pytest.raises(DomainError) as caught:
        cases.case_return(actor=county, case=case, items=["还缺一项"])
    assert caught.value.code == "notice_exists" and caught.value.message_en
    assert CaseCorrection.objects.filter(case=case).count() == 1


def test_a_passed_first_review_computes_the_indicators_from_the_registry(world, open_round):
    achievement = Achievement.objects.create(
        kind="patent_granted",
        reference="ZL2023 1 0000001.1",
        title="一种数控系统",
        achieved_on=dt.date(2024, 3, 1),
        enterprise=world.enterprise_a,
        region=world.county_a,
    )
    AchievementHolder.objects.create(achievement=achievement, talent=world.talent_a, rank=1)
    case = make_case(open_round, world.talent_a, state=S.CONFIRMED)

    cases.case_first_review(actor=world.users["county_org_dept"], case=case, passed=True, comment="材料齐全")

    case.refresh_from_db()
    assert case.state == S.FIRST_PASSED
    assert Decimal(case.computed["patents"]) == Decimal("25")
    open_round.refresh_from_db()
    assert open_round.state == RoundState.REVIEWING


def test_an_integrity_finding_vetoes_whatever_the_reviewer_decided(world, open_round):
    IntegrityFinding.objects.create(
        talent=world.talent_a,
        found_on=dt.date(2025, 5, 1),
        source="衢州市科技局",
        description="项目经费违规使用",
    )
    case = make_case(open_round, world.talent_a, state=S.CONFIRMED)

    cases.case_first_review(actor=world.users["county_org_dept"], case=case, passed=True)

    case.refresh_from_db()
    assert (case.state, case.vetoed, case.result) == (S.NOT_RECOGNIZED, True, CaseResult.FAILED)
    assert "项目经费违规使用" in case.transitions.get(to_state=S.NOT_RECOGNIZED).comment


def test_a_failed_review_needs_a_reason(world, open_round):
    case = make_case(open_round, world.talent_a, state=S.CONFIRMED)
    with pytest.raises(ValidationFailed):
        cases.case_first_review(actor=world.users["county_org_dept"], case=case, passed=False, comment="")
    cases.case_first_review(actor=world.users["county_org_dept"], case=case, passed=False, comment="业绩不足")
    assert Case.objects.get(pk=case.pk).state == S.NOT_RECOGNIZED


def test_second_review_is_the_citys_and_only_of_a_scored_case(world, open_round):
    case = make_case(open_round, world.talent_a, state=S.FIRST_PASSED)
    city = world.users["city_org_dept"]
    with pytest.raises(IllegalCaseTransition):
        cases.case_second_review(actor=city, case=case, passed=True)

    Case.objects.filter(pk=case.pk).update(state=S.SCORED, total_score=Decimal("91"))
    case.refresh_from_db()
    with pytest.raises(PermissionDenied):
        cases.case_second_review(actor=world.users["county_org_dept"], case=case, passed=True)
    cases.case_second_review(actor=city, case=case, passed=True, comment="同意")
    assert Case.objects.get(pk=case.pk).state == S.SECOND_PASSED


def test_an_applicant_withdraws_before_review_but_not_after(world, open_round):
    case = _apply(world, open_round)
    cases.case_withdraw(actor=world.users["talent"], case=case, reason="另行申报")
    assert Case.objects.get(pk=case.pk).state == S.WITHDRAWN

    passed = make_case(open_round, world.talent_b, state=S.FIRST_PASSED)
    with pytest.raises(NotFound):  # not the talent's own case: not even admitted to exist
        cases.case_withdraw(actor=world.users["talent"], case=passed)


# -- pages and API: scoped; out of scope is 404 ------------------------------------------------------------


def test_another_countys_case_is_not_found_for_a_county_officer_in_page_and_api(client, world, open_round):
    own = make_case(open_round, world.talent_a, state=S.CONFIRMED)
    other = make_case(open_round, world.talent_b, state=S.CONFIRMED)
    client.force_login(world.users["county_org_dept"])

    assert client.get(f"/evaluation/cases/{own.pk}/").status_code == 200
    assert client.get(f"/evaluation/cases/{other.pk}/").status_code == 404
    assert client.get(f"/api/evaluation/cases/{other.pk}").status_code == 404
    listed = client.get("/api/evaluation/cases").json()
    assert [row["id"] for row in listed] == [own.pk]
    page = client.get(f"/evaluation/rounds/{open_round.pk}/").content.decode()
    assert world.talent_a.name in page and world.talent_b.name not in page


def test_a_talent_sees_only_their_own_cases_and_an_enterprise_its_employees(client, world, open_round):
    own = make_case(open_round, world.talent_a)
    other = make_case(open_round, world.talent_b)
    for user in (world.users["talent"], world.users["enterprise"]):
        client.force_login(user)
        assert client.get(f"/evaluation/cases/{own.pk}/").status_code == 200
        assert client.get(f"/evaluation/cases/{other.pk}/").status_code == 404
    client.force_login(world.users["reviewer"])  # no seat on any panel: nothing
    assert client.get(f"/evaluation/cases/{own.pk}/").status_code == 404


def test_the_application_form_and_the_api_apply(client, world, open_round):
    client.force_login(world.users["talent"])
    assert client.get("/evaluation/apply/").status_code == 200
    response = client.post(
        "/evaluation/apply/",
        {"round": open_round.pk, "field": "electronics", "summary": "成果转化收入五百万元"},
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert response["Location"] == f"/evaluation/cases/{case.pk}/"

    client.force_login(world.users["enterprise"])
    again = client.post(
        "/api/evaluation/cases",
        {
            "round_id": open_round.pk,
            "talent_id": world.talent_a.pk,
            "field": "electronics",
            "summary": "另一份",
        },
        content_type="application/json",
    )
    assert again.status_code == 409 and again.json()["code"] == "already_open"
    confirmed = client.post(
        f"/api/evaluation/cases/{case.pk}/confirm",
        {"employer_scores": {"innovation": "90", "team": "85"}},
        content_type="application/json",
    )
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "confirmed"


def test_the_evaluation_pages_render_for_officers_in_both_languages(client, world, open_round):
    make_case(open_round, world.talent_a, state=S.CONFIRMED)
    client.force_login(world.users["city_org_dept"])
    for path in ("/evaluation/", f"/evaluation/rounds/{open_round.pk}/", "/evaluation/rounds/new/", "/"):
        assert client.get(path).status_code == 200, path
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/evaluation/").content.decode()
    assert "Talent evaluation" in page
