"""The evaluation's part of the daily deadline sweep: objection reminders and escalation, stage reminders;
each sent once however often the sweep runs."""

import datetime as dt
from decimal import Decimal

import pytest

from rencai.core import sweeps
from rencai.core.models import Notification
from rencai.evaluation.choices import CaseState, NoticeState
from rencai.evaluation.models import Objection, PublicNotice
from rencai.evaluation.services import notices
from rencai.evaluation.tasks import deadline_sweep
from rencai.onestop.tasks import reminder_sweep
from tests.evaluation.builders import TODAY, make_case, today_is

pytestmark = pytest.mark.django_db


@pytest.fixture
def objection(world, open_round, monkeypatch):
    today_is(monkeypatch, TODAY)
    make_case(open_round, world.talent_a, state=CaseState.SECOND_PASSED, total_score=Decimal("80"))
    notice = notices.notice_publish(actor=world.users["city_org_dept"], round=open_round)
    return notices.objection_submit(
        notice=notice,
        case=notice.cases.get(),
        name="李四",
        id_number="330881199003070020",
        phone="13912345678",
        point="achievement",
        statement="成果不实",
    )


def _count(user, kind):
    return Notification.objects.filter(recipient=user, kind=kind).count()


def test_an_objection_due_within_two_working_days_is_reminded_once(world, objection):
    officer = world.users["county_org_dept"]
    # due Monday 21 December: on Thursday 17 December it is two working days away
    first = deadline_sweep(dt.date(2026, 12, 17))
    second = deadline_sweep(dt.date(2026, 12, 17))
    deadline_sweep(dt.date(2026, 12, 18))

    assert (first["objections_reminded"], second["objections_reminded"]) == (1, 0)
    assert _count(officer, "evaluation.objection_reminder") == 1
    assert Objection.objects.get().reminded_on == dt.date(2026, 12, 17)


def test_nothing_is_reminded_while_the_answer_is_far_off(world, objection):
    assert deadline_sweep(dt.date(2026, 12, 9))["objections_reminded"] == 0


def test_an_overdue_objection_is_escalated_to_the_city_once(world, objection):
    city, county = world.users["city_org_dept"], world.users["county_org_dept"]

    first = deadline_sweep(dt.date(2026, 12, 22))
    second = deadline_sweep(dt.date(2026, 12, 23))

    assert (first["objections_escalated"], second["objections_escalated"]) == (1, 0)
    assert _count(city, "evaluation.objection_escalation") == 1
    assert _count(county, "evaluation.objection_escalation") == 0  # the officer who has not answered
    assert Objection.objects.get().escalated_on == dt.date(2026, 12, 22)


def test_an_answered_objection_is_neither_reminded_nor_escalated(world, objection):
    notices.objection_answer(
        actor=world.users["county_org_dept"], objection=objection, upheld=False, answer="不成立"
    )
    report = deadline_sweep(dt.date(2026, 12, 22))
    assert (report["objections_reminded"], report["objections_escalated"]) == (0, 0)


def test_a_notice_past_its_period_is_ended_by_the_sweep(world, objection):
    notice = PublicNotice.objects.get()
    deadline_sweep(notice.ends_on)
    assert PublicNotice.objects.get().state == NoticeState.OPEN
    deadline_sweep(notice.ends_on + dt.timedelta(days=1))
    assert PublicNotice.objects.get().state == NoticeState.ENDED


def test_stage_deadlines_remind_those_with_cases_waiting_once(world, open_round):
    make_case(open_round, world.talent_a, state=CaseState.SUBMITTED)
    due = open_round.employer_due  # a Monday; the Thursday before is two working days ahead
    day = due - dt.timedelta(days=4)

    first = deadline_sweep(day)
    second = deadline_sweep(day + dt.timedelta(days=1))

    assert first["stage_reminders"] == 1 and second["stage_reminders"] == 0
    assert _count(world.users["enterprise"], "evaluation.deadline") == 1
    assert _count(world.users["county_org_dept"], "evaluation.deadline") == 0


def test_the_daily_task_runs_the_evaluation_sweep(world, objection):
    assert "evaluation" in sweeps.registered()

    reminder_sweep.call(today="2026-12-17")

    assert Objection.objects.get().reminded_on == dt.date(2026, 12, 17)
