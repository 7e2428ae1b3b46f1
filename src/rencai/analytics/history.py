"""The history frame: every talent ever registered (present and departed) with the feature-frame columns,
the arrival and departure dates and the dated rows behind the date-dependent features, so that an indicator
can be computed for any day, not only today.

The population on day D is the talents with `arrival_date <= D` and (`departed_on` empty or after D); a
talent marked departed without a date has left at an unknown time and is counted on no day. On D the
date-dependent features follow D: age, years since arrival, months employed locally, programmes (an honour
counts from its selection year), platforms (from the day joined), achievements and projects (from their
dates), and status (everyone present on D was active on D). The registry keeps no history of a talent's team,
tier, degree, employer or county: for those, today's value is used on every day.

Like the policy engine's feature frame (`policies.features.cached_feature_frame`) it is cached per process,
keyed by `registry_state()`, refreshed for the few talents changed since (their rows and dated rows read
again), and written to disk after a full build so that a process that has just started loads it instead of
reading a million talents.

Freshness: a migration (`analytics/migrations/0003_change_counter.py`) keeps a change counter by triggers on
every table the figures read; `registry_version()` reads it in one small query. Every public read of
`analytics.compute` reads it once (`one_reading`), and reads the registry state again only when it moved,
so a change shows on the next request, on any registry size. Where the counter is missing (a watched table
rebuilt on SQLite since) and inside a transaction (see `registry_version`), the state is counted as before: on
a large registry, trusted for `RENCAI_ANALYTICS_STATE_SECONDS`.
"""

import datetime as dt
import functools
import hashlib
import importlib
import io
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ParamSpec, TypeVar

import polars as pl
from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from rencai.policies import features as policy_features
from rencai.policies.features import (
    ACHIEVEMENT_COUNTS,
    ACHIEVEMENT_SCHEMA,
    ACHIEVEMENT_SUMS,
    ACHIEVEMENTS_SQL,
    EMPLOYMENTS_SQL,
    PROJECTS_SQL,
    build_feature_frame,
    changed_talent_ids,
    read_query,
    registry_state,
)

logger = logging.getLogger(__name__)

# features that change with the day for every talent (recomputed over the whole population)
DENSE_DATE_FEATURES = frozenset({"age", "years_since_arrival", "months_employed_locally"})
# features that change with the day only for the talents with dated rows behind them (honours, memberships,
# achievements, projects): for everybody else they are empty on every day
SPARSE_DATE_FEATURES: dict[str, str] = {
    "programmes": "honours",
    "platform_kinds": "memberships",
    "arrived_with_project": "projects",
    **{name: "achievements" for name in (*ACHIEVEMENT_COUNTS, *ACHIEVEMENT_SUMS)},
}
DATE_FEATURES = DENSE_DATE_FEATURES | set(SPARSE_DATE_FEATURES) | {"status"}

EXTRA_SQL = "SELECT id, CAST(birth_date AS TEXT), CAST(departed_on AS TEXT) FROM registry_talent t"
EXTRA_SCHEMA = {"talent_id": pl.Int64, "birth_date": pl.Date, "departed_on": pl.Date}
HONOURS_SQL = "SELECT talent_id, programme, year FROM registry_honour"
HONOUR_SCHEMA = {"talent_id": pl.Int64, "programme": pl.Utf8, "year": pl.Int64}
MEMBERSHIPS_SQL = """
SELECT m.talent_id, p.kind, CAST(m.joined_on AS TEXT) FROM registry_platformmembership m
JOIN registry_talentplatform p ON p.id = m.platform_id
"""
MEMBERSHIP_SCHEMA = {"talent_id": pl.Int64, "kind": pl.Utf8, "joined_on": pl.Date}
EMPLOYMENT_SCHEMA = {"talent_id": pl.Int64, "started_on": pl.Date, "ended_on": pl.Date}
PROJECT_SCHEMA = {"talent_id": pl.Int64, "landed_on": pl.Date}
SIDE_TABLES: dict[str, tuple[str, str, dict]] = {  # name: (query, its talent column, schema)
    "honours": (HONOURS_SQL, "talent_id", HONOUR_SCHEMA),
    "memberships": (MEMBERSHIPS_SQL, "m.talent_id", MEMBERSHIP_SCHEMA),
    "employments": (EMPLOYMENTS_SQL, "talent_id", EMPLOYMENT_SCHEMA),
    "achievements": (ACHIEVEMENTS_SQL, "h.talent_id", ACHIEVEMENT_SCHEMA),
    "projects": (PROJECTS_SQL, "talent_id", PROJECT_SCHEMA),
}
# How long a process trusts the registry state it read last before reading it again (seconds), when reading it
# is slow. The state's counts over a million talents take a quarter of a second, more than a warm dashboard
# may; figures at most this old are good enough for a statistics page. On a small registry, where the state
# costs less than SLOW_STATE seconds, it is read on every call and figures are always current.
STATE_SECONDS = 10.0
SLOW_STATE = 0.05


@dataclass(frozen=True)
class History:
    """Every talent's features (as of `built_on`) with `birth_date` and `departed_on`, and the dated rows."""

    state: tuple
    built_on: dt.date
    frame: pl.DataFrame
    honours: pl.DataFrame
    memberships: pl.DataFrame
    employments: pl.DataFrame
    achievements: pl.DataFrame
    projects: pl.DataFrame

    def side(self, name: str) -> pl.DataFrame:
        return getattr(self, name)

    def touched(self, features: frozenset[str] | set[str]) -> pl.Series:
        """The ids of the talents whose sparse date features among `features` can differ between days."""
        tables = {SPARSE_DATE_FEATURES[name] for name in features if name in SPARSE_DATE_FEATURES}
        ids = [self.side(table)["talent_id"] for table in sorted(tables)]
        if not ids:
            return pl.Series("talent_id", [], dtype=pl.Int64)
        return pl.concat(ids).unique()


_cache: dict = {}  # "history": History; "checked": (monotonic seconds, state)
_lock = threading.Lock()


def present_on(day: dt.date) -> pl.Expr:
    """The population filter: arrived on or before `day`, not yet departed on it."""
    when = pl.lit(day, dtype=pl.Date)
    return (pl.col("arrival_date") <= when) & (
        (pl.col("departed_on") > when) | (pl.col("departed_on").is_null() & (pl.col("status") == "active"))
    )


def _read_side(name: str, talent_ids: list[int] | None) -> pl.DataFrame:
    sql, column, schema = SIDE_TABLES[name]
    return read_query(*policy_features._where(sql, column, talent_ids), schema)


def _read(today: dt.date, talent_ids: list[int] | None) -> dict[str, pl.DataFrame]:
    frame = build_feature_frame(today, talent_ids=talent_ids, active_only=False)
    extra = read_query(*policy_features._where(EXTRA_SQL, "t.id", talent_ids), EXTRA_SCHEMA)
    parts = {"frame": frame.join(extra, on="talent_id", how="left")}
    parts.update({name: _read_side(name, talent_ids) for name in SIDE_TABLES})
    return parts


def build_history(state: tuple | None = None) -> History:
    """Read the whole registry's history (every talent, every dated row)."""
    today = timezone.localdate()
    parts = _read(today, None)
    return History(state=state if state is not None else registry_state(), built_on=today, **parts)


def _refreshed(history: History, state: tuple, ids: list[int]) -> History:
    """`history` with the rows of `ids` read again."""
    if not ids:
        return replace(history, state=state)
    fresh = _read(history.built_on, ids)
    gone = pl.Series("talent_id", ids, dtype=pl.Int64)
    merged = {}
    for name, old in (("frame", history.frame), *((n, history.side(n)) for n in SIDE_TABLES)):
        new = fresh[name].select([pl.col(c).cast(t) for c, t in old.schema.items()])
        merged[name] = pl.concat([old.filter(~pl.col("talent_id").is_in(gone.implode())), new])
    merged["frame"] = merged["frame"].sort("talent_id")
    return History(state=state, built_on=history.built_on, **merged)


# -- freshness: the change counter --------------------------------------------------------------------------

CHANGES_TABLE = "analytics_datachange"
_counter_checked: dict[str, bool] = {}  # database name -> whether every counter trigger is installed
_local = threading.local()  # .reading: (version, state) pinned by `one_reading`
P = ParamSpec("P")
R = TypeVar("R")


def _expected_triggers() -> set[str]:
    migration = importlib.import_module("rencai.analytics.migrations.0003_change_counter")
    return set(migration.trigger_names(connection.vendor))


def _installed_triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE 'analytics_change_%%'"
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'analytics_change_%'"
            )
        return {row[0] for row in cursor.fetchall()}


def counter_installed() -> bool:
    """Whether the change counter and all its triggers are in this database (checked once per process)."""
    name = str(connection.settings_dict["NAME"])
    if name not in _counter_checked:
        try:
            missing = _expected_triggers() - _installed_triggers()
        except DatabaseError:
            missing = {"?"}
        if missing:
            logger.warning("analytics change counter: %d triggers missing, counting instead", len(missing))
        _counter_checked[name] = not missing
    return _counter_checked[name]


def registry_version() -> tuple | None:
    """The change counter of the tables the figures read: equal versions mean unchanged committed data.
    Inside `one_reading`, the version it pinned. None when the counter is not installed, and inside a
    transaction: one that wrote to the registry reads its own rows while its counter bumps are undone by a
    rollback, so a version seen there may come back later over other rows."""
    pinned_reading = getattr(_local, "reading", None)
    if pinned_reading is not None:
        return pinned_reading["version"]
    return _version_now()


def _version_now() -> tuple | None:
    if connection.in_atomic_block or not counter_installed():
        return None
    with connection.cursor() as cursor:
        # the database's token (slot -1) and the sum of the sessions' counters (see analytics/0003)
        cursor.execute(
            f"SELECT MAX(CASE WHEN slot = -1 THEN changes END), "
            f"SUM(CASE WHEN slot >= 0 THEN changes ELSE 0 END) FROM {CHANGES_TABLE}"
        )
        token, changes = cursor.fetchone()
    return None if token is None else (connection.settings_dict["NAME"], int(token), int(changes or 0))


def _state_for(version: tuple | None) -> tuple:
    """The registry state of `version` (read after it: a change committed in between makes the next version
    differ rather than hide behind this one): remembered in this process and on disk, so that a process that
    has just started, finding the same version, does not count the registry again."""
    if version is None:
        return _counted_state()
    known = _cache.get("version")
    if known is None and (known := _load_version_state()) is not None and known[0] == version:
        _cache["checked"] = (time.monotonic(), known[1], False)  # the first epoch of this process
    if known is not None and known[0] == version:
        _cache["version"] = known
        return known[1]
    state = registry_state()
    _cache["version"] = (version, state)
    _cache["checked"] = (time.monotonic(), state, False)  # a new epoch: the sources are read again
    _save_version_state(version, state)
    return state


def _version_state_path() -> Path | None:
    path = snapshot_path()
    return (
        None
        if path is None
        else path.with_name(path.name.replace("history-", "state-").replace(".arrow", ".json"))
    )


def _load_version_state() -> tuple[tuple, tuple] | None:
    path = _version_state_path()
    if path is None or not path.exists():
        return None
    try:
        stored = json.loads(path.read_text())
        return tuple(stored["version"]), policy_features._decode_state(stored["state"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        logger.warning("registry state %s unreadable: %s", path, error)
        return None


def _save_version_state(version: tuple, state: tuple) -> None:
    path = _version_state_path()
    if path is None:
        return
    partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(
            json.dumps({"version": list(version), "state": policy_features._encode_state(state)})
        )
        os.replace(partial, path)
    except OSError as error:
        logger.warning("registry state not written to %s: %s", path, error)
        partial.unlink(missing_ok=True)


@contextmanager
def one_reading() -> Iterator[tuple | None]:
    """Read the version once for the block, and the state at most once (when a figure needs it): the calls
    inside reuse them. Yields the version."""
    pinned_reading = getattr(_local, "reading", None)
    if pinned_reading is not None:
        yield pinned_reading["version"]
        return
    _local.reading = {"version": _version_now()}
    try:
        yield _local.reading["version"]
    finally:
        _local.reading = None


def pinned(function: Callable[P, R]) -> Callable[P, R]:
    """Run `function` within `one_reading` (a public read: one reading of the version per call)."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with one_reading():
            return function(*args, **kwargs)

    return wrapper


def current_state() -> tuple:
    """The registry state (`policies.features.registry_state`), read again when the change counter moved;
    within `one_reading`, the state of the version it pinned."""
    pinned_reading = getattr(_local, "reading", None)
    if pinned_reading is None:
        return _state_for(_version_now())
    if "state" not in pinned_reading:
        pinned_reading["state"] = _state_for(pinned_reading["version"])
    return pinned_reading["state"]


def _counted_state() -> tuple:
    """Without the counter: the state counted. Where counting is slow (a large registry), the last one
    counted is trusted for `RENCAI_ANALYTICS_STATE_SECONDS` (default 10) seconds."""
    checked = _cache.get("checked")
    now = time.monotonic()
    trust = float(getattr(settings, "RENCAI_ANALYTICS_STATE_SECONDS", STATE_SECONDS))
    if checked is not None and checked[2] and now - checked[0] < trust:
        return checked[1]
    state = registry_state()
    _cache["checked"] = (now, state, time.monotonic() - now >= SLOW_STATE)
    return state


def state_epoch() -> float:
    """When the registry state in use was read (monotonic seconds): figures from other tables (the sources)
    may be reused while it is the same, so that they are exactly as fresh as the registry figures."""
    checked = _cache.get("checked")
    return checked[0] if checked is not None else 0.0


def cached_history(state: tuple | None = None) -> History:
    """The whole registry's history for this process (as of `state`, read when not given): cached; refreshed
    for the talents changed since; loaded from the snapshot in a process that has just started; otherwise
    built (and snapshotted)."""
    state = state if state is not None else current_state()
    with _lock:
        history = _cache.get("history")
        if history is None:
            history = _load_snapshot()
            _cache["how"] = "loaded" if history is not None else ""
        if history is not None and history.state == state:
            _cache["history"] = history
            _cache["how"] = _cache.get("how") or "cached"
            return history
        ids = changed_talent_ids(history.state, state) if history is not None else None
        if history is not None and ids is not None:
            history = _refreshed(history, state, ids)
            _cache["how"] = f"refreshed {len(ids)}"
        else:
            history = build_history(state)
            _cache["how"] = "built"
            _save_snapshot(history)
        _cache["history"] = history
        return history


def last_refresh() -> str:
    """How the last `cached_history()` got its history: cached, loaded, refreshed N or built."""
    return _cache.get("how", "")


def clear_cache() -> None:
    """Forget this process's history (the snapshot on disk stays): the next call starts as a new process."""
    _cache.clear()
    _counter_checked.clear()


# -- the frame of one day -----------------------------------------------------------------------------------


def _replace_column(frame: pl.LazyFrame, values: pl.DataFrame, name: str, empty) -> pl.LazyFrame:
    joined = frame.drop(name).join(values.lazy(), on="talent_id", how="left")
    return joined.with_columns(pl.col(name).fill_null(empty))


def with_date_features(
    history: History, frame: pl.LazyFrame | pl.DataFrame, day: dt.date, features: frozenset[str] | set[str]
) -> pl.LazyFrame:
    """`frame` (rows of the history) with the date-dependent features among `features` as of `day`."""
    frame = frame.lazy()
    when = pl.lit(day, dtype=pl.Date)
    months = policy_features._months_between
    columns = []
    if "age" in features:
        columns.append((months(pl.col("birth_date"), when) // 12).cast(pl.Int64).alias("age"))
    if "years_since_arrival" in features:
        since = (months(pl.col("arrival_date"), when) // 12).clip(lower_bound=0).cast(pl.Int64)
        columns.append(since.alias("years_since_arrival"))
    if "status" in features:
        columns.append(pl.lit("active").alias("status"))
    if columns:
        frame = frame.with_columns(columns)
    if "months_employed_locally" in features:
        employed = (
            history.employments.filter(pl.col("started_on") <= when)
            .with_columns(pl.min_horizontal(pl.col("ended_on").fill_null(when), when).alias("until"))
            .with_columns(months(pl.col("started_on"), pl.col("until")).clip(lower_bound=0).alias("m"))
            .group_by("talent_id")
            .agg(pl.col("m").sum().cast(pl.Int64).alias("months_employed_locally"))
        )
        frame = _replace_column(frame, employed, "months_employed_locally", 0)
    if "programmes" in features:
        held = history.honours.filter(pl.col("year") <= day.year)
        programmes = held.group_by("talent_id").agg(pl.col("programme").unique().sort().alias("programmes"))
        frame = _replace_column(frame, programmes, "programmes", pl.lit([], dtype=pl.List(pl.Utf8)))
    if "platform_kinds" in features:
        joined = history.memberships.filter(pl.col("joined_on") <= when)
        kinds = joined.group_by("talent_id").agg(pl.col("kind").unique().sort().alias("platform_kinds"))
        frame = _replace_column(frame, kinds, "platform_kinds", pl.lit([], dtype=pl.List(pl.Utf8)))
    achievements = [n for n in (*ACHIEVEMENT_COUNTS, *ACHIEVEMENT_SUMS) if n in features]
    if achievements:
        values = policy_features._achievement_features(history.achievements, day).select(
            "talent_id", *achievements
        )
        frame = frame.drop(achievements).join(values.lazy(), on="talent_id", how="left")
        frame = frame.with_columns(pl.col(n).fill_null(0) for n in achievements)
    if "arrived_with_project" in features:
        landed = history.projects.filter(pl.col("landed_on") <= when).select("talent_id").unique()
        frame = _replace_column(
            frame,
            landed.with_columns(pl.lit(True).alias("arrived_with_project")),
            "arrived_with_project",
            False,
        )
    return frame


def change_days(history: History, features: frozenset[str] | set[str]) -> pl.Series:
    """The sorted days on which a sparse date feature among `features` can change for someone: an honour's
    selection year begins, a membership starts, an achievement is made (or leaves a three-year sum), a
    project lands."""
    days: list[pl.Series] = []
    tables = {SPARSE_DATE_FEATURES[name] for name in features if name in SPARSE_DATE_FEATURES}
    if "honours" in tables:
        days.append(history.honours.select(pl.date(pl.col("year"), 1, 1).alias("day"))["day"])
    if "memberships" in tables:
        days.append(history.memberships["joined_on"].alias("day"))
    if "achievements" in tables:
        achieved = history.achievements["achieved_on"]
        days += [achieved.alias("day"), achieved.dt.offset_by("3y").alias("day")]
    if "projects" in tables:
        days.append(history.projects["landed_on"].alias("day"))
    if not days:
        return pl.Series("day", [], dtype=pl.Date)
    return pl.concat(days).drop_nulls().unique().sort()


def frame_on(history: History, day: dt.date, features: frozenset[str] | set[str]) -> pl.LazyFrame:
    """The talents present on `day` with the date-dependent features among `features` as of `day` (lazy:
    only the columns a rule reads are materialized)."""
    return with_date_features(history, history.frame.lazy().filter(present_on(day)), day, features)


# -- the snapshot on disk -----------------------------------------------------------------------------------
SNAPSHOT_FORMAT = 1
PARTS = ("frame", *SIDE_TABLES)


def _code_fingerprint() -> str:
    source = Path(__file__).read_bytes() + policy_features._code_fingerprint().encode()
    return hashlib.sha256(source).hexdigest()[:16]


def snapshot_path() -> Path | None:
    """This database's history snapshot, or None when snapshots are off (`RENCAI_FRAME_DIR` empty)."""
    frame_path = policy_features.snapshot_path()
    return None if frame_path is None else frame_path.with_name(frame_path.name.replace("frame-", "history-"))


def _save_snapshot(history: History) -> None:
    path = snapshot_path()
    if path is None:
        return
    blobs = []
    for name in PARTS:
        buffer = io.BytesIO()
        getattr(history, name).write_ipc(buffer, compression="zstd")
        blobs.append(buffer.getvalue())
    header = {
        "format": SNAPSHOT_FORMAT,
        "code": _code_fingerprint(),
        "built_on": history.built_on.isoformat(),
        "state": policy_features._encode_state(history.state),
        "parts": [[name, len(blob)] for name, blob in zip(PARTS, blobs, strict=True)],
    }
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
            handle.write(json.dumps(header).encode() + b"\n")
            for blob in blobs:
                handle.write(blob)
        os.replace(partial, path)
    except OSError as error:  # a full or read-only disk costs the next process a build, nothing more
        logger.warning("history snapshot not written to %s: %s", path, error)
        partial.unlink(missing_ok=True)


def _load_snapshot() -> History | None:
    path = snapshot_path()
    if path is None or not path.exists():
        return None
    try:
        with path.open("rb") as handle:
            header = json.loads(handle.readline())
            if (header.get("format"), header.get("code")) != (SNAPSHOT_FORMAT, _code_fingerprint()):
                return None
            parts = {name: pl.read_ipc(handle.read(length)) for name, length in header["parts"]}
        return History(
            state=policy_features._decode_state(header["state"]),
            built_on=dt.date.fromisoformat(header["built_on"]),
            **parts,
        )
    except (OSError, ValueError, KeyError, TypeError, pl.exceptions.PolarsError) as error:
        logger.warning("history snapshot %s unreadable, building anew: %s", path, error)
        return None
