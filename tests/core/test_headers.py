"""Transport and headers (issue 12, point 8): CSP without inline script, Permissions-Policy, no-store on
what a logged-in user sees, and `rencai check --deploy` clean once HTTPS is configured."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((REPO / "src" / "rencai").rglob("templates/**/*.html"))

pytestmark = pytest.mark.django_db


def _directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_pages_carry_a_policy_that_allows_no_inline_script(client, world):
    client.force_login(world.users["city_org_dept"])
    response = client.get("/registry/talents/")
    policy = _directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["default-src"] == ["'self'"]
    assert (
        "camera=(self)" in response["Permissions-Policy"]
        and "microphone=()" in response["Permissions-Policy"]
    )
    assert response["X-Frame-Options"] == "DENY" and response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(REPO / "src" / "rencai")))
def test_no_template_holds_inline_script_or_event_handlers(template):
    html = template.read_text()
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler"
    assert "javascript:" not in html


def test_what_a_logged_in_user_sees_is_never_cached(client, world):
    client.force_login(world.users["city_org_dept"])
    for url in (
        "/registry/talents/",
        f"/registry/talents/{world.talent_a.pk}/",
        "/registry/talents/export.xlsx",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url


def test_the_api_is_not_cached_either(client, world):
    client.force_login(world.users["city_org_dept"])
    response = client.get("/api/registry/talents/")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]


def _check_deploy(**env) -> subprocess.CompletedProcess:
    rencai = str(Path(sys.executable).with_name("rencai"))
    return subprocess.run(
        [rencai, "check", "--deploy"],
        env={
            **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},  # the browser tests'
            "RENCAI_DEBUG": "0",
            "RENCAI_ALLOWED_HOSTS": "rencai.example.gov.cn",
            **env,
        },
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )


def test_check_deploy_is_clean_with_https_configured_and_warns_without():
    configured = _check_deploy(RENCAI_HTTPS="1", RENCAI_PROXY_SSL_HEADER="1")
    assert configured.returncode == 0, configured.stderr
    assert "System check identified no issues" in configured.stdout + configured.stderr

    plain = _check_deploy(RENCAI_HTTPS="0")
    warnings = plain.stdout + plain.stderr
    assert "security.W004" in warnings and "security.W008" in warnings  # HSTS, SSL redirect
