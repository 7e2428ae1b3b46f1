"""Excel downloads of the analytics tables and of the people behind a figure: the rows are the figures and
the people the pages show (scoped, "<5" below the city), text is never a formula, each download is audited,
and a long people list is written by the task worker as a job its owner downloads."""

import io

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from rencai.core.models import AuditEntry, Job, JobKind
from rencai.registry.models import Talent
from tests import factories
from tests.analytics.dashboard_world import (
    DAY,
    KECHENG,
    LONGYOU,
    build_city,
    clear_caches,
    client_for,
    present_on,
)
from tests.core.test_jobs import run_worker


@pytest.fixture(autouse=True)
def _fresh_caches():
    clear_caches()
    yield
    clear_caches()


@pytest.fixture
def city(world):
    return build_city(world)


def sheet_rows(response) -> list[tuple]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def people_page_ids(client: Client, code: str, params: dict) -> set[int]:
    import re

    html = client.get(reverse("analytics:people", args=[code]), params).content.decode()
    return {int(pk) for pk in re.findall(r'data-talent-id="(\d+)"', html)}


def test_the_people_export_holds_exactly_the_drill_down_rows(city):
    client = client_for(city.users["city_org_dept"])
    params = {"day": DAY.isoformat(), "by": "region", "key": KECHENG, "part": "numerator"}
    response = client.get(reverse("analytics:people_export", args=["talents_total"]), params)
    rows = sheet_rows(response)
    assert rows[0][:2] == ("姓名", "证件号码")
    names = {row[0] for row in rows[1:]}
    listed = people_page_ids(client, "talents_total", params)
    assert names == set(Talent.objects.filter(pk__in=listed).values_list("name", flat=True))
    assert len(rows) - 1 == present_on(DAY, region__code=KECHENG) == int(response["X-Export-Rows"])
    # ID numbers are masked as the list shows them
    masked = set(Talent.objects.filter(pk__in=listed).values_list("id_number_masked", flat=True))
    assert {row[1] for row in rows[1:]} == masked
    entry = AuditEntry.objects.filter(action="analytics.people.export").latest("seq")
    assert entry.detail["rows"] == 12 and entry.detail["key"] == KECHENG


def test_a_name_that_looks_like_a_formula_stays_text(city):
    Talent.objects.filter(name="柯城经管0").update(name='=HYPERLINK("http://x","y")')
    client = client_for(city.users["city_org_dept"])
    response = client.get(
        reverse("analytics:people_export", args=["enterprise_mgmt_share"]), {"day": DAY.isoformat()}
    )
    content = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    guarded = next(cell for cell in cells if str(cell.value).startswith("=HYPERLINK"))
    assert guarded.data_type == "s" and guarded.quotePrefix
    plain = next(cell for cell in cells if cell.value == "柯城经管1")
    assert plain.data_type == "s" and not plain.quotePrefix


def test_the_streamed_workbook_keeps_text_numbers_and_dates_apart():
    import datetime as dt
    from decimal import Decimal

    from rencai.analytics.exports import stream_workbook
    from rencai.registry.exports import ExportColumn

    columns = [ExportColumn(name, "") for name in ("文本", "数", "日期", "金额")]
    rows = [["a&b <c>\x07", 1985, dt.date(2016, 5, 1), Decimal("12.50")], ["@SUM(A1)", "", None, 0]]
    spool, count = stream_workbook("名单 & <测试>", columns, rows)
    sheet = openpyxl.load_workbook(spool).active
    assert count == 2 and sheet.title == "名单 & <测试>"
    assert [cell.value for cell in sheet[1]] == ["文本", "数", "日期", "金额"] and sheet["A1"].font.b
    assert sheet["A2"].value == "a&b <c>" and sheet["B2"].value == 1985
    assert sheet["C2"].value == dt.datetime(2016, 5, 1) and sheet["C2"].number_format == "yyyy-mm-dd"
    assert sheet["D2"].value == 12.5
    assert sheet["A3"].value == "@SUM(A1)" and sheet["A3"].data_type == "s" and sheet["A3"].quotePrefix
    assert sheet["B3"].value is None


def test_a_county_officer_exports_only_their_county_and_not_another(city):
    client = client_for(city.users["county_org_dept"])
    url = reverse("analytics:people_export", args=["talents_total"])
    rows = sheet_rows(client.get(url, {"day": DAY.isoformat()}))
    assert {row[0] for row in rows[1:]} == {"江山甲", "江山乙"}
    assert client.get(url, {"day": DAY.isoformat(), "region": LONGYOU}).status_code == 404


def test_a_department_officer_may_not_export_the_people(city):
    url = reverse("analytics:people_export", args=["talents_total"])
    assert client_for(city.users["department"]).get(url, {"day": DAY.isoformat()}).status_code == 403


def test_the_breakdown_export_equals_the_figure_and_shows_lt5_below_the_city(city):
    url = reverse("analytics:indicator_export", args=["talents_total", "breakdown"])
    params = {"day": DAY.isoformat(), "by": "region"}
    city_rows = sheet_rows(client_for(city.users["city_org_dept"]).get(url, params))
    by_label = {row[0]: row for row in city_rows[1:]}
    assert by_label["柯城区"][1] == 12 and by_label["龙游县"][1] == 1
    assert by_label["合计"][1] == present_on(DAY)
    county_rows = sheet_rows(
        client_for(city.users["county_org_dept"]).get(url, {"day": DAY.isoformat(), "by": "team"})
    )
    assert all(row[1] == "<5" for row in county_rows[1:])
    entry = AuditEntry.objects.filter(action="analytics.export").latest("seq")
    assert entry.detail["table"] == "breakdown" and entry.detail["by"] == "team"


def test_the_series_export_has_one_row_per_month(city):
    url = reverse("analytics:indicator_export", args=["talents_total", "series"])
    rows = sheet_rows(client_for(city.users["city_org_dept"]).get(url, {"day": DAY.isoformat()}))
    assert rows[1][0] == "2015-01-31" and rows[-1][0] == "2026-06-30"
    assert len(rows) - 1 == 12 * 11 + 6
    assert rows[-1][1] == present_on(DAY)


def test_the_comparison_and_ranking_exports_rank_the_six_counties(city):
    client = client_for(city.users["city_org_dept"])
    rows = sheet_rows(
        client.get(reverse("analytics:indicator_export", args=["talents_total", "comparison"]), {"day": DAY})
    )
    assert rows[1][0] == "柯城区" and rows[1][1] == 12 and rows[1][4] == 1
    assert len(rows) == 7
    ranking = sheet_rows(client.get(reverse("analytics:dashboard_export", args=["ranking"]), {"day": DAY}))
    assert ("人才总量", "柯城区", 12, 1) in ranking
    headline = sheet_rows(client.get(reverse("analytics:dashboard_export", args=["headline"]), {"day": DAY}))
    assert headline[1][0] == "人才总量" and headline[1][2] == present_on(DAY)


@pytest.mark.parametrize("role", ["enterprise", "talent", "reviewer", "provider"])
def test_roles_outside_government_cannot_export(city, role):
    url = reverse("analytics:indicator_export", args=["talents_total", "breakdown"])
    assert client_for(city.users[role]).get(url).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_a_long_people_list_is_written_as_a_job_only_its_owner_downloads(world, settings, tmp_path):
    settings.RENCAI_JOB_DIR = str(tmp_path / "jobs")
    settings.RENCAI_EXPORT_INLINE_ROWS = 5
    clear_caches()
    build_city(world)
    owner = world.users["city_org_dept"]
    client = client_for(owner)
    url = reverse("analytics:people_export", args=["talents_total"])
    response = client.get(url, {"day": DAY.isoformat()})
    job = Job.objects.get(kind=JobKind.EXPORT)
    assert response.status_code == 302 and response["Location"] == reverse("job_status", args=[job.pk])
    assert client.get(url, {"day": DAY.isoformat()}).status_code == 302  # the same job, not a second
    assert Job.objects.count() == 1

    run_worker()

    download = client.get(reverse("job_download", args=[job.pk]))
    assert download.status_code == 200
    rows = sheet_rows(download)
    assert len(rows) - 1 == present_on(DAY) == 15
    assert AuditEntry.objects.filter(action="analytics.people.export").count() == 1
    other = factories.make_user("city2", "city_org_dept", region=world.regions["330800"])
    assert client_for(other).get(reverse("job_download", args=[job.pk])).status_code == 404
    clear_caches()
