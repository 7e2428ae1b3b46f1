"""The printable monthly report: dated and numbered, the month's figures (the month's last day), the change
on the month before, the six counties ranked, twelve months as small tables with a static line, a print
stylesheet; a county officer's report is their county's."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from rencai.analytics import report
from tests.analytics.dashboard_world import KECHENG, build_city, clear_caches, client_for, present_on


@pytest.fixture(autouse=True)
def _fresh_caches():
    clear_caches()
    yield
    clear_caches()


@pytest.fixture
def city(world):
    return build_city(world)


def value_of(html: str, name: str) -> str:
    row = re.search(rf"<th scope=\"row\">{name}[^<]*</th>(.*?)</tr>", html, re.S).group(1)
    return re.search(r"data-value>([^<]*)<", row).group(1)


def test_the_report_of_a_month_counts_on_its_last_day_and_is_numbered(city):
    html = (
        client_for(city.users["city_org_dept"])
        .get(reverse("analytics:report", args=["2016-05"]))
        .content.decode()
    )
    assert "2016年第5期" in html and "数据截至 2016-05-31" in html
    assert value_of(html, "人才总量") == str(present_on(dt.date(2016, 5, 31))) == "13"
    # Kecheng's twelve arrived in May 2016: the change on April is +12
    row = re.search(r"<th scope=\"row\">人才总量[^<]*</th>(.*?)</tr>", html, re.S).group(1)
    assert re.findall(r'<td class="num">([^<]*)</td>', row)[1] == "+12"


def test_the_report_ranks_the_counties_and_draws_twelve_months_without_script(city):
    html = (
        client_for(city.users["city_org_dept"])
        .get(reverse("analytics:report", args=["2026-06"]))
        .content.decode()
    )
    kecheng = re.search(rf'<tr data-county="{KECHENG}">(.*?)</tr>', html, re.S).group(1)
    assert "#1" in kecheng
    twelve = re.findall(r'<table data-table="twelve">(.*?)</table>', html, re.S)
    assert twelve and len(re.findall(r"<tr><td>", twelve[0])) == 12
    assert "<polyline" in html and "echarts" not in html
    assert (
        "@media print" in open(report.__file__.replace("report.py", "static/analytics/analytics.css")).read()
    )


def test_a_county_officers_report_is_their_county_with_small_cells_hidden(city):
    html = (
        client_for(city.users["county_org_dept"])
        .get(reverse("analytics:report", args=["2026-06"]))
        .content.decode()
    )
    assert "江山市人才工作统计月报" in html
    assert value_of(html, "人才总量") == "&lt;5"


def test_a_month_before_2015_or_in_the_future_has_no_report(city):
    client = client_for(city.users["city_org_dept"])
    assert client.get(reverse("analytics:report", args=["2014-12"])).status_code == 404
    assert client.get(reverse("analytics:report", args=["2099-01"])).status_code == 404
    assert client.get(reverse("analytics:report", args=["2016-13"])).status_code == 404


def test_the_month_under_way_is_counted_to_today():
    month = report.month_of("2026-12", today=dt.date(2026, 12, 6))
    assert month.day == dt.date(2026, 12, 6) and month.number == 12


def test_the_sparkline_skips_suppressed_months():
    points = report.sparkline([1.0, None, 3.0])
    assert points.count(",") == 2
