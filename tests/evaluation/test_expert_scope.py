"""What an expert sees: only the cases of a panel they actively sit on (Scope.ASSIGNED), masked personal data,
and only their own scores; nobody sees another's score before the panel closes."""

from decimal import Decimal

import pytest

from rencai.core.errors import NotFound
from rencai.evaluation.choices import CaseState, SeatStatus
from rencai.evaluation.services import panels
from tests.evaluation.builders import TODAY, make_case, make_experts

pytestmark = pytest.mark.django_db

OK = {"innovation": Decimal("80"), "team": Decimal("70")}


@pytest.fixture
def case(world, open_round):
    case = make_case(
        open_round,
        world.talent_a,
        state=CaseState.FIRST_PASSED,
        summary="研制特种纸生产线",
        computed={"patents": 75},
    )
    make_experts(world.regions["330800"], 9)
    panels.panel_draw(actor=world.users["city_org_dept"], case=case, seed="scope")
    return case


@pytest.fixture
def seats(case):
    return list(case.panel.seats.order_by("position").select_related("expert__account"))


def test_reviewer_not_on_the_panel_gets_404_for_the_case(client, case, world):
    outsider = world.users["reviewer"]
    client.force_login(outsider)
    assert client.get(f"/evaluation/reviews/{case.pk}/").status_code == 404
    assert client.post(f"/evaluation/reviews/{case.pk}/", {"points_innovation": "80"}).status_code == 404
    assert client.get(f"/api/evaluation/reviews/{case.pk}/scores").status_code == 404
    assert client.get("/api/evaluation/reviews").json() == []
    with pytest.raises(NotFound):
        panels.score_submit(actor=outsider, case=case, points=OK, today=TODAY)


def test_a_waiting_reserve_and_a_recused_expert_do_not_see_the_case(client, case, seats, world):
    reserve = seats[5]
    assert reserve.status == SeatStatus.WAITING
    client.force_login(reserve.expert.account)
    assert client.get(f"/evaluation/reviews/{case.pk}/").status_code == 404
    panels.seat_recuse(actor=world.users["city_org_dept"], seat=seats[0], reason="回避")
    client.force_login(seats[0].expert.account)
    assert client.get(f"/evaluation/reviews/{case.pk}/").status_code == 404
    client.force_login(reserve.expert.account)  # called in: now it is theirs
    assert client.get(f"/evaluation/reviews/{case.pk}/").status_code == 200


def test_the_expert_sees_masked_personal_data_and_no_phone(client, case, seats, world):
    client.force_login(seats[0].expert.account)
    page = client.get(f"/evaluation/reviews/{case.pk}/").content.decode()
    talent = world.talent_a
    assert talent.name in page and talent.id_number_masked in page and "研制特种纸生产线" in page
    assert talent.phone_masked not in page and "13800001234" not in page
    listed = client.get("/api/evaluation/reviews").json()
    assert [row["id"] for row in listed] == [case.pk]
    assert listed[0]["id_number_masked"] == talent.id_number_masked and "phone" not in str(listed[0])


def test_my_review_list_shows_only_my_active_cases(client, case, seats, world, open_round):
    other = make_case(open_round, world.talent_b, state=CaseState.FIRST_PASSED, enterprise=None)
    panels.panel_draw(actor=world.users["city_org_dept"], case=other, seed="another")
    me = seats[0].expert.account
    on_other = other.panel.seats.filter(expert__account=me, status=SeatStatus.ACTIVE).exists()
    expected = {case.pk, other.pk} if on_other else {case.pk}
    assert set(panels.review_cases(me).values_list("pk", flat=True)) == expected
    assert set(panels.review_cases(seats[6].expert.account).values_list("pk", flat=True)) <= {other.pk}
    client.force_login(me)
    page = client.get("/evaluation/reviews/").content.decode()
    assert f'data-case="{case.pk}"' in page


def test_an_expert_sees_only_their_own_scores(client, case, seats):
    first, second = seats[0].expert.account, seats[1].expert.account
    panels.score_submit(actor=first, case=case, points={"innovation": "91.25", "team": "88"}, today=TODAY)
    panels.score_submit(actor=second, case=case, points={"innovation": "43.75", "team": "40"}, today=TODAY)
    assert {s.points for s in panels.own_scores(second, case).values()} == {Decimal("43.75"), Decimal("40")}
    client.force_login(second)
    page = client.get(f"/evaluation/reviews/{case.pk}/").content.decode()
    assert "43.75" in page and "91.25" not in page
    api = client.get(f"/api/evaluation/reviews/{case.pk}/scores").json()
    assert sorted(row["points"] for row in api) == ["40.00", "43.75"]


def test_nobody_sees_individual_scores_before_the_panel_closes(client, case, seats, world):
    for seat in seats[:5]:
        panels.score_submit(
            actor=seat.expert.account, case=case, points={"innovation": "91.25", "team": "88"}, today=TODAY
        )
    city = world.users["city_org_dept"]
    for officer in (city, world.users["superuser"]):
        assert not panels.closed_scores(officer, case).exists()
    client.force_login(city)
    assert "91.25" not in client.get(f"/evaluation/cases/{case.pk}/panel/").content.decode()
    assert "91.25" not in client.get(f"/api/evaluation/cases/{case.pk}/panel").content.decode()
    panels.panel_close(actor=city, case=case)
    assert panels.closed_scores(city, case).count() == 10
    assert "91.25" in client.get(f"/evaluation/cases/{case.pk}/panel/").content.decode()
    # an expert still sees only their own after the close
    assert not panels.closed_scores(seats[0].expert.account, case).exists()


def test_other_roles_cannot_open_the_review_pages(client, case, world):
    for role in ("talent", "enterprise", "county_org_dept"):
        client.force_login(world.users[role])
        assert client.get(f"/evaluation/reviews/{case.pk}/").status_code in (403, 404)


def test_scoring_through_the_form_and_the_api(client, case, seats):
    me = seats[0].expert.account
    client.force_login(me)
    response = client.post(
        f"/evaluation/reviews/{case.pk}/",
        {"points_innovation": "120", "points_team": "70", "comment_innovation": "", "comment_team": ""},
    )
    assert response.status_code == 400
    assert "分值应在 0 至 100 之间" in response.content.decode()
    response = client.post(
        f"/api/evaluation/reviews/{case.pk}/scores",
        {"points": {"innovation": "120", "team": "70"}},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400 and response.json()["code"] == "score_out_of_range"
    assert response.json()["message"] == "Points out of range: each score is between 0 and 100"
    response = client.post(
        f"/api/evaluation/reviews/{case.pk}/scores",
        {"points": {"innovation": "77", "team": "70"}},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert {row["indicator"]: row["points"] for row in response.json()} == {
        "innovation": "77.00",
        "team": "70.00",
    }
