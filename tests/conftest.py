"""Shared fixtures: the region tree, one user per role, and a logged-in client per role."""

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from rencai.core import access
from rencai.core.regions import ensure_quzhou_regions
from tests import factories


@pytest.fixture(scope="session")
def frame_snapshot_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("frames")


@pytest.fixture(autouse=True)
def _frame_snapshots_of_this_run(settings, frame_snapshot_dir):
    """Feature-frame snapshots go to this run's own folder, never to var/ nor to an earlier run's."""
    settings.RENCAI_FRAME_DIR = str(frame_snapshot_dir)


@pytest.fixture(autouse=True)
def _audit_anchor_of_this_test(settings, tmp_path):
    """Each test's audit chain is anchored in its own file (the database starts empty for each test)."""
    settings.RENCAI_AUDIT_ANCHOR = str(tmp_path / "audit-anchor.log")


@pytest.fixture
def regions(db):
    return ensure_quzhou_regions()


@pytest.fixture
def world(regions):
    """Two counties with an enterprise, talents and one user per role: the matrix every scope test uses."""
    return factories.build_world(regions)


@pytest.fixture(autouse=True)
def _token_revocations_of_this_test(settings, tmp_path):
    settings.RENCAI_TOKEN_REVOCATIONS = str(tmp_path / "token-revocations")


@pytest.fixture(autouse=True)
def _force_login_passes_the_second_factor(monkeypatch):
    """`client.force_login(user)` means "fully signed in": a privileged user (officer, reviewer,
    administrator) has also passed the second factor, with a real authenticator through django-otp's own
    login. Tests of the second factor itself sign in through the forms, or call
    `force_login(user, second_factor=False)`."""
    plain = Client.force_login

    def force_login(self, user, backend=None, second_factor=True):
        plain(self, user, backend)
        if second_factor and access.is_privileged(user):
            factories.pass_second_factor(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture(autouse=True)
def _each_test_starts_in_chinese():
    """A request in English leaves English active in the thread (LocaleMiddleware activates, nothing
    deactivates): each test starts in the site's default language whatever the one before it asked for."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
