"""Single sign-on against a real OpenID Connect provider that the tests start themselves
(tests/oidc_provider.py): Django's test client starts the flow, the provider is reached over HTTP for the
authorization (as a browser would), and Django's backend calls its token, JWKS and userinfo endpoints over
HTTP too. Nothing of ours is mocked."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from rencai.accounts.models import User
from rencai.core.audit import verify_chain
from rencai.core.models import AuditEntry
from tests.factories import PASSWORD, make_user
from tests.oidc_provider import LocalProvider

pytestmark = pytest.mark.django_db

OFFICER = {
    "sub": "zj-330881-0001",
    "name": "江山市委组织部干部",
    "email": "officer@js.example.gov.cn",
    "rencai_role": "county_org_dept",
    "rencai_region": "330881",
}
CITIZEN = {"sub": "zj-citizen-0001", "name": "张三", "email": "zhangsan@example.com"}
MFA = {"amr": ["pwd", "otp", "mfa"]}


@pytest.fixture(scope="module")
def provider():
    with LocalProvider() as running:
        yield running


@pytest.fixture
def sso(settings, provider):
    """Single sign-on configured by its issuer alone, as a deployment's environment would."""
    provider.reset()
    settings.RENCAI_OIDC_ISSUER = provider.issuer
    settings.RENCAI_OIDC_CLIENT_ID = provider.client_id
    settings.RENCAI_OIDC_CLIENT_SECRET = provider.client_secret
    return provider


def start(client, provider, claims: dict, next_page: str = "", **id_token_claims) -> str:
    """Begin at our /oidc/authenticate/, let the provider approve `claims`; the callback address it sends
    the browser back to (path and query)."""
    provider.identity, provider.id_token_claims = claims, id_token_claims
    begin = client.get(reverse("oidc_authentication_init"), {"next": next_page} if next_page else {})
    assert begin.status_code == 302
    assert begin["Location"].startswith(f"{provider.issuer}/authorize?")
    answer = requests.get(begin["Location"], allow_redirects=False, timeout=10)  # the browser's hop
    assert answer.status_code == 302
    back = urlsplit(answer.headers["Location"])
    assert back.path == reverse("oidc_authentication_callback")
    return f"{back.path}?{back.query}"


def sign_in(client, provider, claims: dict, next_page: str = "", **id_token_claims):
    return client.get(start(client, provider, claims, next_page, **id_token_claims))


def signed_in_user(client) -> User | None:
    user_id = client.session.get(SESSION_KEY)
    return User.objects.get(pk=user_id) if user_id else None


def refusals() -> list[dict]:
    return [
        entry.detail for entry in AuditEntry.objects.filter(action="accounts.sso_refused").order_by("seq")
    ]


def test_county_officer_signs_in_with_role_and_region_from_claims_and_sees_their_county(client, world, sso):
    response = sign_in(client, sso, OFFICER, **MFA)

    assert response.status_code == 302 and response["Location"] == reverse("home")
    user = signed_in_user(client)
    assert user is not None and user.oidc_subject == OFFICER["sub"]
    assert user.role == "county_org_dept" and user.region == world.county_a
    assert user.display_name == OFFICER["name"] and user.email == OFFICER["email"]
    assert not user.has_usable_password() and not user.is_staff and not user.is_superuser
    # Django's backend called the provider over HTTP: discovery, the code exchange, the keys, the userinfo
    assert {"/.well-known/openid-configuration", "/token", "/jwks", "/userinfo"} <= set(sso.hits)

    talents = client.get(reverse("registry:talent_list"))
    assert talents.status_code == 200
    html = talents.content.decode()
    assert "江山甲" in html and "江山乙" in html and "龙游丙" not in html
    login = AuditEntry.objects.get(action="accounts.sso_login")
    assert login.actor_id == user.pk and login.detail["created"] is True
    assert login.detail["after"]["role"] == "county_org_dept" and login.region_code == "330881"
    assert verify_chain().ok


def test_second_sign_in_of_the_same_subject_with_a_new_email_finds_the_same_account(client, world, sso):
    # a local account already holds the address the provider will send: it must not be taken over
    bystander = make_user(
        "local-officer", "county_org_dept", region=world.county_b, email="moved@example.gov.cn"
    )
    sign_in(client, sso, OFFICER, **MFA)
    first = signed_in_user(client)
    client.post(reverse("logout"))

    sign_in(client, sso, {**OFFICER, "email": "moved@example.gov.cn"}, **MFA)

    second = signed_in_user(client)
    assert second is not None and first is not None and second.pk == first.pk != bystander.pk
    assert second.email == "moved@example.gov.cn"
    assert User.objects.filter(oidc_subject=OFFICER["sub"]).count() == 1
    assert [
        entry.detail["created"]
        for entry in AuditEntry.objects.filter(action="accounts.sso_login").order_by("seq")
    ] == [
        True,
        False,
    ]


def test_provider_is_the_source_of_truth_for_the_role_at_each_sign_in(client, world, sso):
    sign_in(client, sso, OFFICER, **MFA)
    client.post(reverse("logout"))

    sign_in(client, sso, {**OFFICER, "rencai_role": None})  # the role was withdrawn at the provider

    user = signed_in_user(client)
    assert user is not None and user.role == "talent" and user.region is None
    entry = AuditEntry.objects.filter(action="accounts.sso_login").order_by("-seq").first()
    assert entry is not None and {"role", "region_id"} <= set(entry.detail["changed"])


def test_citizen_without_a_role_claim_becomes_a_talent_linked_to_nothing(client, world, sso):
    sign_in(client, sso, CITIZEN)

    user = signed_in_user(client)
    assert user is not None and user.role == "talent"
    assert (user.region, user.department, user.enterprise) == (None, None, None)
    assert client.get(reverse("home")).status_code == 200  # no second factor asked of a citizen


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("zh-hans", "统一身份认证提供的角色“governor”不是本平台的角色，不能登录。"),
        ("en", "The role “governor” sent by the identity service is not a role of this platform"),
    ],
)
def test_unknown_role_claim_is_refused_with_a_message_and_no_account(client, regions, sso, language, message):
    client.cookies["django_language"] = language
    response = sign_in(client, sso, {**CITIZEN, "rencai_role": "governor"})

    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert message in client.get(response["Location"]).content.decode()
    assert signed_in_user(client) is None
    assert not User.objects.filter(oidc_subject=CITIZEN["sub"]).exists()
    [refusal] = refusals()
    assert refusal["reason"] == "unknown_role"
    assert refusal["claims"] == {"sub": CITIZEN["sub"], "rencai_role": "governor"}  # no name, no address
    assert verify_chain().ok


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"rencai_region": "999999"}, "unknown_region"),
        ({"rencai_region": ""}, "region_missing"),
        ({"rencai_region": "330800"}, "region_level"),  # a county's officer given the whole city
        ({"rencai_role": "department", "rencai_department": "mint"}, "unknown_department"),
        ({"rencai_role": "enterprise", "rencai_credit_code": "91330881MA2XXXXX0X"}, "unknown_enterprise"),
    ],
)
def test_claims_naming_what_the_platform_does_not_know_are_refused(client, world, sso, claims, reason):
    response = sign_in(client, sso, {**OFFICER, **claims})

    assert response["Location"] == reverse("login")
    assert signed_in_user(client) is None
    assert not User.objects.filter(oidc_subject=OFFICER["sub"]).exists()
    assert [refusal["reason"] for refusal in refusals()] == [reason]


def test_department_and_enterprise_accounts_are_linked_by_their_codes(client, world, sso):
    department = world.users["department"].department
    sign_in(client, sso, {**OFFICER, "rencai_role": "department", "rencai_department": "hrss"}, **MFA)
    assert signed_in_user(client).department == department
    client.post(reverse("logout"))

    code = world.enterprise_a.credit_code
    sign_in(client, sso, {"sub": "zj-ent-1", "rencai_role": "enterprise", "rencai_credit_code": code.lower()})

    user = signed_in_user(client)
    assert user is not None and user.enterprise == world.enterprise_a and user.region is None


def test_id_token_with_a_forged_signature_is_refused(client, world, sso):
    sso.forge_signature = True

    response = sign_in(client, sso, OFFICER)

    assert response["Location"] == reverse("login")
    assert "身份令牌无效" in client.get(reverse("login")).content.decode()
    assert signed_in_user(client) is None
    assert not User.objects.filter(oidc_subject=OFFICER["sub"]).exists()
    assert [refusal["reason"] for refusal in refusals()] == ["invalid_token"]
    assert "/userinfo" not in sso.hits  # refused before anything was asked about the person


def test_id_token_issued_to_another_client_is_refused(client, world, sso):
    response = sign_in(client, sso, OFFICER, aud="some-other-application")

    assert response["Location"] == reverse("login")
    assert signed_in_user(client) is None
    assert [refusal["reason"] for refusal in refusals()] == ["invalid_token"]


def test_callback_with_a_state_this_browser_did_not_start_is_refused(client, world, sso):
    callback = start(client, sso, OFFICER)
    query = parse_qs(urlsplit(callback).query)

    response = client.get(
        reverse("oidc_authentication_callback"), {"code": query["code"][0], "state": "forged"}
    )

    assert response["Location"] == reverse("login")
    assert signed_in_user(client) is None
    assert "/token" not in sso.hits  # the code was never exchanged
    assert [refusal["reason"] for refusal in refusals()] == ["state_mismatch"]


def test_callback_in_another_browser_is_refused(client, world, sso):
    """Login CSRF: a callback address made in one browser does nothing in another."""
    callback = start(client, sso, OFFICER)
    client.cookies.clear()

    response = client.get(callback)

    assert response["Location"] == reverse("login") and signed_in_user(client) is None
    assert [refusal["reason"] for refusal in refusals()] == ["state_mismatch"]


def test_person_who_cancels_at_the_provider_is_back_on_the_login_page(client, regions, sso):
    sso.deny = True

    response = sign_in(client, sso, CITIZEN)

    assert response["Location"] == reverse("login") and signed_in_user(client) is None
    assert [(refusal["reason"], refusal["error"]) for refusal in refusals()] == [
        ("not_completed", "access_denied")
    ]


def test_deactivated_account_is_refused(client, world, sso):
    sign_in(client, sso, CITIZEN)
    client.post(reverse("logout"))
    User.objects.filter(oidc_subject=CITIZEN["sub"]).update(is_active=False)

    response = sign_in(client, sso, CITIZEN)

    assert response["Location"] == reverse("login") and signed_in_user(client) is None
    assert [refusal["reason"] for refusal in refusals()] == ["inactive"]


def test_local_password_login_still_works_alongside(client, world, sso):
    page = client.get(reverse("login")).content.decode()
    assert "政务服务网统一身份认证登录" in page and reverse("oidc_authentication_init") in page

    response = client.post(reverse("login"), {"username": "talent", "password": PASSWORD})

    assert response.status_code == 302
    assert signed_in_user(client) == world.users["talent"]


def test_without_configuration_there_is_no_button_and_no_route(client, settings, regions):
    settings.RENCAI_OIDC_ISSUER = settings.RENCAI_OIDC_AUTHORIZATION_ENDPOINT = ""
    settings.RENCAI_OIDC_CLIENT_ID = ""

    assert "统一身份认证" not in client.get(reverse("login")).content.decode()
    assert client.get(reverse("oidc_authentication_init")).status_code == 404
    assert client.get(reverse("oidc_authentication_callback"), {"code": "x", "state": "y"}).status_code == 404


def test_logout_ends_the_session_at_the_provider_too(client, regions, sso):
    sign_in(client, sso, CITIZEN)
    id_token = client.session["oidc_id_token"]

    response = client.post(reverse("logout"))

    assert signed_in_user(client) is None
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{sso.issuer}/logout"
    params = parse_qs(target.query)
    assert params["id_token_hint"] == [id_token]
    assert params["post_logout_redirect_uri"] == ["http://testserver" + reverse("login")]
    back = requests.get(response["Location"], allow_redirects=False, timeout=10)
    assert back.headers["Location"] == "http://testserver" + reverse("login")


def test_password_sign_in_logs_out_locally_only(client, world, sso):
    client.post(reverse("login"), {"username": "talent", "password": PASSWORD})

    response = client.post(reverse("logout"))

    assert response["Location"] == reverse("login")


def test_officer_whose_provider_checked_a_second_factor_is_not_asked_again(client, world, sso):
    sign_in(client, sso, OFFICER, **MFA)

    assert client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize("id_token_claims", [{}, {"amr": ["pwd"]}, {"acr": "urn:example:loa:1"}])
def test_officer_without_a_second_factor_at_the_provider_is_held_by_two_factor(
    client, world, sso, id_token_claims
):
    sign_in(client, sso, OFFICER, **id_token_claims)

    response = client.get(reverse("home"))

    assert response.status_code == 302 and response["Location"].startswith(reverse("second_factor_setup"))
    entry = AuditEntry.objects.get(action="accounts.sso_login")
    assert entry.detail["second_factor"] is False


def test_second_factor_asserted_by_an_agreed_acr_counts(client, world, sso, settings):
    settings.RENCAI_OIDC_MFA_ACR = ["urn:zj:loa:3"]

    sign_in(client, sso, OFFICER, acr="urn:zj:loa:3")

    assert client.get(reverse("home")).status_code == 200


def test_endpoints_configured_one_by_one_need_no_discovery(client, regions, sso, settings):
    settings.RENCAI_OIDC_ISSUER = ""
    settings.RENCAI_OIDC_AUTHORIZATION_ENDPOINT = f"{sso.issuer}/authorize"
    settings.RENCAI_OIDC_TOKEN_ENDPOINT = f"{sso.issuer}/token"
    settings.RENCAI_OIDC_USER_ENDPOINT = f"{sso.issuer}/userinfo"
    settings.RENCAI_OIDC_JWKS_ENDPOINT = f"{sso.issuer}/jwks"

    sign_in(client, sso, CITIZEN)

    assert signed_in_user(client) is not None
    assert "/.well-known/openid-configuration" not in sso.hits


def test_unreachable_provider_is_reported_and_passwords_still_work(client, world, settings):
    settings.RENCAI_OIDC_ISSUER = "http://127.0.0.1:9"  # discard port: nothing listens
    settings.RENCAI_OIDC_CLIENT_ID = "rencai"

    response = client.get(reverse("oidc_authentication_init"))

    assert response["Location"] == reverse("login")
    assert "统一身份认证服务暂时无法访问" in client.get(reverse("login")).content.decode()
    assert [refusal["reason"] for refusal in refusals()] == ["provider_unavailable"]
    client.post(reverse("login"), {"username": "talent", "password": PASSWORD})
    assert signed_in_user(client) == world.users["talent"]


def test_the_page_first_asked_for_is_shown_after_signing_in(client, world, sso):
    response = sign_in(client, sso, CITIZEN, next_page=reverse("api_token"))

    assert response["Location"] == reverse("api_token")


def test_session_of_an_account_deactivated_since_signing_in_ends(client, regions, sso):
    sign_in(client, sso, CITIZEN)
    User.objects.filter(oidc_subject=CITIZEN["sub"]).update(is_active=False)

    response = client.get(reverse("home"))

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
