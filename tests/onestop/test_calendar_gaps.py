"""A year missing from the working-day calendar: deadline pages and the API still answer, with a warning.

On 31 December before next year's holidays are entered, "due within one working day" needs a year the
calendar lacks. The pages and the department API keep their rows, count that year Monday to Friday for the
yellow colour, and say which year is missing and who maintains the calendar.

The pages compute from the real today, so their tests take this year and the next out of the calendar
(marked incomplete, as an administrator's unfinished entry would be): today's next working day then falls
in a missing year whatever the date. The selector takes its date: there the case is 31 December itself.
"""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rencai.accounts.models import ApiToken
from rencai.core import calendar
from rencai.core.models import CalendarYear
from rencai.onestop import selectors, services
from rencai.onestop.models import StepTask
from tests import factories
from tests.onestop.builders import in_progress_gold_card

pytestmark = pytest.mark.django_db

D = dt.date
MISSING_PANEL = "工作日历尚无 {year} 年的节假日和调休安排"
MAINTAINED_BY = "工作日历由系统管理员维护"


@pytest.fixture(autouse=True)
def fresh_cache():
    calendar.clear_cache()
    yield
    calendar.clear_cache()


def take_out_of_the_calendar(*years: int) -> None:
    for year in years:
        CalendarYear.objects.update_or_create(year=year, defaults={"complete": False, "source": "admin"})
    calendar.clear_cache()  # as saving in the admin does


@pytest.fixture
def gap(onestop):
    """The talent's gold card in the departments' hands and another talent's at the window, then this year
    and the next taken out of the calendar (after accepting: accepting sets deadlines, which needs it)."""
    in_progress = in_progress_gold_card(onestop)
    waiting = submitted_gold_card_of_another_talent(onestop)
    year = timezone.localdate().year
    take_out_of_the_calendar(year, year + 1)
    return in_progress, waiting, year


def submitted_gold_card_of_another_talent(onestop):
    talent = factories.make_talent(onestop.world.county_a, tier="C")
    talent.account = factories.make_user(f"t{talent.pk}", "talent")
    talent.save()
    for code in ("id_copy", "photo", "talent_certificate"):
        services.add_material(actor=talent.account, given=services.NewMaterial(code, "电子证照"))
    return services.apply(actor=talent.account, item=onestop.items["gold_card"])


def api_client(user) -> Client:
    _token, key = ApiToken.issue(user)
    return Client(headers={"Authorization": f"Bearer {key}"})


def test_department_queue_page_keeps_its_steps_and_warns_which_year_is_missing(client, onestop, gap):
    in_progress, _waiting, year = gap
    task = in_progress.steps.get(department__kind="hrss")
    client.force_login(onestop.officers["hrss"])
    response = client.get(reverse("onestop:department_queue"))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-task="{task.pk}"' in page and in_progress.talent.name in page
    assert MISSING_PANEL.format(year=year) in page and "暂按周一至周五估算" in page
    assert MAINTAINED_BY in page  # who to ask; only the administrator gets the admin link
    assert "/admin/core/calendaryear/" not in page


def test_window_queue_page_keeps_its_applications_and_warns(client, onestop, gap):
    _in_progress, waiting, year = gap
    client.force_login(onestop.window)
    response = client.get(reverse("onestop:window_queue"))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-application="{waiting.pk}"' in page
    assert MISSING_PANEL.format(year=year) in page and MAINTAINED_BY in page


def test_department_api_answers_with_estimated_colours_and_a_note(onestop, gap):
    in_progress, _waiting, year = gap
    task = in_progress.steps.get(department__kind="hrss")
    response = api_client(onestop.officers["hrss"]).get("/api/services/steps")
    assert response.status_code == 200, response.content
    (step,) = response.json()
    assert step["id"] == task.pk and step["colour"] in ("red", "yellow", "green")
    assert step["colour_estimated"] is True
    assert str(year) in step["colour_note"] and "周一至周五估算" in step["colour_note"]
    assert "工作日历由系统管理员维护" in step["colour_note"]

    english = api_client(onestop.officers["hrss"]).get("/api/services/steps", HTTP_ACCEPT_LANGUAGE="en")
    note = english.json()[0]["colour_note"]
    assert f"no holidays for {year}" in note and "maintained by: system administrator" in note


def test_talents_own_list_keeps_its_applications_and_says_colours_are_estimated(client, onestop, gap):
    in_progress, _waiting, year = gap
    client.force_login(onestop.talent_user)
    response = client.get(reverse("onestop:my_applications"))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-application="{in_progress.pk}"' in page and 'data-step="hrss"' in page
    assert f"工作日历尚无 {year} 年的节假日安排" in page and "暂按周一至周五估算" in page
    assert MAINTAINED_BY not in page  # officers' business, not the talent's


def test_step_and_application_pages_and_the_dashboard_render_with_the_warning(client, onestop, gap):
    in_progress, _waiting, year = gap
    task = in_progress.steps.get(department__kind="hrss")
    client.force_login(onestop.officers["hrss"])
    for url in (
        reverse("onestop:step_detail", args=[task.pk]),
        reverse("onestop:application_detail", args=[in_progress.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert MISSING_PANEL.format(year=year) in response.content.decode()
    client.force_login(onestop.window)
    response = client.get(reverse("onestop:dashboard"))
    assert response.status_code == 200
    assert MISSING_PANEL.format(year=year) in response.content.decode()


def test_the_warning_is_in_english_for_english_readers(client, onestop, gap):
    _in_progress, _waiting, year = gap
    client.force_login(onestop.officers["hrss"])
    client.cookies["django_language"] = "en"
    page = client.get(reverse("onestop:department_queue"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"The working-day calendar has no holidays or adjusted workdays for {year} yet" in page
    assert "maintained by: system administrator" in page


def test_the_administrator_is_offered_the_calendar_to_fill_in(client, onestop, gap, world):
    client.force_login(world.users["superuser"])
    page = client.get(reverse("onestop:department_queue")).content.decode()
    assert "/admin/core/calendaryear/" in page


def test_on_new_years_eve_without_next_years_calendar_the_queue_is_coloured_by_weekdays(onestop):
    application = in_progress_gold_card(onestop)
    last = max(calendar.package_years())  # the package knows nothing after it: last + 1 is missing
    eve = D(last, 12, 31)
    next_weekday = eve + dt.timedelta(days=1)
    while next_weekday.weekday() >= 5:
        next_weekday += dt.timedelta(days=1)
    hrss = application.steps.get(department__kind="hrss")
    org = application.steps.get(department__kind="org")
    StepTask.objects.filter(pk=hrss.pk).update(due_on=next_weekday)
    StepTask.objects.filter(pk=org.pk).update(due_on=next_weekday + dt.timedelta(days=7))

    thresholds = selectors.colour_thresholds(eve)
    assert (thresholds.soon, thresholds.missing_years) == (next_weekday, (last + 1,))
    [yellow] = selectors.department_queue(onestop.officers["hrss"], today=eve)
    [green] = selectors.department_queue(onestop.officers["org"], today=eve)
    assert (yellow.colour, yellow.colour_estimated) == ("yellow", True)
    assert (green.colour, green.colour_estimated) == ("green", True)
    assert selectors.dashboard(onestop.window, today=eve).yellow == 1
    assert selectors.calendar_gap(onestop.window, today=eve)["years"] == [last + 1]


def test_with_the_calendar_complete_no_warning_is_shown(client, onestop):
    in_progress_gold_card(onestop)
    known = D(max(calendar.package_years()), 6, 15)
    assert selectors.colour_thresholds(known).missing_years == ()
    assert selectors.calendar_gap(onestop.officers["hrss"], today=known) is None
