"""Demands: validation in both languages with nothing written (a salary range upside down above all), the
post → submit → review path, who sees which demand (public, enterprise, county), the public search and
API, closing, the daily expiry sweep and counting arrivals against the headcount."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from rencai.core import sweeps
from rencai.core.errors import DomainError, ErrorCode, NotFound, PermissionDenied, ValidationFailed
from rencai.core.models import AuditEntry
from rencai.recruitment import selectors
from rencai.recruitment.choices import DemandState, Place
from rencai.recruitment.models import Demand
from rencai.recruitment.selectors import DemandFilters
from rencai.recruitment.services import demands
from tests import factories
from tests.concurrency import at_once, on_postgresql
from tests.recruitment.builders import make_demand

pytestmark = pytest.mark.django_db


def _data(**overrides) -> dict:
    data = {
        "title": "锂电池材料研发工程师",
        "team": "professional",
        "tier_sought": "D",
        "degree": "master",
        "field": "chemicals",
        "headcount": 2,
        "salary_min": 250_000,
        "salary_max": 400_000,
        "place": Place.LOCAL,
        "work_mode": "full_time",
        "description": "负责正极材料研发",
        "expires_on": timezone.localdate() + dt.timedelta(days=60),
    }
    data.update(overrides)
    return data


def _post(world, **overrides) -> Demand:
    return demands.demand_create(
        actor=world.users["enterprise"], enterprise=world.enterprise_a, data=_data(**overrides)
    )


# -- validation ---------------------------------------------------------------------------------------------


def test_every_problem_is_listed_at_once_in_both_languages_and_nothing_is_written(world):
    with pytest.raises(ValidationFailed) as refused:
        _post(
            world,
            title=" ",
            headcount=0,
            salary_min=500_000,
            salary_max=300_000,
            expires_on=timezone.localdate(),
            field="astrology",
        )
    details = {d["field"]: d for d in refused.value.details}
    assert set(details) == {"title", "headcount", "salary_max", "expires_on", "field"}
    salary = details["salary_max"]
    assert "年薪上限" in salary["message_zh"] and "不能低于年薪下限" in salary["message_zh"]
    assert "below the lowest" in salary["message_en"] and "500000" in salary["message_en"]
    assert not Demand.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="recruitment.demand").exists()


def test_the_database_refuses_a_salary_range_upside_down_even_past_the_service(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_demand(world.enterprise_a, salary_min=300_000, salary_max=200_000)


def test_the_demand_form_shows_the_upside_down_salary_in_english(world):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.users["enterprise"])
    data = _data(salary_min=900_000, salary_max=100_000)
    response = client.post("/recruitment/my/demands/new/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert "The highest salary (100000 yuan) is below the lowest (900000 yuan)" in response.content.decode()
    assert not Demand.objects.exists()


def test_only_the_enterprise_itself_posts_its_demands(world):
    with pytest.raises(NotFound):
        demands.demand_create(actor=world.users["enterprise"], enterprise=world.enterprise_b, data=_data())
    with pytest.raises(PermissionDenied):
        demands.demand_create(
            actor=world.users["county_org_dept"], enterprise=world.enterprise_a, data=_data()
        )
    assert not Demand.objects.exists()


# -- the path -----------------------------------------------------------------------------------------------


def test_an_enterprise_posts_submits_and_its_county_publishes(world):
    demand = _post(world)
    assert demand.state == DemandState.DRAFT and demand.region == world.county_a
    assert not selectors.public_demands().exists()
    demands.demand_submit(actor=world.users["enterprise"], demand=demand)
    published = demands.demand_review(actor=world.users["county_org_dept"], demand=demand, approve=True)
    assert published.state == DemandState.PUBLISHED and published.published_at is not None
    assert list(selectors.public_demands()) == [published]
    actions = list(
        AuditEntry.objects.filter(object_id=str(demand.pk)).order_by("pk").values_list("action", flat=True)
    )
    assert actions == ["recruitment.demand.create", "recruitment.demand.submit", "recruitment.demand.publish"]


def test_a_return_needs_its_reason_and_the_returned_demand_can_be_changed_and_resubmitted(world):
    demand = demands.demand_submit(actor=world.users["enterprise"], demand=_post(world))
    with pytest.raises(ValidationFailed) as refused:
        demands.demand_review(actor=world.users["county_org_dept"], demand=demand, approve=False, comment="")
    assert refused.value.details[0]["field"] == "comment"
    demands.demand_review(
        actor=world.users["county_org_dept"], demand=demand, approve=False, comment="薪酬区间请写明"
    )
    demand.refresh_from_db()
    assert (demand.state, demand.review_comment) == (DemandState.RETURNED, "薪酬区间请写明")
    demands.demand_update(actor=world.users["enterprise"], demand=demand, data=_data(salary_max=450_000))
    assert (
        demands.demand_submit(actor=world.users["enterprise"], demand=demand).state == DemandState.SUBMITTED
    )


def test_a_submitted_demand_cannot_be_changed(world):
    demand = demands.demand_submit(actor=world.users["enterprise"], demand=_post(world))
    with pytest.raises(DomainError) as refused:
        demands.demand_update(actor=world.users["enterprise"], demand=demand, data=_data(title="改名"))
    assert refused.value.code == ErrorCode.ILLEGAL_TRANSITION
    demand.refresh_from_db()
    assert demand.title == "锂电池材料研发工程师"


def test_another_county_cannot_review_and_learns_nothing(world, regions):
    demand = demands.demand_submit(actor=world.users["enterprise"], demand=_post(world))
    longyou = factories.make_user("longyou", "county_org_dept", region=world.county_b)
    with pytest.raises(NotFound):
        demands.demand_review(actor=longyou, demand=demand, approve=True)
    assert list(selectors.review_queue(longyou)) == []
    assert list(selectors.review_queue(world.users["county_org_dept"])) == [demand]
    assert list(selectors.review_queue(world.users["city_org_dept"])) == [demand]


def test_closing_needs_a_reason_and_ends_the_demand(world):
    demand = make_demand(world.enterprise_a)
    with pytest.raises(ValidationFailed):
        demands.demand_close(actor=world.users["enterprise"], demand=demand, reason=" ")
    closed = demands.demand_close(actor=world.users["enterprise"], demand=demand, reason="岗位已内部调剂")
    assert closed.state == DemandState.CLOSED
    assert not selectors.public_demands().exists()
    with pytest.raises(DomainError):
        demands.demand_close(actor=world.users["county_org_dept"], demand=demand, reason="again")


# -- who sees what ------------------------------------------------------------------------------------------


def test_each_reader_sees_their_own_demands(world):
    mine_draft = make_demand(world.enterprise_a, state=DemandState.DRAFT)
    mine_published = make_demand(world.enterprise_a)
    theirs_draft = make_demand(world.enterprise_b, state=DemandState.DRAFT)
    theirs_published = make_demand(world.enterprise_b)
    users = world.users
    assert set(selectors.demands_for(users["enterprise"])) == {mine_draft, mine_published}
    assert set(selectors.demands_for(users["county_org_dept"])) == {mine_draft, mine_published}
    assert set(selectors.demands_for(users["city_org_dept"])) == {
        mine_draft,
        mine_published,
        theirs_draft,
        theirs_published,
    }
    assert set(selectors.demands_for(users["talent"])) == set()
    assert set(selectors.public_demands()) == {mine_published, theirs_published}


def test_another_enterprises_draft_is_404_on_every_page(world):
    theirs = make_demand(world.enterprise_b, state=DemandState.DRAFT, title="龙游草稿岗位")
    client = Client()
    client.force_login(world.users["enterprise"])
    for url in (f"/recruitment/my/demands/{theirs.pk}/", f"/recruitment/my/demands/{theirs.pk}/edit/"):
        response = client.get(url)
        assert response.status_code == 404 and "龙游草稿岗位" not in response.content.decode()
    assert client.post(f"/recruitment/my/demands/{theirs.pk}/submit/").status_code == 404
    assert Client().get(f"/recruitment/demands/{theirs.pk}/").status_code == 404
    assert Client().get(f"/api/recruitment/demands/{theirs.pk}").status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == DemandState.DRAFT


def test_the_enterprise_pages_post_and_submit(world):
    client = Client()
    client.force_login(world.users["enterprise"])
    data = _data()
    response = client.post("/recruitment/my/demands/new/", data)
    demand = Demand.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/my/demands/{demand.pk}/")
    assert client.post(f"/recruitment/my/demands/{demand.pk}/submit/").status_code == 302
    demand.refresh_from_db()
    assert demand.state == DemandState.SUBMITTED
    county = Client()
    county.force_login(world.users["county_org_dept"])
    assert demand.title in county.get("/recruitment/my/demands/review/").content.decode()
    county.post(f"/recruitment/my/demands/{demand.pk}/review/", {"decision": "approve", "comment": ""})
    demand.refresh_from_db()
    assert demand.state == DemandState.PUBLISHED


# -- the public search and API ------------------------------------------------------------------------------


def test_the_public_search_filters_without_login(world):
    local = make_demand(world.enterprise_a, title="高分子材料工程师", field="chemicals", salary_max=300_000)
    enclave = make_demand(
        world.enterprise_b,
        title="芯片设计专家",
        place=Place.HANGZHOU_ENCLAVE,
        work_mode="flexible",
        salary_max=900_000,
    )
    make_demand(world.enterprise_a, state=DemandState.SUBMITTED, title="待审核岗位")
    make_demand(
        world.enterprise_a, title="已过期岗位", expires_on=timezone.localdate() - dt.timedelta(days=1)
    )
    assert list(selectors.public_demands(DemandFilters(place=Place.HANGZHOU_ENCLAVE))) == [enclave]
    assert list(selectors.public_demands(DemandFilters(salary=500_000))) == [enclave]
    assert list(selectors.public_demands(DemandFilters(q="高分子"))) == [local]
    assert list(selectors.public_demands(DemandFilters(q=world.enterprise_b.name[:4]))) == [enclave]
    assert list(selectors.public_demands(DemandFilters(field="chemicals", region="330881"))) == [local]
    assert list(selectors.public_demands(DemandFilters(work_mode="flexible"))) == [enclave]

    page = Client().get("/recruitment/demands/", {"place": "hangzhou_enclave"}).content.decode()
    assert "芯片设计专家" in page and "高分子材料工程师" not in page
    everything = Client().get("/recruitment/demands/").content.decode()
    assert "待审核岗位" not in everything and "已过期岗位" not in everything
    assert Client().get(f"/recruitment/demands/{local.pk}/").status_code == 200


def test_the_public_api_needs_no_token_and_pages(world):
    for n in range(3):
        make_demand(world.enterprise_a, title=f"岗位{n}")
    make_demand(world.enterprise_a, state=DemandState.DRAFT, title="草稿")
    response = Client().get("/api/recruitment/demands", {"limit": 2})
    assert response.status_code == 200
    rows = response.json()
    assert len(rows) == 2 and {"title", "salary_min", "salary_max", "place"} <= set(rows[0])
    assert "state" not in rows[0]
    rest = Client().get("/api/recruitment/demands", {"limit": 2, "offset": 2}).json()
    assert [r["title"] for r in rest] == ["岗位0"]
    assert Client().get("/api/recruitment/demands", {"limit": 5000}).status_code == 422


def test_the_api_refuses_an_upside_down_salary_with_every_problem(world):
    token_client = Client()
    token_client.force_login(world.users["enterprise"])
    body = {**_data(salary_min=400_000, salary_max=300_000, headcount=0)}
    body["expires_on"] = body["expires_on"].isoformat()
    response = token_client.post("/api/recruitment/demands", body, content_type="application/json")
    assert response.status_code == 422
    assert {d["field"] for d in response.json()["details"]} == {"salary_max", "headcount"}
    assert not Demand.objects.exists()
    body.update(salary_min=100_000, headcount=1)
    created = token_client.post("/api/recruitment/demands", body, content_type="application/json")
    assert created.status_code == 201 and created.json()["state"] == DemandState.DRAFT


# -- expiry and filling -------------------------------------------------------------------------------------


def test_the_daily_sweep_expires_demands_past_their_date_once(world):
    today = timezone.localdate()
    old = make_demand(world.enterprise_a, expires_on=today - dt.timedelta(days=1))
    old_draft = make_demand(
        world.enterprise_a, state=DemandState.DRAFT, expires_on=today - dt.timedelta(days=3)
    )
    current = make_demand(world.enterprise_a, expires_on=today)
    closed = make_demand(
        world.enterprise_a, state=DemandState.CLOSED, expires_on=today - dt.timedelta(days=9)
    )
    assert "recruitment_demands" in sweeps.registered()
    report = sweeps.run_all(today)
    assert report["recruitment_demands"] == {"expired": 2}
    states = dict(Demand.objects.values_list("pk", "state"))
    assert states[old.pk] == states[old_draft.pk] == DemandState.EXPIRED
    assert (states[current.pk], states[closed.pk]) == (DemandState.PUBLISHED, DemandState.CLOSED)
    assert demands.demands_expire(today) == 0
    assert AuditEntry.objects.filter(action="recruitment.demand.expire").count() == 1


def test_arrivals_fill_a_demand_up_to_its_headcount(world):
    demand = make_demand(world.enterprise_a, headcount=2)
    assert demands.demand_filled(demand.pk) is True
    demand.refresh_from_db()
    assert (demand.filled, demand.state) == (1, DemandState.PUBLISHED)
    assert demands.demand_filled(demand.pk) is True
    demand.refresh_from_db()
    assert (demand.filled, demand.state) == (2, DemandState.FILLED)
    assert demands.demand_filled(demand.pk) is False
    demand.refresh_from_db()
    assert demand.filled == 2
    assert not selectors.public_demands().exists()


@pytest.mark.django_db(transaction=True)
def test_arrivals_confirmed_together_never_count_past_the_headcount(world):
    demand = make_demand(world.enterprise_a, headcount=2)
    results = at_once(
        *(lambda: demands.demand_filled(demand.pk) for _ in range(3)),
        parallel=on_postgresql(),  # SQLite serialises writers: there they run one after the other
    )
    assert sorted(results) == [False, True, True]
    demand.refresh_from_db()
    assert (demand.filled, demand.state) == (2, DemandState.FILLED)
