"""The recruitment funnel on a small known dataset: exact counts per stage, channel, county, tier and
industry; the cost per arrival; the scope of each role (no figure of another county, enterprise or agency);
the Excel download's contents; the page and the API."""

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rencai.accounts.models import ApiToken
from rencai.core.errors import PermissionDenied
from rencai.core.models import AuditEntry
from rencai.policies.models import Policy
from rencai.recruitment import funnel as reports
from rencai.recruitment.choices import (
    Channel,
    DemandState,
    InstalmentState,
    LeadOutcome,
    PlacementState,
    ReferralState,
    RewardPurpose,
)
from rencai.recruitment.models import Demand, Lead, Referral, Reward, RewardInstalment, RewardScheme
from tests import factories
from tests.recruitment.builders import (
    make_agency,
    make_agency_user,
    make_candidate,
    make_demand,
    make_event,
    make_lead,
    make_placement,
    make_referral,
    make_station,
)

YEAR = 2026
TODAY = dt.date(2026, 12, 7)
FILTERS = reports.FunnelFilters.for_year(YEAR)


def at(day: str) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(day + "T10:00"))


@dataclass
class Data:
    agent1: object
    agent2: object


def _reward(scheme, placement, *, agency=None, enterprise=None, instalments=()) -> Reward:
    reward = Reward.objects.create(
        scheme=scheme,
        placement=placement,
        purpose=scheme.purpose,
        agency=agency,
        enterprise=enterprise,
        year=YEAR,
        amount=sum((amount for amount, _state in instalments), Decimal("0")),
        reservation_reference=f"test-{placement.pk}-{scheme.purpose}",
    )
    for number, (amount, state) in enumerate(instalments, start=1):
        RewardInstalment.objects.create(
            reward=reward, number=number, due_on=dt.date(YEAR, 6, 1), amount=amount, state=state
        )
    return reward


@pytest.fixture
def data(world) -> Data:
    """Jiangshan (A): two demands of 2026 (2 + 1 positions), a draft and one of 2025; Longyou (B): one demand
    (3 positions). Five referrals by two agencies, three leads, three arrivals and a pending one, rewards."""
    city, a, b = world.regions["330800"], world.county_a, world.county_b
    ent_a, ent_b = world.enterprise_a, world.enterprise_b
    d_a1 = make_demand(ent_a, tier_sought="B", field="electronics", headcount=2)
    d_a2 = make_demand(ent_a, tier_sought="C", field="equipment", headcount=1)
    d_b1 = make_demand(ent_b, tier_sought="D", field="electronics", headcount=3)
    make_demand(ent_a, state=DemandState.DRAFT)
    old = make_demand(ent_a)
    for demand, day in (
        (d_a1, "2026-03-01"),
        (d_a2, "2026-04-01"),
        (d_b1, "2026-05-01"),
        (old, "2025-06-01"),
    ):
        Demand.objects.filter(pk=demand.pk).update(published_at=at(day))

    agent1, agent2 = make_agency_user(username="agent1"), make_agency_user(username="agent2")
    agency1, agency2 = make_agency(city, users=[agent1]), make_agency(city, users=[agent2])
    cands = [make_candidate(a) for _ in range(5)]
    r1 = make_referral(agency1, d_a1, cands[0], state=ReferralState.PLACED)
    make_referral(agency1, d_a1, cands[1], state=ReferralState.INTERVIEWED)
    make_referral(agency1, d_b1, cands[2], state=ReferralState.REFERRED)
    r4 = make_referral(agency2, d_b1, cands[3], state=ReferralState.PLACED)
    make_referral(agency2, d_a2, cands[4], state=ReferralState.FAILED)
    Referral.objects.update(created_at=at("2026-06-15"))

    event = make_event(a, held_on=dt.date(2026, 4, 20))
    station = make_station(b)
    l1 = make_lead(make_candidate(a), ent_a, event=event, demand=d_a2, outcome=LeadOutcome.HIRED)
    make_lead(make_candidate(b), ent_b, station=station, outcome=LeadOutcome.INTERVIEWED)
    make_lead(make_candidate(a), ent_a, event=event, outcome=LeadOutcome.NEW)
    Lead.objects.update(created_at=at("2026-04-20"))

    p1 = make_placement(
        world.talent_a, ent_a, channel=Channel.REFERRAL, referral=r1, demand=d_a1, tier="B",
        arrived_on=dt.date(2026, 5, 1),
    )  # fmt: skip
    p2 = make_placement(
        world.talent_b, ent_b, channel=Channel.REFERRAL, referral=r4, demand=d_b1, tier="C",
        arrived_on=dt.date(2026, 6, 1), state=PlacementState.LEFT_EARLY,
    )  # fmt: skip
    p3 = make_placement(
        world.talent_a2, ent_a, channel=Channel.EVENT, lead=l1, demand=d_a2, tier="E",
        arrived_on=dt.date(2026, 2, 1), state=PlacementState.RETAINED,
    )  # fmt: skip
    make_placement(
        factories.make_talent(b), ent_b, channel=Channel.STATION, state=PlacementState.PENDING,
        arrived_on=dt.date(2026, 7, 1),
    )  # fmt: skip

    policy = Policy.objects.create(code="recruit-test", name="引才奖励测试政策", region=city, kind="subsidy")
    agency_scheme = RewardScheme.objects.create(
        code="agency-test", name="中介引才奖励", purpose=RewardPurpose.AGENCY_PLACEMENT, region=city,
        policy=policy, effective_from=dt.date(2026, 1, 1), amounts={"B": 100000, "C": 50000},
    )  # fmt: skip
    platform_scheme = RewardScheme.objects.create(
        code="platform-test", name="平台型企业引才重奖", purpose=RewardPurpose.PLATFORM_ENTERPRISE,
        region=city, policy=policy, effective_from=dt.date(2026, 1, 1), amounts={"E": 20000},
    )  # fmt: skip
    paid, due, cancelled = InstalmentState.PAID, InstalmentState.SCHEDULED, InstalmentState.CANCELLED
    half = Decimal("50000")
    _reward(agency_scheme, p1, agency=agency1, instalments=[(half, paid), (half, due)])
    _reward(
        agency_scheme,
        p2,
        agency=agency2,
        instalments=[(Decimal("25000"), paid), (Decimal("25000"), cancelled)],
    )
    _reward(platform_scheme, p3, enterprise=ent_a, instalments=[(Decimal("20000"), due)])
    return Data(agent1, agent2)


def figures(stages: reports.Stages) -> dict:
    return {name: getattr(stages, name) for name in reports.STAGE_NAMES}


def counts(*values) -> dict:
    """demands, positions, referrals, leads, interviews, arrivals, retained: as `figures` reads them."""
    return dict(zip(reports.STAGE_NAMES, values, strict=True))


def table(funnel: reports.Funnel, dimension: str) -> dict[str, reports.Stages]:
    return {row.key: row.stages for row in funnel.tables[dimension]}


# -- the figures --------------------------------------------------------------------------------------------


def test_the_city_sees_every_stage_of_the_whole_city(world, data):
    funnel = reports.funnel_for(world.users["city_org_dept"], FILTERS, today=TODAY)

    # drafts, the 2025 demand, the failed referral's interview and the pending arrival do not count
    assert figures(funnel.total) == {
        "demands": 3,
        "positions": 6,
        "referrals": 5,
        "leads": 3,
        "interviews": 5,
        "arrivals": 3,
        "retained": 1,
    }
    assert funnel.total.committed == Decimal("145000") and funnel.total.paid == Decimal("75000")
    assert funnel.total.cost_per_arrival == Decimal("48333.33")


def test_the_funnel_by_channel_counts_referrals_leads_and_arrivals_of_each(world, data):
    by_channel = table(reports.funnel_for(world.users["city_org_dept"], FILTERS, today=TODAY), "channel")

    assert list(by_channel) == ["referral", "event", "station"]
    referral, event, station = by_channel["referral"], by_channel["event"], by_channel["station"]
    assert figures(referral) == counts(None, None, 5, 0, 3, 2, 0)
    assert (referral.committed, referral.paid, referral.cost_per_arrival) == (
        Decimal("125000"),
        Decimal("75000"),
        Decimal("62500.00"),
    )
    assert (event.leads, event.interviews, event.arrivals, event.retained) == (2, 1, 1, 1)
    assert event.cost_per_arrival == Decimal("20000.00") and event.retention_rate == Decimal("100.0")
    assert (station.leads, station.interviews, station.arrivals, station.cost_per_arrival) == (1, 1, 0, None)


def test_the_city_compares_the_counties(world, data):
    by_county = table(reports.funnel_for(world.users["city_org_dept"], FILTERS, today=TODAY), "county")

    assert set(by_county) == {"330881", "330825"}
    jiangshan, longyou = by_county["330881"], by_county["330825"]
    assert figures(jiangshan) == counts(2, 3, 3, 2, 3, 2, 1)
    assert figures(longyou) == counts(1, 3, 2, 1, 2, 1, 0)
    assert (jiangshan.committed, longyou.committed, longyou.paid) == (
        Decimal("120000"),
        Decimal("25000"),
        Decimal("25000"),
    )


def test_the_funnel_by_tier_and_industry(world, data):
    funnel = reports.funnel_for(world.users["city_org_dept"], FILTERS, today=TODAY)
    by_tier, by_industry = table(funnel, "tier"), table(funnel, "industry")

    # demands and referrals by the tier sought, arrivals by the talent's tier at arrival; a lead without a
    # demand has no tier
    assert list(by_tier) == ["B", "C", "D", "E", ""]
    assert (by_tier["B"].demands, by_tier["B"].referrals, by_tier["B"].arrivals) == (1, 2, 1)
    assert (by_tier["C"].demands, by_tier["C"].referrals, by_tier["C"].leads, by_tier["C"].arrivals) == (
        1,
        1,
        1,
        1,
    )
    assert (by_tier["E"].arrivals, by_tier["E"].retained) == (1, 1)
    assert by_tier[""].leads == 2
    # a lead without a demand counts under its enterprise's industry
    assert by_industry["electronics"].referrals == 4 and by_industry["electronics"].arrivals == 2
    assert by_industry["equipment"].demands == 1 and by_industry["equipment"].arrivals == 1
    assert by_industry["manufacturing"].leads == 2


def test_an_arrival_counts_as_still_here_twelve_months_after_it(world, data):
    funnel = reports.funnel_for(world.users["city_org_dept"], FILTERS, today=dt.date(2027, 5, 1))

    # p1 (confirmed, arrived 2026-05-01) is now twelve months in; p2 left early, p3 was retained already
    assert funnel.total.retained == 2


def test_a_date_range_and_a_narrowing_select_the_rows(world, data):
    city = world.users["city_org_dept"]
    spring = reports.FunnelFilters(dt.date(2026, 1, 1), dt.date(2026, 4, 30))
    only_jiangshan = reports.FunnelFilters.for_year(YEAR, county="330881", channel="event")

    assert figures(reports.funnel_for(city, spring, today=TODAY).total) == counts(2, 3, 0, 3, 2, 1, 1)
    narrowed = reports.funnel_for(city, only_jiangshan, today=TODAY)
    assert figures(narrowed.total) == counts(0, 0, 0, 2, 1, 1, 1)
    assert set(table(narrowed, "county")) == {"330881"}


def test_the_funnel_takes_five_queries_whatever_the_data(world, data, django_assert_max_num_queries):
    city = world.users["city_org_dept"]

    # five GROUP BY queries, each stage's scope (the region subtree's ids), and the regions to roll up by
    with django_assert_max_num_queries(11):
        reports.funnel_for(city, FILTERS, today=TODAY)


# -- scope --------------------------------------------------------------------------------------------------


def test_a_county_sees_its_own_region_only(world, data):
    funnel = reports.funnel_for(world.users["county_org_dept"], FILTERS, today=TODAY)

    assert set(table(funnel, "county")) == {"330881"}
    assert figures(funnel.total) == counts(2, 3, 3, 2, 3, 2, 1)
    assert funnel.total.committed == Decimal("120000")


def test_an_enterprise_sees_its_own_demands_and_arrivals(world, data):
    funnel = reports.funnel_for(world.users["enterprise"], FILTERS, today=TODAY)

    assert set(table(funnel, "county")) == {"330881"}
    assert (funnel.total.demands, funnel.total.referrals, funnel.total.arrivals) == (2, 3, 2)


def test_an_agency_sees_its_own_referrals_and_what_they_brought(world, data):
    mine = reports.funnel_for(data.agent1, FILTERS, today=TODAY)
    theirs = reports.funnel_for(data.agent2, FILTERS, today=TODAY)

    assert figures(mine.total) == counts(2, 5, 3, 0, 2, 1, 0)
    assert (mine.total.committed, mine.total.paid) == (Decimal("100000"), Decimal("50000"))
    assert (theirs.total.referrals, theirs.total.arrivals, theirs.total.committed) == (2, 1, Decimal("25000"))


@pytest.mark.parametrize("role", ["talent", "reviewer", "provider"])
def test_those_outside_recruitment_are_refused_the_funnel(world, data, role):
    with pytest.raises(PermissionDenied):
        reports.funnel_for(world.users[role], FILTERS)


# -- the page, the download and the API ---------------------------------------------------------------------


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_shows_the_tables_the_charts_and_the_download(world, data):
    response = client_for(world.users["city_org_dept"]).get(reverse("recruitment:funnel"), {"year": YEAR})

    html = response.content.decode()
    assert response.status_code == 200
    assert '<tr data-row="total"><th scope="row">合计</th><td data-col="demands">3</td>' in html
    assert 'data-table="county"' in html and "江山市" in html and "龙游县" in html
    assert 'id="chart-funnel"' in html and 'id="funnel-chart-data"' in html
    assert "vendor/echarts.min.js" in html and "recruitment/funnel.js" in html and "cdn" not in html.lower()
    assert f"{reverse('recruitment:funnel_export')}?year={YEAR}" in html


def test_a_county_page_names_no_other_county(world, data):
    response = client_for(world.users["county_org_dept"]).get(reverse("recruitment:funnel"), {"year": YEAR})

    html = response.content.decode()
    assert "江山市" in html and '<tr data-row="330881">' in html and '<tr data-row="330825">' not in html


def test_a_wrong_filter_is_named_and_the_year_shown(world, data):
    response = client_for(world.users["city_org_dept"]).get(
        reverse("recruitment:funnel"), {"year": YEAR, "channel": "telepathy", "from": "2026-13-01"}
    )

    html = response.content.decode()
    assert "无此筛选值：telepathy" in html and "日期格式应为 YYYY-MM-DD" in html
    assert '<tr data-row="total"><th scope="row">合计</th><td data-col="demands">3</td>' in html


def test_the_workbook_holds_every_table_as_the_page_does(world, data):
    response = client_for(world.users["city_org_dept"]).get(
        reverse("recruitment:funnel_export"), {"year": YEAR}
    )

    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["总体", "按引才渠道", "按县（市、区）", "按人才层次", "按行业"]
    total = [list(row) for row in workbook["总体"].iter_rows(values_only=True)]
    assert total[0][:7] == ["范围", "发布需求", "需求人数", "中介推荐", "引才线索", "面试", "到岗"]
    assert total[1] == ["2026-01-01 ~ 2026-12-31", 3, 6, 5, 3, 5, 3, 1, 33.3, 145000, 75000, 48333.33]
    counties = {row[0]: row for row in workbook["按县（市、区）"].iter_rows(min_row=2, values_only=True)}
    assert counties["江山市"][1:8] == (2, 3, 3, 2, 3, 2, 1) and counties["龙游县"][9] == 25000
    channels = {row[0]: row for row in workbook["按引才渠道"].iter_rows(min_row=2, values_only=True)}
    assert channels["中介推荐"][1] is None and channels["中介推荐"][11] == 62500


def test_a_county_workbook_has_no_other_county_and_the_download_is_audited(world, data):
    user = world.users["county_org_dept"]

    response = client_for(user).get(reverse("recruitment:funnel_export"), {"year": YEAR})

    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    names = [row[0] for row in workbook["按县（市、区）"].iter_rows(min_row=2, values_only=True)]
    assert names == ["江山市"]
    entry = AuditEntry.objects.filter(action="recruitment.funnel.export").get()
    assert entry.actor_id == user.pk and entry.detail["from"] == "2026-01-01"


def test_the_api_answers_the_same_figures_and_refuses_a_wrong_filter(world, data):
    _token, key = ApiToken.issue(world.users["county_org_dept"])
    client = Client(headers={"Authorization": f"Bearer {key}"})

    body = client.get("/api/recruitment/funnel", {"year": YEAR}).json()
    wrong = client.get("/api/recruitment/funnel", {"year": "1900", "tier": "Z"})

    assert body["total"]["referrals"] == 3 and body["total"]["arrivals"] == 2
    assert [row["key"] for row in body["county"]] == ["330881"]
    assert [row["stages"]["demands"] for row in body["channel"]] == [None, None]
    assert wrong.status_code == 422
    assert {problem["field"] for problem in wrong.json()["details"]} == {"year", "tier"}


def test_the_right_to_browse_is_what_opens_the_page(world, data):
    assert client_for(world.users["provider"]).get(reverse("recruitment:funnel")).status_code == 403
    assert client_for(data.agent1).get(reverse("recruitment:funnel")).status_code == 200
