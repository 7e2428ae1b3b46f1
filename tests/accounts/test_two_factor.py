"""The second factor of privileged accounts: enrolment with a real TOTP code, recovery codes, sign-in,
throttled wrong codes, the admin and the API held to it, talents never asked."""

import base64
import re
import time

import pytest
from django.contrib import admin
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client, RequestFactory
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from rencai.accounts import two_factor
from rencai.accounts.admin_site import VerifiedAdminSite
from rencai.accounts.models import ApiToken
from rencai.core.models import AuditEntry
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
SETUP = "/accounts/2fa/setup/"
VERIFY = "/accounts/2fa/verify/"
CODES = "/accounts/2fa/recovery-codes/"


def sign_in(username: str) -> Client:
    """A browser that has given the right password, and nothing more."""
    client = Client()
    response = client.post(LOGIN, {"username": username, "password": PASSWORD})
    assert response.status_code == 302, "the password was refused"
    return client


def code_from_secret(secret: str, at: float | None = None) -> str:
    """What an authenticator app shows for the secret as the setup page prints it."""
    key = base64.b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    totp = TOTP(key)
    totp.time = time.time() if at is None else at
    return f"{totp.token():06d}"


def wrong_code(device: TOTPDevice) -> str:
    right = {factories.totp_code(device)}
    return next(code for code in ("000000", "111111", "222222") if code not in right)


def test_an_officer_without_an_authenticator_is_sent_to_enrol_after_the_password(world):
    client = sign_in("county")

    for path in ("/", "/registry/talents/", "/admin/", "/accounts/token/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith(f"{SETUP}?next=")


def test_an_officer_enrols_gets_recovery_codes_once_and_verifies_at_the_next_sign_in(world):
    officer = world.users["county_org_dept"]
    client = sign_in("county")

    setup = client.get(SETUP)
    html = setup.content.decode()
    secret = re.search(r"data-totp-secret>([A-Z2-7 ]+)<", html).group(1)
    assert "<svg" in html and "<script" not in html.split("<main", 1)[1]
    assert setup["Cache-Control"] == "no-store"
    confirmed = client.post(SETUP, {"code": code_from_secret(secret), "next": "/registry/talents/"})

    assert confirmed.status_code == 302 and confirmed["Location"].startswith(CODES)
    shown = client.get(confirmed["Location"]).content.decode()
    codes = re.findall(r"data-recovery-code>([a-z2-7]{4}-[a-z2-7]{4})<", shown)
    assert len(set(codes)) == 10
    assert 'href="/registry/talents/"' in shown
    again = client.get(CODES).content.decode()
    assert not re.findall(r"data-recovery-code>", again) and "10" in again  # shown once only
    assert client.get("/").status_code == 200
    assert [e.action for e in AuditEntry.objects.filter(actor_id=officer.pk).order_by("seq")][-1] == (
        "accounts.second_factor.enrol"
    )

    client.post("/accounts/logout/")
    client = sign_in("county")
    held = client.get("/registry/talents/")
    assert held.status_code == 302 and held["Location"].startswith(f"{VERIFY}?next=")
    device = two_factor.authenticator_of(officer)
    verified = client.post(VERIFY, {"code": factories.totp_code(device), "next": "/registry/talents/"})

    assert verified.status_code == 302 and verified["Location"] == "/registry/talents/"
    assert client.get("/registry/talents/").status_code == 200


def test_the_same_code_is_not_accepted_twice(world):
    officer = world.users["county_org_dept"]
    device = factories.give_authenticator(officer)
    code = factories.totp_code(device)
    sign_in("county").post(VERIFY, {"code": code})

    replay = sign_in("county")
    refused = replay.post(VERIFY, {"code": code})

    assert refused.status_code == 200 and "验证码不正确" in refused.content.decode()
    assert replay.get("/").status_code == 302


def test_a_wrong_code_is_refused_counted_and_throttles_the_next_try(world, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60  # a minute's wait after one wrong code, so the test need not race
    officer = world.users["county_org_dept"]
    device = factories.give_authenticator(officer)
    client = sign_in("county")

    wrong = client.post(VERIFY, {"code": wrong_code(device)})
    device.refresh_from_db()
    throttled = client.post(VERIFY, {"code": factories.totp_code(device)})

    assert wrong.status_code == 200 and "验证码不正确" in wrong.content.decode()
    assert device.throttling_failure_count == 1
    assert throttled.status_code == 200 and "次数过多" in throttled.content.decode()
    assert client.get("/").status_code == 302
    failures = AuditEntry.objects.filter(action="accounts.second_factor.failed", actor_id=officer.pk)
    assert [entry.detail["throttled"] for entry in failures.order_by("seq")] == [False, True]

    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=device.throttling_failure_timestamp.replace(year=2000)
    )
    accepted = client.post(VERIFY, {"code": factories.totp_code(device)})
    assert accepted.status_code == 302 and client.get("/").status_code == 200


def test_a_recovery_code_works_once(world):
    officer = world.users["county_org_dept"]
    factories.give_authenticator(officer)
    codes = two_factor.issue_recovery_codes(actor=officer)
    client = sign_in("county")

    used = client.post(VERIFY, {"code": codes[0].upper().replace("-", " ")})

    home = client.get(used["Location"])
    assert used.status_code == 302 and home.status_code == 200
    assert "还剩 9 个" in home.content.decode()  # and told to find the authenticator or make new codes
    again = sign_in("county").post(VERIFY, {"code": codes[0]})
    assert again.status_code == 200 and "验证码不正确" in again.content.decode()
    assert two_factor.remaining_recovery_codes(officer) == 9


def test_new_recovery_codes_replace_the_old_ones(world, client):
    officer = world.users["county_org_dept"]
    client.force_login(officer)
    old = two_factor.issue_recovery_codes(actor=officer)

    response = client.post(CODES)
    new = re.findall(r"data-recovery-code>([a-z2-7-]{9})<", client.get(response["Location"]).content.decode())

    assert len(new) == 10 and not set(new) & set(old)
    assert sign_in("county").post(VERIFY, {"code": old[1]}).status_code == 200  # refused


def test_recovery_codes_are_not_a_way_around_the_second_factor(world):
    officer = world.users["county_org_dept"]
    factories.give_authenticator(officer)
    client = sign_in("county")

    issued = client.post(CODES)
    shown = client.get(CODES)

    assert issued.status_code == 302 and issued["Location"].startswith(VERIFY)
    assert shown.status_code == 302 and shown["Location"].startswith(VERIFY)
    assert two_factor.remaining_recovery_codes(officer) == 0


def test_the_admin_refuses_an_unverified_superuser(world):
    root = world.users["superuser"]
    factories.give_authenticator(root)
    client = sign_in("root")

    index = client.get("/admin/")
    users = client.get("/admin/accounts/user/")

    assert index.status_code == 302 and index["Location"].startswith(VERIFY)
    assert users.status_code == 302 and users["Location"].startswith(VERIFY)
    assert isinstance(admin.site, VerifiedAdminSite)
    request = RequestFactory().get("/admin/")
    request.user, request.session = root, SessionStore()
    root.is_verified = lambda: False
    assert not admin.site.has_permission(request)


def test_a_verified_superuser_reaches_the_admin(world, client):
    client.force_login(world.users["superuser"])

    assert client.get("/admin/accounts/user/").status_code == 200


def test_the_admins_own_login_form_sends_people_to_the_platforms_login(world):
    response = Client().get("/admin/login/?next=/admin/accounts/user/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/accounts/user/"


def test_a_talent_is_never_asked_for_a_second_factor(world):
    client = sign_in("talent")

    assert client.get("/").status_code == 200
    assert client.get(SETUP).status_code == 302
    assert not TOTPDevice.objects.filter(user=world.users["talent"]).exists()


@pytest.mark.parametrize("username", ["reviewer", "dept", "city"])
def test_reviewers_and_every_officer_are_held_to_the_second_factor(world, username):
    assert sign_in(username).get("/").status_code == 302


def test_an_unverified_session_is_no_login_for_the_api_but_a_token_still_is(world, client):
    officer = world.users["county_org_dept"]
    client.force_login(officer, second_factor=False)
    _token, key = ApiToken.issue(officer)

    assert client.get("/api/policies/").status_code == 401
    assert Client(headers={"Authorization": f"Bearer {key}"}).get("/api/policies/").status_code == 200


def test_logging_out_stays_possible_before_the_second_factor(world):
    client = sign_in("county")

    response = client.post("/accounts/logout/")

    assert response.status_code == 302 and "_auth_user_id" not in client.session


def test_the_second_factor_does_not_send_anyone_to_another_site(world):
    device = factories.give_authenticator(world.users["county_org_dept"])
    client = sign_in("county")

    response = client.post(VERIFY, {"code": factories.totp_code(device), "next": "https://evil.example/"})

    assert response.status_code == 302 and response["Location"] == "/"


def test_demo_officers_verify_with_the_published_demo_secret(world):
    officer, talent = world.users["county_org_dept"], world.users["talent"]

    assert two_factor.enrol_demo_authenticators([officer, talent]) == 1
    assert two_factor.verify_second_factor(actor=officer, code=two_factor.demo_code()).name == "demo"
    assert code_from_secret(two_factor.DEMO_TOTP_SECRET, at=1_000_000) == two_factor.demo_code(at=1_000_000)
