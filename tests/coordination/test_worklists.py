"""Department work lists and first secretaries' projects: milestones on the working-day calendar, the daily
sweep (reminded once, escalated to the head and then to the organization department), and who may keep
what (a department its own list only; a county its own region's; other counties 404)."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from rencai.accounts.models import ApiToken
from rencai.coordination.models import FocusKind, ItemStatus, Milestone, WorkItem
from rencai.coordination.selectors import worklists as selectors
from rencai.coordination.services import worklists as service
from rencai.core import sweeps
from rencai.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from rencai.core.models import Notification
from rencai.registry.models import Department
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def hrss(world):
    """Jiangshan's human-resources bureau (the world's department user works there)."""
    return world.users["department"].department


@pytest.fixture
def worklist(world, hrss):
    return service.worklist_create(
        actor=world.users["department"], department=hrss, year=2017, lead_officer="王局长"
    )


@pytest.fixture
def item(world, worklist):
    return service.work_item_create(
        actor=world.users["department"], worklist=worklist, title="高技能人才培训", responsible="李科长"
    )


@pytest.fixture
def education(world):
    return Department.objects.create(region=world.county_a, kind="education", name="江山市教育局")


@pytest.fixture
def longyou_list(world, regions):
    department = Department.objects.create(
        region=world.county_b, kind="hrss", name="龙游县人力资源和社会保障局"
    )
    return service.worklist_create(actor=world.users["city_org_dept"], department=department, year=2017)


def _count(user, kind):
    return Notification.objects.filter(recipient=user, kind=kind).count()


# -- the calendar -------------------------------------------------------------------------------------------


def test_a_milestone_asked_for_on_a_holiday_moves_to_the_next_working_day(world, item):
    # National Day 2017: 1 to 8 October off; Monday 9 October is the next working day
    milestone = service.milestone_add(
        actor=world.users["department"], tracked=item, title="培训方案", due_on=dt.date(2017, 10, 3)
    )

    assert (milestone.asked_on, milestone.due_on) == (dt.date(2017, 10, 3), dt.date(2017, 10, 9))
    assert not milestone.due_estimated


def test_an_adjusted_working_saturday_is_kept_and_counted(world, item):
    officer = world.users["department"]
    saturday = service.milestone_add(actor=officer, tracked=item, title="调休日", due_on=dt.date(2017, 9, 30))
    counted = service.milestone_add(
        actor=officer, tracked=item, title="一个工作日后", working_days=1, today=dt.date(2017, 9, 29)
    )

    assert saturday.due_on == dt.date(2017, 9, 30)
    assert counted.due_on == dt.date(2017, 9, 30)  # the Saturday worked before National Day


def test_a_year_the_calendar_lacks_is_counted_monday_to_friday_and_marked_estimated(world, item):
    milestone = service.milestone_add(
        actor=world.users["department"], tracked=item, title="远期", due_on=dt.date(2200, 1, 4)
    )

    assert milestone.due_estimated
    assert milestone.due_on.weekday() < 5


def test_a_milestone_needs_a_date_or_working_days_but_not_both(world, item):
    with pytest.raises(ValidationFailed) as refused:
        service.milestone_add(
            actor=world.users["department"],
            tracked=item,
            title="x",
            due_on=dt.date(2017, 5, 2),
            working_days=3,
        )
    assert refused.value.details[0]["field"] == "due_on"


# -- the sweep ----------------------------------------------------------------------------------------------


@pytest.fixture
def due_milestone(world, item, worklist):
    head = factories.make_user("hrss_head", "department", region=world.county_a, department=item.department)
    service.worklist_update(
        actor=world.users["department"], worklist=worklist, lead_officer="王局长", head=head
    )
    # Friday 12 May 2017
    return service.milestone_add(
        actor=world.users["department"], tracked=item, title="完成摸底调查", due_on=dt.date(2017, 5, 12)
    )


def test_a_milestone_due_within_three_working_days_is_reminded_to_its_owner_once(world, due_milestone):
    owner = world.users["department"]

    first = service.worklist_sweep(dt.date(2017, 5, 9))
    second = service.worklist_sweep(dt.date(2017, 5, 9))
    service.worklist_sweep(dt.date(2017, 5, 10))

    assert (first["reminded"], second["reminded"]) == (1, 0)
    assert _count(owner, "coordination.milestone_reminder") == 1
    note = Notification.objects.get(kind="coordination.milestone_reminder")
    assert "完成摸底调查" in note.body and note.link == reverse(
        "coordination:work_item_detail", args=[due_milestone.work_item_id]
    )


def test_nothing_is_reminded_while_the_milestone_is_far_off(world, due_milestone):
    assert service.worklist_sweep(dt.date(2017, 5, 2))["reminded"] == 0


def test_an_overdue_milestone_goes_to_the_head_then_to_the_organization_department_once_each(
    world, due_milestone
):
    head = Notification.objects.filter(kind="coordination.milestone_overdue")
    county = world.users["county_org_dept"]

    first = service.worklist_sweep(dt.date(2017, 5, 15))  # Monday: one working day late
    again = service.worklist_sweep(dt.date(2017, 5, 15))
    before_org = service.worklist_sweep(dt.date(2017, 5, 18))  # four working days late
    to_org = service.worklist_sweep(dt.date(2017, 5, 19))  # five
    after = service.worklist_sweep(dt.date(2017, 5, 26))

    assert (first["escalated_to_head"], again["escalated_to_head"]) == (1, 0)
    assert list(head.values_list("recipient__username", flat=True)) == ["hrss_head"]
    assert (before_org["escalated_to_org"], to_org["escalated_to_org"], after["escalated_to_org"]) == (
        0,
        1,
        0,
    )
    assert _count(county, "coordination.milestone_escalation") == 1
    assert (
        _count(world.users["city_org_dept"], "coordination.milestone_escalation") == 0
    )  # a county's department
    assert WorkItem.objects.get().status == ItemStatus.OVERDUE
    assert first["marked_overdue"] == 1


def test_a_done_milestone_is_neither_reminded_nor_escalated_and_the_item_is_back_in_progress(
    world, due_milestone
):
    service.worklist_sweep(dt.date(2017, 5, 15))
    service.milestone_complete(
        actor=world.users["department"], milestone=due_milestone, done_on=dt.date(2017, 5, 16)
    )

    report = service.worklist_sweep(dt.date(2017, 5, 22))

    assert report["escalated_to_org"] == 0 and report["escalated_to_head"] == 0
    assert WorkItem.objects.get().status == ItemStatus.IN_PROGRESS


def test_the_daily_sweep_runs_the_work_lists_part(world, due_milestone):
    assert "coordination_worklists" in sweeps.registered()
    report = sweeps.run_all(dt.date(2017, 5, 9))
    assert report["coordination_worklists"]["reminded"] == 1


def test_a_projects_overdue_milestone_goes_to_the_county_then_the_city(world):
    county, city = world.users["county_org_dept"], world.users["city_org_dept"]
    project = service.project_create(
        actor=county, region=world.county_a, year=2017, title="人才飞地建设", leader_name="江山市委书记 张某"
    )
    service.milestone_add(actor=county, tracked=project, title="签约", due_on=dt.date(2017, 6, 30))

    service.worklist_sweep(dt.date(2017, 7, 3))
    service.worklist_sweep(dt.date(2017, 7, 7))

    assert _count(county, "coordination.milestone_overdue") == 1
    assert _count(city, "coordination.milestone_escalation") == 1
    assert _count(county, "coordination.milestone_escalation") == 0


# -- status -------------------------------------------------------------------------------------------------


def test_an_item_is_done_only_once_every_milestone_is_done(world, item):
    officer = world.users["department"]
    milestone = service.milestone_add(actor=officer, tracked=item, title="a", due_on=dt.date(2017, 6, 1))
    with pytest.raises(ValidationFailed):
        service.tracked_set_status(actor=officer, tracked=item, status=ItemStatus.DONE)
    service.milestone_complete(actor=officer, milestone=milestone)

    assert (
        service.tracked_set_status(actor=officer, tracked=item, status=ItemStatus.DONE).status
        == ItemStatus.DONE
    )
    with pytest.raises(DomainError):
        service.tracked_set_status(actor=officer, tracked=item, status=ItemStatus.OVERDUE)


def test_progress_moves_a_planned_item_in_progress(world, item):
    service.progress_add(
        actor=world.users["department"], tracked=item, text="已召开动员会", evidence="江人社〔2017〕12号"
    )
    item.refresh_from_db()
    assert item.status == ItemStatus.IN_PROGRESS
    assert item.notes.get().evidence == "江人社〔2017〕12号"


# -- who keeps and who sees ---------------------------------------------------------------------------------


def test_a_department_cannot_keep_another_departments_list(world, education):
    county = world.users["county_org_dept"]
    other = service.worklist_create(actor=county, department=education, year=2017)
    officer = world.users["department"]

    with pytest.raises(PermissionDenied):
        service.duty_add(actor=officer, worklist=other, text="教育人才")
    with pytest.raises(PermissionDenied):
        service.worklist_create(actor=officer, department=education, year=2018)
    with pytest.raises(NotFound):
        selectors.get_worklist(officer, other.pk)
    assert service.duty_add(actor=county, worklist=other, text="教育人才").text == "教育人才"


def test_a_department_sees_its_own_list_only_and_no_projects(world, worklist, education):
    county = world.users["county_org_dept"]
    service.worklist_create(actor=county, department=education, year=2017)
    service.project_create(actor=county, region=world.county_a, year=2017, title="项目", leader_name="书记")

    assert list(selectors.worklists_for(world.users["department"])) == [worklist]
    assert not selectors.projects_for(world.users["department"]).exists()
    assert selectors.worklists_for(county).count() == 2


def test_a_county_cannot_see_or_keep_another_countys_list(world, longyou_list):
    county = world.users["county_org_dept"]

    with pytest.raises(NotFound):
        selectors.get_worklist(county, longyou_list.pk)
    with pytest.raises(PermissionDenied):
        service.duty_add(actor=county, worklist=longyou_list, text="x")
    with pytest.raises(PermissionDenied):
        service.project_create(actor=county, region=world.county_b, year=2017, title="x", leader_name="y")
    assert selectors.get_worklist(world.users["city_org_dept"], longyou_list.pk) == longyou_list


def test_a_department_may_not_create_a_first_secretarys_project(world):
    with pytest.raises(PermissionDenied):
        service.project_create(
            actor=world.users["department"], region=world.county_a, year=2017, title="x", leader_name="y"
        )


def test_one_list_per_department_and_year(world, worklist, hrss):
    with pytest.raises(ValidationFailed) as refused:
        service.worklist_create(actor=world.users["department"], department=hrss, year=2017)
    assert refused.value.details[0]["field"] == "year"


def test_focus_points_are_typed(world, worklist):
    point = service.focus_add(
        actor=world.users["department"],
        worklist=worklist,
        kind=FocusKind.WEAK_POINT,
        title="高技能人才缺口大",
    )
    with pytest.raises(ValidationFailed):
        service.focus_add(actor=world.users["department"], worklist=worklist, kind="other", title="x")
    assert point.get_kind_display() == "薄弱点"


# -- pages and API ------------------------------------------------------------------------------------------


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_pages_show_the_list_and_add_a_milestone_moved_off_a_holiday(world, worklist, item):
    client = _client(world.users["department"])
    service.duty_add(actor=world.users["department"], worklist=worklist, text="统筹全市技能人才队伍建设")

    index = client.get(reverse("coordination:worklist_index") + "?year=2017")
    detail = client.get(reverse("coordination:worklist_detail", args=[worklist.pk]))
    posted = client.post(
        reverse("coordination:work_item_detail", args=[item.pk]),
        {"form": "milestone", "title": "方案印发", "due_on": "2017-10-01"},
        follow=True,
    )

    assert index.status_code == 200 and "江山市人力资源和社会保障局" in index.content.decode()
    assert (
        "统筹全市技能人才队伍建设" in detail.content.decode() and "高技能人才培训" in detail.content.decode()
    )
    assert posted.status_code == 200
    assert Milestone.objects.get(title="方案印发").due_on == dt.date(2017, 10, 9)
    assert "2017-10-09" in posted.content.decode()


def test_pages_of_another_county_are_404_and_leak_no_name(world, longyou_list):
    client = _client(world.users["county_org_dept"])

    detail = client.get(reverse("coordination:worklist_detail", args=[longyou_list.pk]))
    index = client.get(reverse("coordination:worklist_index") + "?year=2017")

    assert detail.status_code == 404
    assert "龙游县人力资源和社会保障局" not in index.content.decode()


def test_the_api_lists_a_departments_own_list_and_adds_a_milestone_once(world, worklist, item, education):
    service.worklist_create(actor=world.users["county_org_dept"], department=education, year=2017)
    _token, key = ApiToken.issue(world.users["department"])
    client = Client(headers={"Authorization": f"Bearer {key}"})

    listed = client.get("/api/coordination/worklists")
    body = {"title": "中期检查", "due_on": "2017-10-02"}
    headers = {"Idempotency-Key": "m-1"}
    first = client.post(
        f"/api/coordination/work-items/{item.pk}/milestones",
        body,
        content_type="application/json",
        headers=headers,
    )
    again = client.post(
        f"/api/coordination/work-items/{item.pk}/milestones",
        body,
        content_type="application/json",
        headers=headers,
    )

    assert [row["id"] for row in listed.json()] == [worklist.pk]
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["due_on"] == "2017-10-09" and first.json()["asked_on"] == "2017-10-02"
    assert Milestone.objects.filter(title="中期检查").count() == 1
