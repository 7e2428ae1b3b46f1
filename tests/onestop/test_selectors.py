"""Scoping and queues: counties see their own; departments their own steps; the dashboard's on-time rates."""

import datetime as dt

import pytest

from rencai.core.errors import NotFound
from rencai.onestop import selectors, services
from rencai.onestop.models import ServiceItem, StepTask
from tests import factories
from tests.onestop.builders import in_progress_gold_card, submitted_gold_card

pytestmark = pytest.mark.django_db


def test_another_countys_officer_gets_not_found(onestop):
    application = submitted_gold_card(onestop)
    longyou = factories.make_user("longyou", "county_org_dept", region=onestop.world.county_b)
    with pytest.raises(NotFound):
        selectors.get_application(longyou, application.pk)
    assert not selectors.window_queue(longyou).exists()
    with pytest.raises(NotFound):
        services.accept(actor=longyou, application=application)
    city = onestop.world.users["city_org_dept"]
    assert selectors.get_application(city, application.pk) == application


def test_a_talent_sees_only_their_own_applications(onestop):
    application = submitted_gold_card(onestop)
    other = factories.make_user("other", "talent")
    factories.make_talent(onestop.world.county_a, account=other)
    assert list(selectors.applications_of_talent(onestop.talent_user)) == [application]
    assert not selectors.applications_of_talent(other).exists()
    with pytest.raises(NotFound):
        selectors.get_application(other, application.pk)


def test_department_queue_holds_only_its_own_steps_earliest_first_with_colours(onestop):
    application = in_progress_gold_card(onestop)
    queue = list(selectors.department_queue(onestop.officers["hrss"]))
    assert [t.department.kind for t in queue] == ["hrss"]
    assert queue[0].application == application and queue[0].colour == "green"
    assert not selectors.department_queue(onestop.window).exists()
    longyou_hrss = factories.Department.objects.create(
        region=onestop.world.county_b, kind="hrss", name="龙游人社"
    )
    stranger = factories.make_user(
        "ly_hrss", "department", region=onestop.world.county_b, department=longyou_hrss
    )
    assert not selectors.department_queue(stranger).exists()
    with pytest.raises(NotFound):
        selectors.get_step_task(stranger, queue[0].pk)


def test_talent_sees_every_steps_state_and_deadline(onestop):
    application = in_progress_gold_card(onestop)
    detail = selectors.application_detail(onestop.talent_user, application.pk)
    assert {(s.department.kind, s.state) for s in detail.steps} == {("hrss", "pending"), ("org", "pending")}
    assert all(s.due_on > s.opened_on and s.colour for s in detail.steps)
    assert [t.to_state for t in detail.transitions][-1] == "in_progress"


def test_a_county_inherits_the_citys_items_and_may_replace_one(onestop):
    world = onestop.world
    codes = [item.code for item in selectors.items_in_region(world.county_a)]
    assert {"gold_card", "education_voucher", "housing_loan", "settlement_subsidy"} <= set(codes)
    own = ServiceItem.objects.create(
        region=world.county_b, code="gold_card", name="龙游人才金卡", outcome="gold_card"
    )
    assert selectors.item_in_region("gold_card", world.county_b) == own
    assert selectors.item_in_region("gold_card", world.county_a) == onestop.items["gold_card"]
    county_b_officer = factories.make_user("longyou", "county_org_dept", region=world.county_b)
    assert own in selectors.catalogue_for(county_b_officer, region=world.county_b)


def test_dashboard_on_time_rate_per_department_and_item(onestop):
    application = in_progress_gold_card(onestop)
    hrss = application.steps.get(department__kind="hrss")
    org = application.steps.get(department__kind="org")
    services.decide_step(actor=onestop.officers["hrss"], task=hrss, approve=True)  # decided today: on time
    StepTask.objects.filter(pk=org.pk).update(opened_on=dt.date(2026, 11, 2), due_on=dt.date(2026, 11, 5))
    board = selectors.dashboard(onestop.world.users["city_org_dept"], today=dt.date(2026, 11, 25))
    by_department = {row.label: row for row in board.by_department}
    assert by_department[hrss.department.name].rate == 1.0
    assert by_department[org.department.name].rate == 0.0  # still open past its deadline
    (item_row,) = board.by_item
    assert (item_row.label, item_row.decided, item_row.on_time, item_row.overdue_open) == (
        "人才金卡申领",
        1,
        1,
        1,
    )
    assert item_row.rate == 0.5
    assert (board.open_steps, board.red) == (1, 1)


def test_the_window_and_loan_queues_scope_their_rows_once(onestop, django_assert_num_queries):
    """The queues check the right by role and scope the rows once: the officer's region subtree (one
    small region query) and the rows themselves, nothing repeated."""
    application = submitted_gold_card(onestop)
    with django_assert_num_queries(2):
        assert list(selectors.window_queue(onestop.window)) == [application]
    with django_assert_num_queries(2):
        assert list(selectors.loan_queue(onestop.officers["housing_fund"])) == []
