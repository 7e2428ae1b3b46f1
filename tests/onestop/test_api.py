"""The one-stop API end to end: apply, window, departments, vouchers, loans, cards; out of scope is 404."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from rencai.accounts.models import ApiToken
from rencai.onestop.models import EducationVoucher, GoldCard, HousingLoanReferral
from tests import factories

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    _token, key = ApiToken.issue(user)
    return Client(headers={"Authorization": f"Bearer {key}"})


def post(client: Client, path: str, body: dict | None = None):
    return client.post(path, body or {}, content_type="application/json")


GOLD_CARD_MATERIALS = [
    {"type": "id_copy", "reference": "电子证照 1"},
    {"type": "photo", "reference": "照片"},
]


def test_gold_card_path_through_the_api(onestop):
    talent = client_for(onestop.talent_user)
    window = client_for(onestop.window)

    created = post(
        talent,
        "/api/services/applications",
        {"item": "gold_card", "materials": GOLD_CARD_MATERIALS, "idempotency_key": "api-1"},
    )
    assert created.status_code == 201, created.content
    application = created.json()
    assert application["state"] == "submitted" and application["materials"] == ["id_copy", "photo"]
    retried = post(talent, "/api/services/applications", {"item": "gold_card", "idempotency_key": "api-1"})
    assert retried.json()["id"] == application["id"]
    pk = application["id"]

    assert [a["id"] for a in window.get("/api/services/window").json()] == [pk]
    refused = post(window, f"/api/services/applications/{pk}/accept")
    assert refused.status_code == 400 and refused.json()["code"] == "materials_missing"
    returned = post(
        window,
        f"/api/services/applications/{pk}/return",
        {"items": [{"material_type": "talent_certificate", "problem": "missing"}], "note": "一次性告知"},
    )
    assert returned.json()["state"] == "returned"
    assert returned.json()["correction_notice"]["items"][0]["name"] == "人才类别认定证明"
    again = post(
        window,
        f"/api/services/applications/{pk}/return",
        {"items": [{"material_type": "photo", "problem": "wrong"}]},
    )
    assert again.status_code == 409 and again.json()["code"] == "illegal_transition"

    resubmitted = post(
        talent,
        f"/api/services/applications/{pk}/resubmit",
        {"materials": [{"type": "talent_certificate", "reference": "认定证明"}]},
    )
    assert resubmitted.json()["state"] == "resubmitted"
    accepted = post(window, f"/api/services/applications/{pk}/accept", {"comment": "受理"})
    detail = accepted.json()
    assert detail["state"] == "in_progress"
    assert {s["department_kind"] for s in detail["steps"]} == {"hrss", "org"}
    assert all(s["colour"] == "green" for s in detail["steps"])

    for kind in ("hrss", "org"):
        officer = client_for(onestop.officers[kind])
        (step,) = officer.get("/api/services/steps").json()
        assert step["application_id"] == pk and step["item_name"] == "人才金卡申领"
        decided = post(officer, f"/api/services/steps/{step['id']}/decide", {"approve": True})
        assert decided.json()["state"] == "approved"

    final = talent.get(f"/api/services/applications/{pk}").json()
    assert final["state"] == "completed"
    assert [t["to_state"] for t in final["transitions"]][-2:] == ["approved", "completed"]
    (card,) = talent.get("/api/services/cards").json()
    assert card["card_number"].startswith("QZ") and card["status"] == "active" and card["benefits"]

    revoked = post(window, f"/api/services/cards/{card['id']}/revoke", {"reason": "人才离衢"})
    assert revoked.json()["status"] == "revoked"
    assert post(talent, f"/api/services/cards/{card['id']}/revoke", {"reason": "x"}).status_code == 403


def test_ineligible_talent_is_told_why_through_the_api(onestop):
    talent = onestop.world.talent_a
    talent.tier = "E"
    talent.save()
    response = post(client_for(onestop.talent_user), "/api/services/applications", {"item": "gold_card"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "ineligible" and "人才类别" in body["message_zh"] and body["details"]


def test_another_countys_officer_gets_404_through_the_api(onestop):
    created = post(
        client_for(onestop.talent_user), "/api/services/applications", {"item": "gold_card"}
    ).json()
    longyou = client_for(factories.make_user("longyou", "county_org_dept", region=onestop.world.county_b))
    assert longyou.get(f"/api/services/applications/{created['id']}").status_code == 404
    assert post(longyou, f"/api/services/applications/{created['id']}/accept").status_code == 404
    assert longyou.get("/api/services/window").json() == []


def test_enterprise_applies_for_its_employee_through_the_api(onestop):
    world = onestop.world
    employer = client_for(world.users["enterprise"])
    response = post(
        employer, "/api/services/applications", {"item": "gold_card", "talent_id": world.talent_a.pk}
    )
    assert response.status_code == 201 and response.json()["enterprise_id"] == world.enterprise_a.pk
    other = post(
        employer, "/api/services/applications", {"item": "gold_card", "talent_id": world.talent_b.pk}
    )
    assert other.status_code == 404


def test_voucher_redemption_through_the_api_refuses_the_second(world):
    EducationVoucher.objects.create(
        voucher_number="JY2026FEED0001",
        talent=world.talent_a,
        region=world.county_a,
        child_name="江小宇",
        amount=Decimal("10000"),
        issued_on=dt.date(2026, 9, 1),
    )
    school = client_for(world.users["provider"])
    first = post(school, "/api/services/vouchers/redeem", {"voucher_number": "JY2026FEED0001"})
    assert first.status_code == 200 and first.json()["status"] == "redeemed"
    second = post(school, "/api/services/vouchers/redeem", {"voucher_number": "JY2026FEED0001"})
    assert second.status_code == 409 and second.json()["code"] == "voucher_redeemed"
    (mine,) = client_for(world.users["talent"]).get("/api/services/vouchers").json()
    assert mine["status"] == "redeemed" and mine["redeemed_at"]


def test_loan_decision_through_the_api(onestop):
    referral = HousingLoanReferral.objects.create(
        talent=onestop.world.talent_a,
        region=onestop.world.county_a,
        department=onestop.departments["housing_fund"],
        tier="D",
        quota=Decimal("600000"),
    )
    centre = client_for(onestop.officers["housing_fund"])
    declined = post(centre, f"/api/services/loans/{referral.pk}/decision", {"approve": False})
    assert declined.status_code == 422
    decided = post(centre, f"/api/services/loans/{referral.pk}/decision", {"approve": True, "note": "同意"})
    assert decided.json()["status"] == "approved"
    hrss = client_for(onestop.officers["hrss"])
    assert post(hrss, f"/api/services/loans/{referral.pk}/decision", {"approve": True}).status_code == 404
    (seen,) = client_for(onestop.talent_user).get("/api/services/loans").json()
    assert seen["status"] == "approved" and seen["decision_note"] == "同意"
    assert GoldCard.objects.count() == 0


@pytest.mark.parametrize(
    ("path", "role"),
    [
        ("/api/services/applications", "talent_user"),
        ("/api/services/window", "window"),
    ],
)
@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("limit=-5&offset=-5", {"limit", "offset"}),
        ("limit=100000", {"limit"}),
        ("offset=99999999999999999999", {"offset"}),
    ],
)
def test_out_of_range_limit_and_offset_are_refused(onestop, path, role, query, fields):
    response = client_for(getattr(onestop, role)).get(f"{path}?{query}")
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "validation_failed"
    details = {d["field"]: d for d in body["details"]}
    assert set(details) == fields
    for detail in details.values():
        assert "之间" in detail["message_zh"] and "must be between" in detail["message_en"]
