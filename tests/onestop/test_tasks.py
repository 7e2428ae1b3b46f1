"""The deadline sweep: yellow steps reminded, red ones escalated to the head, each once."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from rencai.core import calendar
from rencai.core.calendar import add_working_days
from rencai.core.models import AuditEntry, Notification
from rencai.onestop import selectors
from rencai.onestop.models import DepartmentHead, StepTask
from rencai.onestop.services import sweep_step_deadlines
from rencai.onestop.tasks import reminder_sweep
from tests import factories
from tests.onestop.builders import in_progress_gold_card

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 25)  # a Wednesday


@pytest.fixture
def coloured(onestop):
    """The gold card's two steps: hrss due tomorrow (yellow), org due yesterday (red)."""
    application = in_progress_gold_card(onestop)
    hrss = application.steps.get(department__kind="hrss")
    org = application.steps.get(department__kind="org")
    StepTask.objects.filter(pk=hrss.pk).update(
        opened_on=TODAY - dt.timedelta(days=7), due_on=TODAY + dt.timedelta(days=1)
    )
    StepTask.objects.filter(pk=org.pk).update(
        opened_on=TODAY - dt.timedelta(days=7), due_on=TODAY - dt.timedelta(days=1)
    )
    Notification.objects.all().delete()
    return application, hrss, org


def test_steps_turn_yellow_one_working_day_before_the_deadline_and_red_after_it(onestop):
    task = StepTask(state="pending", due_on=TODAY)
    assert selectors.step_colour(task, TODAY) == "yellow"
    task.due_on = add_working_days(TODAY, 1)
    assert selectors.step_colour(task, TODAY) == "yellow"
    task.due_on = add_working_days(TODAY, 2)
    assert selectors.step_colour(task, TODAY) == "green"
    task.due_on = TODAY - dt.timedelta(days=1)
    assert selectors.step_colour(task, TODAY) == "red"
    friday = dt.date(2026, 11, 27)
    assert selectors.step_colour(StepTask(state="pending", due_on=dt.date(2026, 11, 30)), friday) == "yellow"
    assert selectors.step_colour(StepTask(state="approved", due_on=TODAY - dt.timedelta(days=9)), TODAY) == ""


def test_sweep_reminds_yellow_escalates_red_to_the_head_and_is_idempotent(onestop, coloured):
    _application, hrss, org = coloured
    head = factories.make_user(
        "org_head", "department", region=onestop.world.county_a, department=org.department
    )
    DepartmentHead.objects.create(department=org.department, user=head)

    report = sweep_step_deadlines(today=TODAY)
    assert (report.reminded, report.escalated) == (1, 1)
    hrss.refresh_from_db()
    org.refresh_from_db()
    assert hrss.reminded_at is not None and hrss.escalated_at is None
    assert org.escalated_at is not None and org.reminded_at is None
    reminder = Notification.objects.get(recipient=onestop.officers["hrss"])
    assert "1 件" in reminder.body and reminder.kind == "onestop.reminder"
    escalation = Notification.objects.get(recipient=head)
    assert escalation.kind == "onestop.escalation" and "超过承诺时限" in escalation.body
    assert not Notification.objects.filter(recipient=onestop.officers["org"]).exists()  # the head is told

    again = sweep_step_deadlines(today=TODAY)
    assert (again.reminded, again.escalated, again.notifications) == (0, 0, 0)
    assert Notification.objects.count() == 2


def test_without_a_head_escalation_goes_to_the_departments_officers(onestop, coloured):
    sweep_step_deadlines(today=TODAY)
    assert Notification.objects.get(recipient=onestop.officers["org"]).kind == "onestop.escalation"


def test_decided_and_green_steps_are_left_alone(onestop, coloured):
    _application, hrss, org = coloured
    StepTask.objects.filter(pk=hrss.pk).update(due_on=add_working_days(TODAY, 3))
    StepTask.objects.filter(pk=org.pk).update(state="approved", decided_at=timezone.now())
    report = sweep_step_deadlines(today=TODAY)
    assert (report.reminded, report.escalated) == (0, 0)


def test_the_task_and_the_command_run_the_sweep(onestop, coloured):
    result = reminder_sweep.call(today=TODAY.isoformat())
    assert result == {"reminded": 1, "escalated": 1, "notifications": 2, "calendar_missing": []}
    out = StringIO()
    call_command("remind", "--date", TODAY.isoformat(), stdout=out)
    assert "临近时限提醒 0 件，超期督办 0 件" in out.getvalue()


def test_schedule_starts_each_recurring_chain_once(db):
    from django_tasks_db.models import DBTaskResult

    out = StringIO()
    call_command("schedule", stdout=out)
    call_command("schedule", stdout=StringIO())  # `rencai serve` runs it at every start

    waiting = DBTaskResult.objects.filter(status="READY")
    assert sorted(r.task_path.rsplit(".", 1)[1] for r in waiting) == ["match_task", "reminder_sweep"]
    hours = {r.task_path.rsplit(".", 1)[1]: timezone.localtime(r.run_after).hour for r in waiting}
    assert hours == {"match_task": 2, "reminder_sweep": 8}
    assert all(r.run_after > timezone.now() for r in waiting)
    assert "已安排：政策匹配" in out.getvalue()


# A year missing from the calendar, a failed run ----------------------------------------------------------


def waiting_sweeps():
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path__endswith="reminder_sweep", status="READY")


def test_on_new_years_eve_without_next_years_calendar_the_sweep_reminds_by_weekdays(onestop, coloured):
    last = max(calendar.package_years())  # the package knows nothing after it
    eve = dt.date(last, 12, 31)
    _application, hrss, org = coloured
    StepTask.objects.filter(pk=hrss.pk).update(due_on=eve)
    StepTask.objects.filter(pk=org.pk).update(due_on=eve - dt.timedelta(days=1))

    report = sweep_step_deadlines(today=eve)
    assert (report.reminded, report.escalated, report.calendar_missing) == (1, 1, [last + 1])
    entry = AuditEntry.objects.filter(action="onestop.reminder_sweep").latest("seq")
    assert entry.detail["calendar_missing"] == [last + 1]
    out, err = StringIO(), StringIO()
    call_command("remind", "--date", eve.isoformat(), stdout=out, stderr=err)
    assert f"工作日历缺少 {last + 1} 年" in err.getvalue()


def test_the_daily_sweep_on_new_years_eve_runs_and_enqueues_tomorrows(onestop, coloured):
    last = max(calendar.package_years())
    result = reminder_sweep.call(today=f"{last}-12-31", reschedule=True)
    assert result["calendar_missing"] == [last + 1]
    assert waiting_sweeps().count() == 1


def test_a_failed_daily_sweep_still_enqueues_tomorrows(db):
    with pytest.raises(ValueError):
        reminder_sweep.call(today="31.12.2026", reschedule=True)  # this run fails…
    [tomorrow] = waiting_sweeps()  # …the chain does not
    assert tomorrow.args_kwargs["kwargs"] == {"reschedule": True}
    assert timezone.localtime(tomorrow.run_after).hour == 8
