"""The world the analytics page, API, export and report tests share: the permission-matrix world plus a
dozen Kecheng talents and one departed Jiangshan talent, two standard indicators, fresh engine caches; and
the ORM counts the pages are checked against. Test modules import the fixtures they use."""

import datetime as dt

from django.test import Client

from rencai.analytics import compute, history
from rencai.analytics.models import Indicator
from rencai.registry.models import Talent
from tests import factories

KECHENG, JIANGSHAN, LONGYOU = "330802", "330881", "330825"
DAY = dt.date(2026, 6, 30)


def clear_caches() -> None:
    """The engine caches figures per registry state; each test builds its own registry."""
    compute.clear_cache()
    history.clear_cache()


def make_indicators() -> dict[str, Indicator]:
    total = Indicator.objects.update_or_create(
        code="talents_total",
        defaults={
            "name": "人才总量",
            "name_en": "Talents",
            "category": "structure",
            "kind": "frame",
            "numerator": "true",
            "denominator": "",
            "factor": 1,
            "unit": "人",
            "is_standard": True,
            "position": 1,
        },
    )[0]
    share = Indicator.objects.update_or_create(
        code="enterprise_mgmt_share",
        defaults={
            "name": "企业经营管理人才占比",
            "name_en": "Share of enterprise managers",
            "category": "structure",
            "kind": "frame",
            "numerator": 'talent.team == "enterprise_mgmt"',
            "denominator": "true",
            "factor": 100,
            "unit": "%",
            "is_standard": True,
            "position": 2,
            "benchmark": 13,
        },
    )[0]
    Indicator.objects.exclude(code__in=[total.code, share.code]).update(active=False)
    return {"total": total, "share": share}


def build_city(world):
    """The world (Jiangshan: 2 talents, Longyou: 1) plus 8 enterprise managers and 4 professionals in
    Kecheng who arrived in 2016, and one Jiangshan talent who left in 2020."""
    kecheng = world.regions[KECHENG]
    for index in range(8):
        factories.make_talent(
            kecheng, name=f"柯城经管{index}", team="enterprise_mgmt", arrival_date=dt.date(2016, 5, 1)
        )
    for index in range(4):
        factories.make_talent(kecheng, name=f"柯城专技{index}", arrival_date=dt.date(2016, 5, 1))
    factories.make_talent(
        world.county_a,
        name="江山离开者",
        arrival_date=dt.date(2015, 1, 10),
        status="departed",
        departed_on=dt.date(2020, 7, 1),
    )
    make_indicators()
    return world


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def present_on(day: dt.date, **filters) -> int:
    """The ORM's count of the talents present on `day`."""
    return (
        Talent.objects.filter(arrival_date__lte=day, **filters)
        .exclude(departed_on__isnull=False, departed_on__lte=day)
        .count()
    )
