"""What Rencai writes beside its database is readable by its owner only (issue 12, point 14)."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from rencai.core import notifications
from rencai.core.files import append_private

REPO = Path(__file__).resolve().parents[2]


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_append_private_creates_0600_and_tightens_an_existing_file(tmp_path):
    fresh, loose = tmp_path / "fresh.log", tmp_path / "loose.log"
    loose.write_text("old\n")
    os.chmod(loose, 0o644)
    append_private(fresh, "a\n")
    append_private(loose, "b\n")
    assert _mode(fresh) == 0o600 and _mode(loose) == 0o600
    assert loose.read_text() == "old\nb\n"


@pytest.mark.django_db
def test_notification_and_sms_logs_are_private(settings, tmp_path, world, django_capture_on_commit_callbacks):
    settings.RENCAI_NOTIFICATION_LOG = str(tmp_path / "notifications.log")
    settings.RENCAI_SMS_LOG = str(tmp_path / "sms.log")
    old = os.umask(0o022)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            notifications.notify(recipient=world.users["talent"], subject="测试", body="内容", kind="test")
        notifications.file_sms_gateway("13800001234", "验证码")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "notifications.log") == 0o600
    assert _mode(tmp_path / "sms.log") == 0o600


def test_a_new_sqlite_database_and_the_var_folder_are_private(tmp_path):
    """A real `rencai migrate` under a permissive umask, as an operator would first run it."""
    env = {
        **os.environ,
        "RENCAI_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'rencai.sqlite3'}",
    }
    env.pop("RENCAI_AUDIT_ANCHOR", None)
    rencai = str(Path(sys.executable).with_name("rencai"))
    subprocess.run(
        ["sh", "-c", f"umask 022 && {rencai} migrate --verbosity 0"],
        env=env,
        cwd=REPO,
        check=True,
        timeout=300,
    )
    assert _mode(tmp_path / "var") == 0o700
    assert _mode(tmp_path / "var" / "rencai.sqlite3") == 0o600
    for key in ("secret.key", "field.key", "index.key"):
        assert _mode(tmp_path / "var" / key) == 0o600
