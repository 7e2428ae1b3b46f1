"""Referrals with the candidate's consent, the first-referral rule (a database constraint, raced on
PostgreSQL), the state moves, and who sees which referral in the services, the pages and the API."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from rencai.core.errors import DomainError, ErrorCode, NotFound, PermissionDenied, ValidationFailed
from rencai.core.models import AuditEntry, Notification
from rencai.recruitment.choices import ReferralState
from rencai.recruitment.models import Candidate, Referral
from rencai.recruitment.services import referrals
from tests import factories
from tests.concurrency import at_once, on_postgresql
from tests.recruitment.builders import (
    make_agency,
    make_agency_user,
    make_candidate,
    make_demand,
    make_referral,
)

pytestmark = pytest.mark.django_db

CONSENT = "本人周某同意由本机构向用人单位推荐，并提供本人简历和联系方式。"
ID_NUMBER = "330881199003070020"


def _contract() -> dict:
    today = timezone.localdate()
    return {"contract_starts": today - dt.timedelta(days=30), "contract_ends": today + dt.timedelta(days=300)}


@pytest.fixture
def setup(world):
    demand = make_demand(world.enterprise_a, title="高分子材料研发总监")
    first = make_agency(world.county_a, name="江山猎头甲", **_contract())
    second = make_agency(world.county_b, name="龙游猎头乙", **_contract())
    return {
        "demand": demand,
        "first": first,
        "second": second,
        "agent_1": make_agency_user(first, username="agent_1"),
        "agent_2": make_agency_user(second, username="agent_2"),
    }


def _candidate(**overrides) -> dict:
    data = {
        "name": "周某",
        "id_number": ID_NUMBER,
        "phone": "13900001234",
        "degree": "doctor",
        "field": "electronics",
    }
    data.update(overrides)
    return data


def _refer(agent, demand, **overrides) -> Referral:
    values = {
        "actor": agent,
        "demand": demand,
        "candidate_data": _candidate(),
        "consent_statement": CONSENT,
        "consent_at": timezone.now() - dt.timedelta(hours=1),
        "note": "十年高分子材料研发经验",
    }
    values.update(overrides)
    return referrals.referral_create(**values)


# -- the service --------------------------------------------------------------------------------------------


def test_agency_refers_a_candidate_with_sealed_data_audited_and_the_enterprise_told(setup, world):
    referral = _refer(setup["agent_1"], setup["demand"])
    assert (referral.agency, referral.enterprise, referral.state) == (
        setup["first"],
        world.enterprise_a,
        ReferralState.REFERRED,
    )
    candidate = referral.candidate
    assert candidate.id_number_masked != ID_NUMBER and ID_NUMBER not in candidate.id_number_ciphertext
    assert candidate.phone_masked.startswith("139") and "1234" not in candidate.phone_masked[3:7]
    entry = AuditEntry.objects.get(action="recruitment.referral.create")
    assert "person_index" not in entry.detail["after"]
    assert Notification.objects.filter(
        recipient=world.users["enterprise"], kind="recruitment.referral"
    ).exists()


def test_a_referral_without_consent_is_refused_in_both_languages_and_nothing_is_written(setup):
    with pytest.raises(DomainError) as refused:
        _refer(setup["agent_1"], setup["demand"], consent_statement="  ", consent_at=None)
    error = refused.value
    assert error.code == ErrorCode.CONSENT_MISSING
    assert "同意" in error.message_zh and "consent" in error.message_en
    assert {d["field"] for d in error.details} == {"consent_statement", "consent_at"}
    assert not Referral.objects.exists() and not Candidate.objects.exists()


def test_the_database_refuses_a_referral_without_a_consent_statement(setup):
    candidate = make_candidate(setup["demand"].region)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_referral(setup["first"], setup["demand"], candidate, consent_statement="")


def test_bad_candidate_data_are_listed_at_once(setup):
    with pytest.raises(ValidationFailed) as refused:
        _refer(
            setup["agent_1"],
            setup["demand"],
            candidate_data=_candidate(
                name="", id_number="330881199003070021", phone="12", degree="x", field="y"
            ),
        )
    assert [d["field"] for d in refused.value.details] == ["name", "id_number", "phone", "degree", "field"]
    assert not Referral.objects.exists()


def test_a_later_referral_of_the_same_person_is_refused_with_the_date_but_not_the_agency(setup):
    _refer(setup["agent_1"], setup["demand"])
    other_demand = make_demand(setup["demand"].enterprise, title="另一个岗位")
    with pytest.raises(DomainError) as refused:
        _refer(setup["agent_2"], other_demand, candidate_data=_candidate(name="周某某"))
    error = refused.value
    assert error.code == ErrorCode.ALREADY_REFERRED
    today = f"{timezone.localdate():%Y-%m-%d}"
    assert today in error.message_zh and today in error.message_en
    assert "其他机构" in error.message_zh and "another agency" in error.message_en
    for text in (error.message_zh, error.message_en):
        assert "江山猎头甲" not in text
    assert Referral.objects.count() == 1 and Candidate.objects.count() == 1


def test_the_same_person_may_be_referred_to_another_enterprise(setup, world):
    _refer(setup["agent_1"], setup["demand"])
    _refer(setup["agent_2"], make_demand(world.enterprise_b))
    assert Referral.objects.count() == 2
    assert Candidate.objects.count() == 1  # one candidate per person


def test_withdrawal_frees_the_person_for_another_agency(setup):
    first = _refer(setup["agent_1"], setup["demand"])
    referrals.referral_update_state(actor=setup["agent_1"], referral=first, state=ReferralState.WITHDRAWN)
    second = _refer(setup["agent_2"], setup["demand"])
    assert second.agency == setup["second"]
    entry = AuditEntry.objects.get(action="recruitment.referral.state")
    assert "state" in entry.detail["changed"] and entry.detail["before"]["state"] == ReferralState.REFERRED


def test_the_enterprise_records_the_interview_and_the_agency_cannot(setup, world):
    referral = _refer(setup["agent_1"], setup["demand"])
    with pytest.raises(PermissionDenied):
        referrals.referral_update_state(
            actor=setup["agent_1"], referral=referral, state=ReferralState.INTERVIEWED
        )
    referrals.referral_update_state(
        actor=world.users["enterprise"], referral=referral, state=ReferralState.INTERVIEWED
    )
    referral.refresh_from_db()
    assert referral.state == ReferralState.INTERVIEWED
    with pytest.raises(DomainError) as refused:
        referrals.referral_update_state(
            actor=world.users["enterprise"], referral=referral, state=ReferralState.REFERRED
        )
    assert refused.value.code == ErrorCode.ILLEGAL_TRANSITION


def test_another_agency_cannot_move_a_referral_it_does_not_see(setup):
    referral = _refer(setup["agent_1"], setup["demand"])
    with pytest.raises(NotFound):
        referrals.referral_update_state(
            actor=setup["agent_2"], referral=referral, state=ReferralState.WITHDRAWN
        )


def test_an_agency_out_of_contract_or_a_login_of_no_agency_cannot_refer(setup, world):
    expired = make_agency(
        world.county_a,
        contract_starts=dt.date(2024, 1, 1),
        contract_ends=timezone.localdate() - dt.timedelta(days=1),
    )
    with pytest.raises(PermissionDenied) as refused:
        _refer(make_agency_user(expired), setup["demand"])
    assert "合同" in refused.value.message_zh
    with pytest.raises(PermissionDenied):
        _refer(make_agency_user(), setup["demand"])
    with pytest.raises(PermissionDenied):
        _refer(world.users["enterprise"], setup["demand"])
    assert not Referral.objects.exists()


def test_an_unpublished_demand_takes_no_referrals(setup, world):
    draft = make_demand(world.enterprise_a, state="draft")
    with pytest.raises(DomainError) as refused:
        _refer(setup["agent_1"], draft)
    assert refused.value.code == ErrorCode.ILLEGAL_TRANSITION


def test_each_sees_only_their_referrals(setup, world):
    mine = _refer(setup["agent_1"], setup["demand"])
    theirs = _refer(
        setup["agent_2"],
        make_demand(world.enterprise_b),
        candidate_data=_candidate(id_number=factories.make_id_number()),
    )
    assert list(referrals.referrals_for(setup["agent_1"])) == [mine]
    assert list(referrals.referrals_for(setup["agent_2"])) == [theirs]
    assert list(referrals.referrals_for(world.users["enterprise"])) == [mine]
    assert list(referrals.referrals_for(world.users["county_org_dept"])) == [mine]
    assert set(referrals.referrals_for(world.users["city_org_dept"])) == {mine, theirs}
    assert not referrals.referrals_for(world.users["talent"]).exists()


@pytest.mark.django_db(transaction=True)
def test_two_agencies_racing_for_one_person_give_one_referral_and_one_refusal(world):
    demand = make_demand(world.enterprise_a)
    agent_1 = make_agency_user(make_agency(world.county_a, **_contract()), username="race_1")
    agent_2 = make_agency_user(make_agency(world.county_a, **_contract()), username="race_2")

    results = at_once(
        lambda: _refer(agent_1, demand),
        lambda: _refer(agent_2, demand),
        parallel=on_postgresql(),  # SQLite serialises writers: there the two run one after the other
    )

    made = [r for r in results if isinstance(r, Referral)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(made) == 1 and len(refused) == 1, results
    assert refused[0].code == ErrorCode.ALREADY_REFERRED
    assert Referral.objects.count() == 1 and Candidate.objects.count() == 1


# -- pages and API ------------------------------------------------------------------------------------------


def test_agency_refers_through_the_page_and_sees_it_in_my_referrals(client, setup):
    client.force_login(setup["agent_1"])
    page = client.get(reverse("recruitment:refer", args=[setup["demand"].pk]))
    assert page.status_code == 200 and "高分子材料研发总监" in page.content.decode()
    response = client.post(
        reverse("recruitment:refer", args=[setup["demand"].pk]),
        {**_candidate(), "consent_statement": CONSENT, "consent_at": "2026-01-05 10:00", "note": ""},
    )
    assert response.status_code == 302
    referral = Referral.objects.get()
    html = client.get(reverse("recruitment:referral_list")).content.decode()
    assert f'data-referral="{referral.pk}"' in html and "我的推荐" in html
    assert ID_NUMBER not in html and referral.candidate.id_number_masked in html


def test_the_page_refuses_a_referral_without_consent_and_keeps_the_form(client, setup):
    client.force_login(setup["agent_1"])
    response = client.post(reverse("recruitment:refer", args=[setup["demand"].pk]), {**_candidate()})
    assert response.status_code == 409
    html = response.content.decode()
    assert "没有候选人本人同意的记录" in html and 'id="referral-form"' in html
    assert not Referral.objects.exists()


def test_another_agencys_referral_is_404_in_pages_and_api(client, setup):
    referral = _refer(setup["agent_1"], setup["demand"])
    client.force_login(setup["agent_2"])
    assert client.get(reverse("recruitment:referral_detail", args=[referral.pk])).status_code == 404
    state = client.post(reverse("recruitment:referral_state", args=[referral.pk]), {"state": "withdrawn"})
    assert state.status_code == 404
    assert client.get(f"/api/recruitment/referrals/{referral.pk}").status_code == 404
    assert client.get("/api/recruitment/referrals").json() == []
    assert "周某" not in client.get(reverse("recruitment:referral_list")).content.decode()
    referral.refresh_from_db()
    assert referral.state == ReferralState.REFERRED


def test_the_enterprise_sees_referrals_to_its_demands_masked_and_records_the_interview(client, setup, world):
    referral = _refer(setup["agent_1"], setup["demand"])
    client.force_login(world.users["enterprise"])
    html = client.get(reverse("recruitment:referral_list")).content.decode()
    assert "收到的推荐" in html and f'data-referral="{referral.pk}"' in html and ID_NUMBER not in html
    detail = client.get(reverse("recruitment:referral_detail", args=[referral.pk])).content.decode()
    assert "13900001234" not in detail and referral.candidate.phone_masked in detail
    client.post(reverse("recruitment:referral_state", args=[referral.pk]), {"state": "interviewed"})
    referral.refresh_from_db()
    assert referral.state == ReferralState.INTERVIEWED
    client.force_login(world.users["talent"])
    assert client.get(reverse("recruitment:referral_detail", args=[referral.pk])).status_code == 404


def test_the_api_refers_once_per_key_and_refuses_a_duplicate_with_409(client, setup):
    body = {
        "demand_id": setup["demand"].pk,
        "candidate": _candidate(),
        "consent_statement": CONSENT,
        "consent_at": "2026-01-05T10:00:00+08:00",
    }
    client.force_login(setup["agent_1"])
    first = client.post(
        "/api/recruitment/referrals", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="r1"
    )
    again = client.post(
        "/api/recruitment/referrals", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="r1"
    )
    assert first.status_code == 201 and again.status_code == 201, first.content
    assert first.json()["id"] == again.json()["id"] and Referral.objects.count() == 1
    assert first.json()["candidate_id_number"] != ID_NUMBER
    listed = client.get("/api/recruitment/referrals").json()
    assert [row["id"] for row in listed] == [first.json()["id"]]

    client.force_login(setup["agent_2"])
    duplicate = client.post("/api/recruitment/referrals", body, content_type="application/json")
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "already_referred"
    assert "江山猎头甲" not in duplicate.content.decode()
    no_consent = client.post(
        "/api/recruitment/referrals", {**body, "consent_statement": ""}, content_type="application/json"
    )
    assert no_consent.json()["code"] == "consent_missing" and no_consent.json()["message_en"]


def test_officers_manage_agencies_in_pages(client, setup, world):
    client.force_login(world.users["county_org_dept"])
    html = client.get(reverse("recruitment:agency_list")).content.decode()
    assert "江山猎头甲" in html and "龙游猎头乙" not in html
    assert client.get(reverse("recruitment:agency_detail", args=[setup["second"].pk])).status_code == 404
    response = client.post(
        reverse("recruitment:agency_create"),
        {
            "name": "衢州英才猎头有限公司",
            "credit_code": factories.make_credit_code(),
            "region": world.county_a.pk,
            "contract_starts": "2026-01-01",
            "contract_ends": "2027-12-31",
            "target_count": "8",
            "fee_C": "50000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    client.post(response.url + "members/", {"username": "agent_none_yet"})
    detail = client.get(response.url).content.decode()
    assert "50000" in detail
    client.force_login(setup["agent_1"])
    assert client.get(reverse("recruitment:agency_list")).status_code == 403


def test_a_person_the_registry_already_shows_at_the_enterprise_cannot_be_referred_to_it(setup, world):
    factories.make_talent(world.county_a, id_number=ID_NUMBER, current_employer=world.enterprise_a)

    with pytest.raises(DomainError) as refused:
        _refer(setup["agent_1"], setup["demand"])

    assert refused.value.code == ErrorCode.ALREADY_EMPLOYED
    assert "已在该单位工作" in refused.value.message_zh and "already works" in refused.value.message_en
    assert not Referral.objects.exists() and not Candidate.objects.exists()
    # the same person may still be referred to another enterprise
    elsewhere = make_demand(world.enterprise_b, title="研发工程师")
    assert _refer(setup["agent_1"], elsewhere).enterprise == world.enterprise_b
