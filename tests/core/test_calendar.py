"""The working-day calendar: National Day, Spring Festival, adjusted workdays, missing and added years."""

import datetime as dt

import chinese_calendar
import pytest

from rencai.core import calendar
from rencai.core.calendar import CalendarYearMissing, add_working_days, is_working_day, working_days_between
from rencai.core.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db

D = dt.date
# Years entered by an administrator in these tests: 2094 has 2027's calendar (1 January a Friday, not a
# leap year) and lies beyond anything the chinese-calendar package will know, so a new package release
# cannot turn these tests around.


@pytest.fixture(autouse=True)
def fresh_cache():
    # The cache lives per process; a test's rolled-back rows must not leak into the next test through it.
    calendar.clear_cache()
    yield
    calendar.clear_cache()


def test_migration_copied_every_year_the_package_knows():
    assert calendar.known_years() == calendar.package_years()
    assert CalendarDay.objects.get(date=D(2025, 10, 1)).name == "国庆节"
    assert CalendarDay.objects.get(date=D(2025, 9, 28)).name == "调休上班"


def test_national_day_2025_holidays_and_adjusted_workdays_match_chinese_calendar():
    for offset in range(-10, 20):
        day = D(2025, 10, 1) + dt.timedelta(days=offset)
        assert is_working_day(day) == chinese_calendar.is_workday(day), day
    assert [is_working_day(D(2025, 10, day)) for day in range(1, 9)] == [False] * 8
    assert is_working_day(D(2025, 9, 28))  # Sunday, worked
    assert is_working_day(D(2025, 10, 11))  # Saturday, worked
    assert not is_working_day(D(2025, 10, 12))  # an ordinary Sunday


def test_one_working_day_after_national_day_eve_is_october_ninth():
    assert add_working_days(D(2025, 9, 30), 1) == D(2025, 10, 9)


def test_five_working_days_from_friday_before_national_day_count_the_worked_sunday():
    # Fri 26 Sep: Sun 28 (worked), Mon 29, Tue 30, Thu 9 Oct, Fri 10 Oct.
    assert add_working_days(D(2025, 9, 26), 5) == D(2025, 10, 10)
    # …and the worked Saturday 11 Oct is the sixth.
    assert add_working_days(D(2025, 9, 26), 6) == D(2025, 10, 11)


def test_working_days_between_is_the_inverse_of_add_working_days_around_holidays():
    start = D(2025, 9, 20)
    for days in range(0, 30):
        end = add_working_days(start, days)
        assert working_days_between(start, end) == days
    assert working_days_between(D(2025, 9, 26), D(2025, 10, 13)) == 7
    assert working_days_between(D(2025, 10, 13), D(2025, 9, 26)) == -7


def test_adding_zero_working_days_returns_the_start_even_on_a_holiday():
    assert add_working_days(D(2025, 10, 3), 0) == D(2025, 10, 3)


def test_negative_counts_go_back_over_holidays():
    assert add_working_days(D(2025, 10, 9), -1) == D(2025, 9, 30)


def test_spring_festival_2025_and_its_adjusted_workdays():
    # 2025: holidays 28 Jan – 4 Feb; Sunday 26 Jan and Saturday 8 Feb are worked.
    assert [is_working_day(D(2025, 1, 28) + dt.timedelta(days=i)) for i in range(8)] == [False] * 8
    assert is_working_day(D(2025, 1, 26)) and is_working_day(D(2025, 2, 8))
    assert add_working_days(D(2025, 1, 27), 1) == D(2025, 2, 5)
    assert CalendarDay.objects.get(date=D(2025, 1, 29)).name == "春节"


def test_year_counting_crosses_new_year():
    # 1 Jan 2026 is New Year's Day: the next working day comes from the 2026 schedule.
    expected = D(2026, 1, 1)
    while not chinese_calendar.is_workday(expected):
        expected += dt.timedelta(days=1)
    assert add_working_days(D(2025, 12, 31), 1) == expected


def test_missing_year_is_reported_in_both_languages_not_treated_as_weekdays():
    last = max(calendar.package_years())
    unknown = last + 1  # the first year the installed package does not know yet
    with pytest.raises(CalendarYearMissing) as raised:
        is_working_day(D(unknown, 3, 1))
    assert raised.value.code == "calendar_year_missing"
    assert str(unknown) in raised.value.message_zh and str(unknown) in raised.value.message_en
    with pytest.raises(CalendarYearMissing):
        add_working_days(D(last, 12, 28), 10)  # runs into the unknown year


def test_an_estimate_counts_a_missing_year_monday_to_friday_and_names_it():
    last = max(calendar.package_years())
    eve = D(last, 12, 31)
    estimate = calendar.add_working_days_or_estimate(eve, 1)
    expected = eve + dt.timedelta(days=1)
    while expected.weekday() >= 5:
        expected += dt.timedelta(days=1)
    assert (estimate.day, estimate.assumed_years, estimate.exact) == (expected, (last + 1,), False)
    with pytest.raises(CalendarYearMissing):  # the deadline itself is still never guessed
        add_working_days(eve, 1)


def test_an_estimate_within_known_years_is_exact():
    estimate = calendar.add_working_days_or_estimate(D(2025, 9, 30), 1)
    assert (estimate.day, estimate.exact) == (D(2025, 10, 9), True)


def test_the_maintainers_named_in_warnings_are_the_holders_of_the_maintenance_right():
    from django.utils import translation

    assert calendar.maintainers() == "系统管理员"  # Action.MAINTAIN_CALENDAR: no role, administrators
    with translation.override("en"):
        assert calendar.maintainers() == "system administrator"


def test_incomplete_year_entered_by_an_administrator_is_still_missing():
    CalendarYear.objects.create(year=2094, source="admin", complete=False)
    CalendarDay.objects.create(date=D(2094, 1, 1), is_working_day=False, name="元旦", source="admin")
    with pytest.raises(CalendarYearMissing):
        is_working_day(D(2094, 1, 4))


def test_year_added_by_an_administrator_is_used_at_once():
    with pytest.raises(CalendarYearMissing):
        is_working_day(D(2094, 10, 1))
    CalendarDay.objects.bulk_create(
        [
            CalendarDay(date=D(2094, 10, day), is_working_day=False, name="国庆节", source="admin")
            for day in range(1, 8)
        ]
        + [CalendarDay(date=D(2094, 10, 9), is_working_day=True, name="调休上班", source="admin")]
    )
    CalendarYear.objects.create(year=2094, source="admin", complete=True)  # saving clears the cache
    assert not is_working_day(D(2094, 10, 1))
    assert is_working_day(D(2094, 10, 9))  # a Saturday, worked
    assert is_working_day(D(2094, 3, 1))  # an ordinary Monday
    assert add_working_days(D(2094, 9, 30), 1) == D(2094, 10, 8)


def test_a_year_lost_from_the_table_is_copied_again_from_the_package():
    CalendarDay.objects.filter(date__year=2024).delete()
    CalendarYear.objects.filter(year=2024).delete()
    assert not is_working_day(D(2024, 10, 1))
    assert CalendarYear.objects.get(year=2024).source == "chinese_calendar"


def test_loading_from_the_package_leaves_existing_years_alone():
    assert calendar.load_from_package() == []


def test_administrator_adds_a_year_through_the_admin(client, world):
    client.force_login(world.users["superuser"])
    response = client.post(
        "/admin/core/calendarday/add/",
        {"date": "2094-01-01", "is_working_day": "", "name": "元旦", "source": "admin"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    response = client.post(
        "/admin/core/calendaryear/add/", {"year": "2094", "source": "admin", "complete": "on"}
    )
    assert response.status_code == 302
    assert not is_working_day(D(2094, 1, 1))  # Friday, New Year's Day
    assert is_working_day(D(2094, 1, 4))


def test_audit_log_is_read_only_in_the_admin(client, world):
    client.force_login(world.users["superuser"])
    assert client.get("/admin/core/auditentry/").status_code == 200
    assert client.get("/admin/core/auditentry/add/").status_code == 403


# Warning ahead of time ----------------------------------------------------------------------------------


def test_the_coming_year_is_checked_from_45_days_before_it_starts():
    assert calendar.years_missing_soon(D(2093, 11, 16)) == [2093]  # 46 days before 2094: this year only
    assert calendar.years_missing_soon(D(2093, 11, 17)) == [2093, 2094]
    CalendarYear.objects.create(year=2094, source="admin", complete=True)
    assert calendar.years_missing_soon(D(2093, 12, 20)) == [2093]
    assert calendar.years_missing_soon(D(2025, 12, 20)) == []  # both years known to the package


def test_staff_home_pages_warn_while_a_needed_year_is_incomplete(client, world):
    from django.utils import timezone

    this_year = timezone.localdate().year
    CalendarYear.objects.update_or_create(year=this_year, defaults={"complete": False, "source": "admin"})
    for key in ("county_org_dept", "department", "superuser"):
        client.force_login(world.users[key])
        page = client.get("/").content.decode()
        assert f"工作日历尚无 {this_year} 年的节假日和调休安排" in page
        assert ("/admin/core/calendaryear/" in page) == (key == "superuser")  # only the administrator adds
        assert ("工作日历由系统管理员维护" in page) == (key != "superuser")  # the others learn whom to ask
    for key in ("talent", "enterprise", "provider"):
        client.force_login(world.users[key])
        assert "工作日历需要更新" not in client.get("/").content.decode()

    CalendarYear.objects.filter(year=this_year).update(complete=True)
    calendar.clear_cache()  # as saving in the admin does
    client.force_login(world.users["county_org_dept"])
    page = client.get("/").content.decode()
    assert f"工作日历尚无 {this_year} 年" not in page
