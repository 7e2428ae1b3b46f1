"""`rencai demo_worklists` and `rencai demo_targets` together, in the Makefile's order, on the smallest
registry demo: 2017's sheets locked and their circular in the leaders' notifications (with the Excel link,
which opens), this year's sheets in the states the demo says, and a second run of both that changes
nothing."""

import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from rencai.accounts.models import User
from rencai.coordination import circulars
from rencai.coordination.demo_targets import COUNTY_LOGINS, PAST_YEAR
from rencai.coordination.models import (
    Circular,
    Comment,
    Leader,
    LeaderPost,
    Milestone,
    SecretaryProject,
    SheetState,
    TargetItem,
    TargetSheet,
    WorkItem,
    WorkList,
)
from rencai.core.models import AuditEntry, Notification, RegionLevel
from rencai.registry import demo_data as d
from rencai.registry.demo import MIN_TALENTS

pytestmark = pytest.mark.django_db

COUNTIES = {"柯城区", "衢江区", "江山市", "常山县", "开化县", "龙游县"}


def run(command: str, *args) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def outputs() -> dict[str, str]:
    run("demo", "--talents", str(MIN_TALENTS))
    run("demo_policies")
    return {"worklists": run("demo_worklists"), "targets": run("demo_targets")}


def test_2017_is_locked_and_its_circular_reached_every_leader_with_the_excel(outputs):
    past = TargetSheet.objects.filter(year=PAST_YEAR).select_related("region", "department")
    assert past.count() == 12  # the city's own, six counties, four city departments and Jiangshan's HRSS
    assert {sheet.state for sheet in past} == {SheetState.LOCKED}
    assert all(sheet.total is not None and sheet.locked_at is not None for sheet in past)
    counties = [sheet for sheet in past if sheet.department_id is None and sheet.region.level == "county"]
    assert {sheet.unit_name for sheet in counties} == COUNTIES
    # the bonus and the deduction the demo gives stay within their caps
    longyou = next(sheet for sheet in counties if sheet.region.code == d.LONGYOU)
    assert longyou.items.get(section="bonus").points == 2
    assert (
        next(s for s in counties if s.region.code == d.CHANGSHAN).items.get(section="deductions").points == 1
    )

    circular = Circular.objects.get(year=PAST_YEAR)
    county_rows = [row for row in circular.ranking if row["kind"] == circulars.COUNTY]
    assert [row["rank"] for row in county_rows] == [1, 2, 3, 4, 5, 6]
    assert {row["unit"] for row in county_rows} == COUNTIES
    assert len([row for row in circular.ranking if row["kind"] == circulars.DEPARTMENT]) == 5
    assert "2017年度" in outputs["targets"] and circular.title in outputs["targets"]
    assert "送达 17 位领导" in outputs["targets"]  # 6 secretaries, 6 organization heads, 5 department heads

    leaders = Leader.objects.filter(active=True).select_related("user")
    assert leaders.count() == 17
    for leader in leaders:
        message = Notification.objects.get(recipient=leader.user, kind=circulars.KIND_CIRCULAR)
        assert message.subject == circular.title
        assert message.link == circulars.circular_link(circular)
        assert circulars.excel_link(circular) in message.body
    # a county secretary opens the circular and its Excel from the message
    secretary = User.objects.get(username=f"{COUNTY_LOGINS[d.LONGYOU]}_shuji")
    assert leaders.get(user=secretary).post == LeaderPost.SECRETARY
    message = Notification.objects.get(recipient=secretary, kind=circulars.KIND_CIRCULAR)
    row = next(row for row in county_rows if row["unit"] == "龙游县")
    assert f"排名第 {row['rank']} 位" in message.body
    client = Client()
    client.force_login(secretary)
    page = client.get(message.link)
    assert page.status_code == 200 and "龙游县" in page.content.decode()
    excel = client.get(circulars.excel_link(circular))
    assert excel.status_code == 200
    rows = list(load_workbook(io.BytesIO(b"".join(excel.streaming_content))).worksheets[0].values)
    assert rows[0][0] == circular.title
    assert {line[1] for line in rows[2:8]} == COUNTIES


def test_this_years_sheets_are_in_the_states_the_demo_states(outputs):
    today = timezone.localdate()
    current = TargetSheet.objects.filter(year=today.year).select_related("region", "department")
    assert current.count() == 12
    checked = today.month >= 7  # the demo checks the regions' sheets at mid-year once July has come
    for sheet in current:
        if sheet.region.code == d.KAIHUA and sheet.department_id is None:
            expected = SheetState.ISSUED  # one county has not agreed yet
        elif sheet.department_id is None and checked:
            expected = SheetState.MIDYEAR
        else:
            expected = SheetState.AGREED
        assert sheet.state == expected, sheet
        assert sheet.get_state_display() in outputs["targets"]
    # a mid-year check keeps each indicator's measurement from the registry
    measured = TargetItem.objects.filter(
        sheet__year=today.year, sheet__state=SheetState.MIDYEAR, kind="indicator"
    )
    assert measured.exists() == checked
    assert not measured.filter(measured_value__isnull=True).exists()
    assert current.filter(region__level=RegionLevel.COUNTY, department__isnull=True).count() == 6


def test_a_second_run_of_both_changes_nothing(outputs):
    def counts() -> dict[str, int]:
        models = (
            TargetSheet,
            TargetItem,
            Circular,
            Leader,
            WorkList,
            WorkItem,
            Milestone,
            SecretaryProject,
            Comment,
            Notification,
            AuditEntry,
            User,
        )
        return {model.__name__: model.objects.count() for model in models}

    before = counts()
    states = dict(TargetSheet.objects.values_list("pk", "state"))
    again = {"worklists": run("demo_worklists"), "targets": run("demo_targets")}

    assert counts() == before
    assert dict(TargetSheet.objects.values_list("pk", "state")) == states
    assert "未作任何修改" in again["targets"] and "nothing changed" in again["targets"]
    assert "2017" in again["targets"]
