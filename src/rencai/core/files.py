"""Files Rencai writes beside its database (logs, anchors, the SQLite file): readable by its owner only.

Notifications name people and what they receive; the SQLite file holds everything. Other accounts on
the machine must not read them, whatever the umask of whoever started the server.
"""

import os
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def var_path(setting: str, filename: str) -> Path:
    """Where a file beside the database lives: the setting of that name (or the environment variable),
    else `var/<filename>`."""
    from django.conf import settings

    configured = getattr(settings, setting, "") or os.environ.get(setting, "")
    return Path(configured) if configured else Path(settings.VAR_DIR) / filename


def append_private(path: Path | str, text: str) -> None:
    """Append `text` to `path`, creating it 0600 (an existing file is made 0600 too)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE)
    try:
        os.fchmod(descriptor, PRIVATE_FILE)
        os.write(descriptor, text.encode("utf-8"))
    finally:
        os.close(descriptor)


def make_private(path: Path | str, mode: int = PRIVATE_FILE) -> None:
    """Restrict an existing file or folder to its owner; a missing one is left alone."""
    try:
        os.chmod(path, mode)
    except FileNotFoundError:
        pass


def protect_sqlite(sender, connection, **kwargs) -> None:
    """connection_created: the SQLite database and its journal files are the owner's only."""
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    for suffix in ("", "-wal", "-shm", "-journal"):
        make_private(name + suffix)
