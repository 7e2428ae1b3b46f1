"""Login throttling by account and address, password rules, the audit of every login, and idle sessions."""

import datetime as dt
import io
import json
import time

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client

from rencai.accounts.middleware import LAST_ACTIVITY, SIGNED_IN_AT
from rencai.accounts.models import ApiToken
from rencai.core.models import AuditEntry
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
WRONG = "Wrong-Guess-2024"


def sign_in(client, username: str, password: str, ip: str = "10.0.0.1", **extra):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("seq"))


# -- throttling ---------------------------------------------------------------------------------------------


def test_six_wrong_passwords_lock_the_account_at_that_address_and_then_refuse_the_right_one(world):
    client = Client()
    answers = [sign_in(client, "county", WRONG).status_code for _ in range(6)]

    refused = sign_in(client, "county", PASSWORD)

    assert answers[:4] == [200] * 4  # the login form again, "wrong username or password"
    assert answers[4:] == [429, 429]  # the fifth failure locks the pair out
    assert refused.status_code == 429
    html = refused.content.decode()
    assert "data-lockout" in html and "登录已暂时锁定" in html and "15 分钟" in html
    assert signed_in_user_id(client) is None


def test_a_locked_pair_leaves_other_accounts_at_that_address_and_that_account_elsewhere_free(world):
    for _ in range(5):
        sign_in(Client(), "county", WRONG, ip="10.0.0.1")

    other_account = Client()
    sign_in(other_account, "talent", PASSWORD, ip="10.0.0.1")
    other_address = Client()
    sign_in(other_address, "county", PASSWORD, ip="10.0.0.2")

    assert signed_in_user_id(other_account) == str(world.users["talent"].pk)
    assert signed_in_user_id(other_address) == str(world.users["county_org_dept"].pk)


def test_a_forged_forwarded_for_header_does_not_dodge_the_lockout(world):
    client = Client()
    for n in range(5):
        sign_in(client, "county", WRONG, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")

    refused = sign_in(client, "county", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99")

    assert refused.status_code == 429


def test_behind_a_trusted_proxy_the_address_it_saw_is_the_one_locked_out(world, settings):
    settings.RENCAI_TRUSTED_PROXIES = 1
    for _ in range(5):
        sign_in(Client(), "county", WRONG, ip="10.9.9.9", HTTP_X_FORWARDED_FOR="forged, 203.0.113.7")

    assert (
        sign_in(Client(), "county", PASSWORD, ip="10.9.9.9", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code
        == 429
    )
    free = Client()
    sign_in(free, "county", PASSWORD, ip="10.9.9.9", HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert signed_in_user_id(free) == str(world.users["county_org_dept"].pk)
    assert AccessAttempt.objects.get().ip_address == "203.0.113.7"


def test_the_lockout_ends_after_the_cool_off(world):
    for _ in range(5):
        sign_in(Client(), "county", WRONG)
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))

    client = Client()
    sign_in(client, "county", PASSWORD)

    assert signed_in_user_id(client) == str(world.users["county_org_dept"].pk)


def test_the_administrator_lifts_a_lockout_with_the_reset_command(world):
    for _ in range(5):
        sign_in(Client(), "county", WRONG)

    call_command("axes_reset_username", "county", stdout=io.StringIO())
    client = Client()
    sign_in(client, "county", PASSWORD)

    assert signed_in_user_id(client) == str(world.users["county_org_dept"].pk)


def test_the_lockout_page_is_in_english_for_an_english_reader(world):
    client = Client(headers={"Accept-Language": "en"})
    for _ in range(5):
        response = sign_in(client, "county", WRONG)

    html = response.content.decode()
    assert response.status_code == 429
    assert "Sign-in temporarily locked" in html and "15 minutes" in html


def test_a_lockout_does_not_touch_api_tokens_nor_the_test_clients_force_login(world, client):
    user = world.users["county_org_dept"]
    _token, key = ApiToken.issue(user)
    for _ in range(6):
        sign_in(Client(), "county", WRONG, ip="127.0.0.1")

    api = Client(headers={"Authorization": f"Bearer {key}"}).get("/api/policies/")
    client.force_login(user)

    assert api.status_code == 200
    assert client.get("/").status_code == 200


# -- passwords ----------------------------------------------------------------------------------------------


def refusals(password: str, user) -> set[str]:
    try:
        validate_password(password, user)
    except ValidationError as error:
        return {problem.code for problem in error.error_list}
    return set()


def test_weak_passwords_are_refused(world):
    officer = world.users["county_org_dept"]

    assert {"password_too_short", "password_too_common", "password_entirely_numeric"} <= refusals(
        "12345678", officer
    )
    assert "password_too_common" in refusals("password", officer)
    assert "password_too_uniform" in refusals("onlylowercaseletters", officer)


def test_a_password_like_the_username_is_refused(regions):
    user = factories.make_user("Zhang.Wei-2024", "talent")

    assert refusals("Zhang.Wei-2024", user) == {"password_too_similar"}


def test_officers_need_twelve_characters_where_talents_need_ten(world):
    eleven = "Qz-river9x!"

    assert refusals(eleven, world.users["talent"]) == set()
    assert refusals(eleven, world.users["county_org_dept"]) == {"password_too_short"}
    assert refusals(eleven, world.users["superuser"]) == {"password_too_short"}


def test_the_shared_test_password_and_the_demo_password_meet_the_rules(world):
    from rencai.registry.demo import DEMO_PASSWORD

    for user in world.users.values():
        assert refusals(PASSWORD, user) == set()
        assert refusals(DEMO_PASSWORD, user) == set()


def test_changing_ones_password_refuses_a_weak_one_and_audits_a_good_one(world, client):
    user = world.users["county_org_dept"]
    client.force_login(user)
    form = {"old_password": PASSWORD, "new_password1": "password", "new_password2": "password"}

    weak = client.post("/accounts/password/", form)
    strong = "Another-Strong-pw7"
    good = client.post(
        "/accounts/password/", {"old_password": PASSWORD, "new_password1": strong, "new_password2": strong}
    )

    assert weak.status_code == 200 and "errorlist" in weak.content.decode()
    assert good.status_code == 302 and client.get("/").status_code == 200  # still signed in and verified
    user.refresh_from_db()
    assert user.check_password(strong)
    [entry] = entries("accounts.password_change")
    assert entry.actor_id == user.pk
    assert strong not in json.dumps(entry.detail) and PASSWORD not in json.dumps(entry.detail)


# -- audit --------------------------------------------------------------------------------------------------


def test_a_login_is_audited_with_the_address(world):
    user = world.users["talent"]
    sign_in(Client(), "talent", PASSWORD, ip="10.1.2.3")

    [entry] = entries("accounts.login")

    assert (entry.actor_id, entry.ip, entry.object_id) == (user.pk, "10.1.2.3", str(user.pk))
    assert PASSWORD not in json.dumps(entry.detail)


def test_a_failed_login_is_audited_with_the_username_tried_never_the_password(world):
    sign_in(Client(), "county", WRONG, ip="10.1.2.4")
    sign_in(Client(), "nobody-such", WRONG, ip="10.1.2.4")

    failures = entries("accounts.login_failed")

    assert [entry.detail["username"] for entry in failures] == ["county", "nobody-such"]
    assert {entry.ip for entry in failures} == {"10.1.2.4"}
    assert all(entry.actor_id is None for entry in failures)
    everything = json.dumps([e.detail for e in AuditEntry.objects.all()], ensure_ascii=False)
    assert WRONG not in everything
    assert all(WRONG not in attempt.post_data for attempt in AccessAttempt.objects.all())


def test_a_lockout_and_a_logout_are_audited(world):
    for _ in range(5):
        sign_in(Client(), "county", WRONG)
    client = Client()
    sign_in(client, "talent", PASSWORD)
    client.post("/accounts/logout/")

    [locked] = entries("accounts.locked_out")
    [logout] = entries("accounts.logout")

    assert locked.detail["username"] == "county" and locked.ip == "10.0.0.1"
    assert entries("accounts.login_failed")[-1].detail["locked_out"] is True
    assert (logout.actor_id, logout.detail["reason"]) == (world.users["talent"].pk, "user")


# -- idle sessions ------------------------------------------------------------------------------------------


def age_session(client, *, idle_minutes: float = 0, signed_in_hours: float = 0) -> None:
    """Move the session's stored clocks back (the platform's own clock is left alone)."""
    session = client.session
    session[LAST_ACTIVITY] = time.time() - idle_minutes * 60
    session[SIGNED_IN_AT] = time.time() - max(signed_in_hours * 3600, idle_minutes * 60)
    session.save()


def test_an_officer_idle_for_31_minutes_is_logged_out_and_told_why(world, client):
    officer = world.users["county_org_dept"]
    client.force_login(officer)
    age_session(client, idle_minutes=31)

    response = client.get("/registry/talents/")

    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/registry/talents/"
    assert signed_in_user_id(client) is None
    login_page = client.get(response["Location"]).content.decode()
    assert "30 分钟未操作" in login_page
    [logout] = entries("accounts.logout")
    assert (logout.actor_id, logout.detail["reason"]) == (officer.pk, "idle")


def test_an_officer_active_29_minutes_ago_stays_signed_in(world, client):
    client.force_login(world.users["county_org_dept"])
    age_session(client, idle_minutes=29)

    assert client.get("/").status_code == 200
    assert time.time() - client.session[LAST_ACTIVITY] < 5  # the visit counts as activity


def test_a_talent_stays_signed_in_after_31_idle_minutes_but_not_after_two_hours(world, client):
    client.force_login(world.users["talent"])
    age_session(client, idle_minutes=31)
    assert client.get("/").status_code == 200

    age_session(client, idle_minutes=121)
    assert client.get("/").status_code == 302
    assert signed_in_user_id(client) is None


def test_no_session_outlives_the_absolute_cap_however_busy(world, client):
    client.force_login(world.users["talent"])
    age_session(client, idle_minutes=1, signed_in_hours=12.5)

    response = client.get("/")

    assert response.status_code == 302 and signed_in_user_id(client) is None
    assert "登录时间已超过上限" in client.get(response["Location"]).content.decode()


def test_an_idle_session_gets_401_from_the_api(world, client):
    client.force_login(world.users["county_org_dept"])
    age_session(client, idle_minutes=31)

    assert client.get("/api/policies/").status_code == 401
