"""The standard set: seeded by the migration, every rule valid, names in both languages, and its figures on a
small registry against the ORM (the seed's team shares, programmes, platforms)."""

import datetime as dt
from decimal import Decimal

import pytest

from rencai.analytics import compute, history
from rencai.analytics.models import Indicator, IndicatorKind
from rencai.analytics.sources import SOURCES
from rencai.analytics.standard import seed_standard_set, standard_definitions
from rencai.registry.models import Talent
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_caches():
    compute.clear_cache()
    history.clear_cache()
    yield
    compute.clear_cache()
    history.clear_cache()


def test_the_migration_seeded_the_whole_standard_set_once():
    codes = {row["code"] for row in standard_definitions()}
    assert set(compute.standard_indicators().values_list("code", flat=True)) == codes
    assert seed_standard_set() == 0  # running it again adds nothing
    for code in (
        "team_enterprise_mgmt_share",
        "team_high_skill_share",
        "programme_national",
        "net_inflow_rate",
    ):
        assert code in codes


def test_every_standard_indicator_computes_and_names_itself_in_both_languages():
    for indicator in Indicator.objects.filter(is_standard=True):
        assert indicator.name and indicator.name_en
        if indicator.kind == IndicatorKind.SOURCE:
            assert indicator.source in SOURCES
        else:
            compute.rules_of(indicator)  # compiles (RuleError otherwise)


def test_the_seeds_team_shares_and_programmes_on_a_small_registry(world):
    kecheng = world.regions["330802"]
    for team, count in (("enterprise_mgmt", 13), ("high_skill", 10), ("professional", 74)):
        for _ in range(count):
            factories.make_talent(kecheng, team=team, arrival_date=dt.date(2016, 1, 1))
    honoured = Talent.objects.filter(team="professional").first()
    honoured.honours.create(programme="national_programme", level="national", year=2019)
    city = world.users["city_org_dept"]
    day = dt.date(2024, 12, 31)
    everyone = Talent.objects.count()  # 97 here + the world's 3
    managers = compute.figure(Indicator.objects.get(code="team_enterprise_mgmt_share"), user=city, day=day)
    assert (managers.total.numerator, managers.total.denominator) == (13, everyone)
    assert managers.total.value == Decimal("13.00") and managers.indicator.benchmark == Decimal("13")
    skilled = compute.figure(Indicator.objects.get(code="team_high_skill_share"), user=city, day=day)
    assert skilled.total.numerator == 10 + 1  # the world's Jiangshan technician
    national = Indicator.objects.get(code="programme_national")
    assert compute.figure(national, user=city, day=day).total.numerator == 1
    assert compute.figure(national, user=city, day=dt.date(2018, 12, 31)).total.numerator == 0
    stations = Indicator.objects.get(code="platforms_academician_station")
    assert compute.figure(stations, user=city, day=dt.date.today()).total.numerator == 1


def test_the_dashboard_holds_headline_comparison_trends_and_structure(world):
    city = world.users["city_org_dept"]
    day = dt.date(2024, 12, 31)
    board = compute.dashboard(user=city, day=day)
    codes = [figure.indicator.code for figure in board["headline"]]
    assert codes[0] == "talents_total" and len(codes) == len(standard_definitions())
    assert board["headline"][0].total.numerator == Talent.objects.count()
    assert len(board["comparison"]["talents_total"]) == 6
    trend = board["trends"]["talents_total"]
    assert trend[0].key == "2015-01-31" and trend[-1].key == "2024-12-31"
    assert trend[-1].numerator == 3 and trend[0].numerator == 0  # the world's talents arrived in 2018
    assert set(board["structure"]) >= {"team", "tier", "age_band", "region"}
    county = compute.dashboard(user=world.users["county_org_dept"], day=day)
    assert county["region"].code == "330881" and county["headline"][0].total.suppressed
    assert "region" not in county["structure"]
