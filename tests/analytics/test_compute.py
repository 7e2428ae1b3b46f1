"""The analytics engine: figures for any day against counts taken independently with the ORM, breakdowns,
scope, suppression (with secondary suppression), the people behind a figure, monthly series, sources."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Q

from rencai.analytics import compute, history
from rencai.analytics.models import Indicator
from rencai.analytics.services import IndicatorInput, indicator_save
from rencai.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from rencai.policies import ledger
from rencai.policies.models import Policy, PolicyVersion
from rencai.registry.models import Talent
from tests import factories

pytestmark = pytest.mark.django_db

DAY = dt.date(2024, 6, 30)
KECHENG, JIANGSHAN, LONGYOU = "330802", "330881", "330825"


@pytest.fixture(autouse=True)
def _fresh_caches():
    compute.clear_cache()
    history.clear_cache()
    yield
    compute.clear_cache()
    history.clear_cache()


def _indicator(code, numerator, denominator="", factor=1, kind="frame", **fields) -> Indicator:
    return Indicator.objects.update_or_create(
        code=code,
        defaults={
            "name": code,
            "category": "structure",
            "kind": kind,
            "numerator": numerator,
            "denominator": denominator,
            "factor": Decimal(factor),
            "unit": "%" if denominator else "人",
            **fields,
        },
    )[0]


@pytest.fixture
def registry(world):
    """Beside the world's three talents (arrived 2018, present): Kecheng talents of several teams, some
    arrived after DAY, some departed before or after it."""
    kecheng = world.regions[KECHENG]
    for team, count in (("enterprise_mgmt", 7), ("professional", 12), ("high_skill", 3)):
        for i in range(count):
            factories.make_talent(kecheng, team=team, arrival_date=dt.date(2015 + i % 5, 1 + i % 12, 1))
    factories.make_talent(kecheng, team="enterprise_mgmt", arrival_date=dt.date(2025, 1, 1))  # not yet
    factories.make_talent(  # left before the day
        kecheng,
        team="enterprise_mgmt",
        arrival_date=dt.date(2016, 1, 1),
        status="departed",
        departed_on=dt.date(2020, 5, 1),
    )
    factories.make_talent(  # left after the day: present on it
        kecheng,
        team="professional",
        arrival_date=dt.date(2016, 1, 1),
        status="departed",
        departed_on=dt.date(2025, 3, 1),
    )
    return world


def _present(day, **filters):
    """The talents present on `day`, counted by the ORM (the reference the engine is checked against)."""
    return (
        Talent.objects.filter(arrival_date__lte=day, **filters)
        .filter(Q(departed_on__gt=day) | Q(departed_on__isnull=True, status="active"))
        .count()
    )


def test_a_count_on_any_day_is_the_talents_present_that_day(registry):
    total = _indicator("total", "true")
    city = registry.users["city_org_dept"]
    for day in (dt.date(2016, 12, 31), dt.date(2019, 7, 1), DAY, dt.date(2025, 12, 31)):
        figure = compute.figure(total, user=city, day=day)
        assert figure.total.numerator == _present(day)
        assert figure.total.value == Decimal(_present(day))
    assert compute.figure(total, user=city, day=DAY).total.numerator == 3 + 22 + 1


def test_a_share_is_the_numerator_within_the_denominator_times_the_factor(registry):
    share = _indicator("mgmt_share", 'talent.team == "enterprise_mgmt"', "true", factor=100)
    figure = compute.figure(share, user=registry.users["city_org_dept"], day=DAY)
    managers, everyone = _present(DAY, team="enterprise_mgmt"), _present(DAY)
    assert (figure.total.numerator, figure.total.denominator) == (managers, everyone)
    assert figure.total.value == (Decimal(managers) / Decimal(everyone) * 100).quantize(Decimal("0.01"))


def test_breakdowns_by_region_and_team_match_the_orm(registry):
    total = _indicator("total", "true")
    city = registry.users["city_org_dept"]
    by_region = compute.figure(total, user=city, day=DAY, by="region")
    cells = {cell.key: cell.numerator for cell in by_region.cells}
    for code in (KECHENG, JIANGSHAN, LONGYOU):
        assert cells[code] == _present(DAY, region__code=code)
    assert [cell.key for cell in by_region.cells] == sorted(cells)
    by_team = compute.figure(total, user=city, day=DAY, by="team")
    teams = {cell.key: cell.numerator for cell in by_team.cells}
    assert teams["enterprise_mgmt"] == _present(DAY, team="enterprise_mgmt") == 7
    assert teams["professional"] == _present(DAY, team="professional")
    assert sum(teams.values()) == by_team.total.numerator


def test_age_bands_follow_the_day(world):
    kecheng = world.regions[KECHENG]
    factories.make_talent(kecheng, birth_date=dt.date(1990, 7, 1), arrival_date=dt.date(2010, 1, 1))
    total = _indicator("total", "true")
    city = world.users["city_org_dept"]

    def band_of_1990(day):
        cells = compute.figure(total, user=city, day=day, region=kecheng, by="age_band").cells
        return [cell.key for cell in cells if cell.numerator]

    assert band_of_1990(dt.date(2024, 6, 30)) == ["under_35"]  # 33
    assert band_of_1990(dt.date(2026, 7, 1)) == ["35_44"]  # 36


def test_a_bad_breakdown_is_refused(registry):
    total = _indicator("total", "true", breakdowns=["region", "team"])
    city = registry.users["city_org_dept"]
    for by in ("tier", "shoe_size"):
        with pytest.raises(DomainError):
            compute.figure(total, user=city, day=DAY, by=by)


def test_a_county_sees_its_own_county_and_cannot_ask_for_another(registry):
    total = _indicator("total", "true")
    county = registry.users["county_org_dept"]  # Jiangshan
    figure = compute.figure(total, user=county, day=DAY)
    assert figure.total.label == "江山市"
    assert figure.total.suppressed  # two talents: fewer than five
    with pytest.raises(NotFound):
        compute.figure(total, user=county, day=DAY, region=registry.regions[KECHENG])
    with pytest.raises(PermissionDenied):
        compute.figure(total, user=registry.users["enterprise"], day=DAY)


def test_small_cells_are_suppressed_below_the_city_with_a_second_cell_hidden(world):
    jiangshan = world.regions[JIANGSHAN]
    for team, count in (("professional", 20), ("enterprise_mgmt", 9), ("rural", 6)):
        for _ in range(count):
            factories.make_talent(jiangshan, team=team)
    # the world's talents in Jiangshan: one professional, one high_skill (3 teams at 0 besides)
    total = _indicator("total", "true")
    county, city = world.users["county_org_dept"], world.users["city_org_dept"]
    cells = {c.key: c for c in compute.figure(total, user=county, day=DAY, by="team").cells}
    assert cells["professional"].numerator == 21 and not cells["professional"].suppressed
    assert cells["high_skill"].suppressed and cells["high_skill"].numerator is None
    assert cells["party_gov"].suppressed  # zero people: fewer than five as well
    shown = {c.key: c for c in compute.figure(total, user=city, day=DAY, region=jiangshan, by="team").cells}
    assert shown["high_skill"].numerator == 1 and not shown["high_skill"].suppressed


def test_one_small_cell_hides_the_next_smallest_too(world):
    longyou = world.regions[LONGYOU]
    for gender, count in (("male", 30), ("female", 8)):
        for _ in range(count):
            factories.make_talent(longyou, gender=gender)
    # the world's Longyou talent makes 31 or 9; gender "" (not recorded) has 0 people and is hidden: with it
    # alone hidden, the smallest shown cell (female) is hidden too, so neither can be had by subtraction
    total = _indicator("total", "true")
    county = factories.make_user("longyou", "county_org_dept", region=longyou)
    cells = {c.key: c for c in compute.figure(total, user=county, day=DAY, by="gender").cells}
    assert cells[""].suppressed
    assert cells["female"].suppressed
    assert not cells["male"].suppressed and cells["male"].numerator >= 30
    assert compute.suppressed_keys({"a": (50, None, 50), "b": (3, None, 3), "c": (9, None, 9)}) == {"b", "c"}
    assert compute.suppressed_keys({"a": (50, None, 50), "b": (3, None, 3)}, total_hidden=True) == {"b"}
    assert compute.suppressed_keys({"a": (50, None, 50), "b": (3, None, 3), "c": (2, None, 2)}) == {"b", "c"}


def test_the_comparison_ranks_the_six_counties(registry):
    total = _indicator("total", "true")
    ranked = compute.comparison(total, user=registry.users["city_org_dept"], day=DAY)
    assert len(ranked) == 6 and [rank for rank, _cell in ranked] == [1, 2, 3, 4, 5, 6]
    assert ranked[0][1].key == KECHENG and ranked[0][1].numerator == _present(DAY, region__code=KECHENG)
    county_view = compute.comparison(total, user=registry.users["county_org_dept"], day=DAY)
    assert county_view[0][1].key == KECHENG and not county_view[0][1].suppressed
    assert all(cell.suppressed for _rank, cell in county_view[1:])


def test_the_people_behind_a_figure_are_scoped_and_need_the_right(registry):
    share = _indicator("mgmt_share", 'talent.team == "enterprise_mgmt"', "true", factor=100)
    city = registry.users["city_org_dept"]
    people = compute.people(share, user=city, day=DAY, by="region", key=KECHENG)
    expected = (
        Talent.objects.filter(region__code=KECHENG, team="enterprise_mgmt", arrival_date__lte=DAY)
        .filter(Q(departed_on__gt=DAY) | Q(departed_on__isnull=True, status="active"))
        .order_by("id")
    )
    assert list(people) == list(expected)
    everyone = compute.people(share, user=city, day=DAY, part="denominator")
    assert everyone.count() == _present(DAY)
    county = registry.users["county_org_dept"]
    assert set(compute.people(_indicator("total", "true"), user=county, day=DAY)) == {
        registry.talent_a,
        registry.talent_a2,
    }
    with pytest.raises(NotFound):
        compute.people(share, user=county, day=DAY, region=registry.regions[KECHENG])
    with pytest.raises(PermissionDenied):
        compute.people(share, user=registry.users["department"], day=DAY)


def test_a_monthly_series_matches_the_figure_of_each_month_end(registry):
    kecheng = registry.regions[KECHENG]
    honoured = factories.make_talent(kecheng, arrival_date=dt.date(2015, 3, 1))
    honoured.honours.create(programme="national_programme", level="national", year=2017)
    city = registry.users["city_org_dept"]
    for indicator in (
        _indicator("total", "true"),
        _indicator("mgmt_share", 'talent.team == "enterprise_mgmt"', "true", factor=100),
        _indicator("national", '"national_programme" in talent.programmes'),
        _indicator("young", "talent.age < 40"),
        _indicator("inflow", "true", factor=100, kind="flow"),
    ):
        series = compute.series(indicator, user=city, start=dt.date(2015, 1, 1), end=dt.date(2025, 6, 15))
        assert len(series) == 126 and series[-1].key == "2025-06-15"
        compute.clear_cache()
        for cell in [*series[::7], series[-1]]:
            day = dt.date.fromisoformat(cell.key)
            alone = compute.figure(indicator, user=city, day=day).total
            assert (cell.numerator, cell.denominator, cell.value) == (
                alone.numerator,
                alone.denominator,
                alone.value,
            )
    national = compute.series(
        _indicator("national", '"national_programme" in talent.programmes'),
        user=city,
        start=dt.date(2016, 12, 1),
        end=dt.date(2017, 1, 31),
    )
    assert [cell.numerator for cell in national] == [0, 1]


def test_net_inflow_rate_is_arrivals_less_departures_over_the_population_a_year_before(registry):
    inflow = _indicator("inflow", "true", factor=100, kind="flow")
    day = dt.date(2020, 12, 31)
    start = dt.date(2019, 12, 31)
    arrived = Talent.objects.filter(arrival_date__gt=start, arrival_date__lte=day).count()
    left = Talent.objects.filter(departed_on__gt=start, departed_on__lte=day).count()
    figure = compute.figure(inflow, user=registry.users["city_org_dept"], day=day)
    assert figure.total.numerator == arrived - left
    assert figure.total.denominator == _present(start)


def test_region_value_is_unscoped_and_unsuppressed(registry):
    _indicator("total", "true")
    assert compute.region_value("total", region=registry.regions[JIANGSHAN], day=DAY) == Decimal(2)
    assert compute.region_value("missing", region=registry.regions[JIANGSHAN], day=DAY) is None


def test_sources_count_platforms_and_ledger_money(world):
    platforms = _indicator("stations", "", kind="source", source="platforms_academician_station")
    city = world.users["city_org_dept"]
    figure = compute.figure(platforms, user=city, day=dt.date.today(), by="region")
    assert figure.total.numerator == 1  # the world's Jiangshan station; Longyou's is an enclave
    assert {c.key: c.numerator for c in figure.cells}[JIANGSHAN] == 1
    policy = Policy.objects.create(code="p", name="政策", region=world.regions["330800"], kind="subsidy")
    PolicyVersion.objects.create(
        policy=policy, number=1, effective_from=dt.date(2017, 1, 1), eligibility_rule="true", status="issued"
    )
    today = dt.date.today()
    for talent, amount in ((world.talent_a, "2500.00"), (world.talent_b, "1000.50")):
        ledger.reserve(
            policy_id=policy.pk,
            talent_id=talent.pk,
            amount=Decimal(amount),
            year=today.year,
            source="application",
            reference=f"test:{talent.pk}",
        )
    committed = _indicator("committed", "", kind="source", source="ledger_committed", unit="元")
    compute.clear_cache()
    figure = compute.figure(committed, user=city, day=today, by="region")
    assert figure.total.value == Decimal("3500.50")
    assert {c.key: c.value for c in figure.cells}[LONGYOU] == Decimal("1000.50")
    ledger.release(policy_id=policy.pk, talent_id=world.talent_b.pk)
    compute.clear_cache()
    history.clear_cache()
    assert compute.figure(committed, user=city, day=today).total.value == Decimal("2500.00")


def test_a_bad_rule_is_refused_with_the_engines_problems(world):
    city = world.users["city_org_dept"]
    data = IndicatorInput(
        code="bad",
        name="坏指标",
        category="structure",
        kind="frame",
        numerator="talent.team == ",
        factor=Decimal(1),
    )
    with pytest.raises(ValidationFailed) as refused:
        indicator_save(actor=city, data=data)
    problem = refused.value.details[0]
    assert (
        problem["field"] == "numerator"
        and "第1行" in problem["message_zh"]
        and "Line 1" in problem["message_en"]
    )
    wrong_type = IndicatorInput(
        code="bad2", name="坏", category="structure", kind="frame", numerator="talent.age"
    )
    with pytest.raises(ValidationFailed):
        indicator_save(actor=city, data=wrong_type)
    with pytest.raises(PermissionDenied):
        indicator_save(actor=world.users["county_org_dept"], data=data)
    good = IndicatorInput(
        code="good", name="好指标", category="structure", kind="frame", numerator='talent.team == "rural"'
    )
    saved = indicator_save(actor=city, data=good)
    assert saved.numerator == 'talent.team == "rural"'
    changed = indicator_save(
        actor=city, data=IndicatorInput(**{**good.__dict__, "name": "改名"}), indicator=saved
    )
    assert changed.name == "改名"


def test_a_registry_change_shows_in_the_next_figure(registry):
    total = _indicator("total", "true")
    city = registry.users["city_org_dept"]
    before = compute.figure(total, user=city, day=DAY).total.numerator
    newcomer = factories.make_talent(registry.regions[LONGYOU], arrival_date=dt.date(2020, 1, 1))
    assert compute.figure(total, user=city, day=DAY).total.numerator == before + 1
    # read again: the talents changed within the refresh margin (all of this test's), not the whole registry
    assert history.last_refresh().startswith("refreshed ")
    Talent.objects.filter(pk=newcomer.pk).update(status="departed", departed_on=dt.date(2021, 1, 1))
    Talent.objects.filter(pk=newcomer.pk).first().save()  # touches updated_at as the services do
    assert compute.figure(total, user=city, day=DAY).total.numerator == before
