"""The feature frame: one row per talent with every variable a policy rule may use, built from the registry.

This is the one place features are computed; the engine's schema (`engine.schema`) documents them.
PostgreSQL streams the base query through COPY into polars; SQLite reads it through its cursor.
The whole registry's frame is cached per process and kept on disk as a snapshot (`cached_feature_frame`).
"""

import datetime as dt
import hashlib
import io
import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl
from django.conf import settings
from django.db import connection, transaction

from rencai.policies.engine.schema import ACHIEVEMENT_COUNT_MAX, ACHIEVEMENT_YUAN_MAX
from rencai.registry.choices import DEGREE_LEVEL, AchievementKind

TITLE_RANK = {"": 0, "junior": 1, "intermediate": 2, "deputy_senior": 3, "senior": 4}

BASE_COLUMNS = {
    "talent_id": pl.Int64,
    "birth_date": pl.Date,
    "gender": pl.Utf8,
    "degree": pl.Utf8,
    "team": pl.Utf8,
    "tier": pl.Utf8,
    "title_level": pl.Utf8,
    "skill_level": pl.Int64,
    "region": pl.Utf8,
    "nationality": pl.Utf8,
    "employment_type": pl.Utf8,
    "arrival_date": pl.Date,
    "status": pl.Utf8,
    "is_researcher_venture": pl.Boolean,
    "employer_industry": pl.Utf8,
    "employer_size": pl.Utf8,
    "employer_is_platform": pl.Boolean,
    "employer_is_high_tech": pl.Boolean,
}
# Dates travel as ISO text and booleans as 0/1 on both backends (see `read_query`): on SQLite this skips
# Django's per-value converters, which cost more than the query itself over a million rows.
BASE_SQL = """
SELECT t.id, CAST(t.birth_date AS TEXT), t.gender, t.highest_degree, t.team, t.tier, t.title_level,
       t.skill_level, r.code, t.nationality, t.employment_type, CAST(t.arrival_date AS TEXT), t.status,
       CAST(t.is_researcher_venture AS INTEGER), e.industry, e.size,
       CAST(e.is_platform_enterprise AS INTEGER), CAST(e.is_high_tech AS INTEGER)
FROM registry_talent t
JOIN core_region r ON r.id = t.region_id
LEFT JOIN registry_enterprise e ON e.id = t.current_employer_id
"""
OVERSEAS_SQL = "SELECT DISTINCT talent_id FROM registry_education WHERE is_overseas"
HONOURS_SQL = "SELECT talent_id, programme FROM registry_honour"
PLATFORMS_SQL = """
SELECT m.talent_id, p.kind FROM registry_platformmembership m
JOIN registry_talentplatform p ON p.id = m.platform_id
"""
# A talent's achievements (成果), each once per holder; the amount in fen so that sums are exact integers
ACHIEVEMENTS_SQL = """
SELECT h.talent_id, a.kind, CAST(a.achieved_on AS TEXT), CAST(ROUND(COALESCE(a.amount, 0) * 100) AS BIGINT)
FROM registry_achievementholder h
JOIN registry_achievement a ON a.id = h.achievement_id
"""
# The talents of each project (the lead and the team members) with its landing date
PROJECTS_SQL = """
SELECT talent_id, CAST(landed_on AS TEXT) FROM (
    SELECT m.talent_id AS talent_id, p.landed_on AS landed_on FROM registry_projectmember m
    JOIN registry_project p ON p.id = m.project_id
    UNION ALL
    SELECT lead_id AS talent_id, landed_on FROM registry_project
) project_talents
"""
ACHIEVEMENT_SCHEMA = {"talent_id": pl.Int64, "kind": pl.Utf8, "achieved_on": pl.Date, "fen": pl.Int64}
# feature -> the achievement kinds it counts; a granted patent was applied for, so it counts as applied too
ACHIEVEMENT_COUNTS: dict[str, tuple[str, ...]] = {
    "patents_granted": (AchievementKind.PATENT_GRANTED,),
    "patents_applied": (AchievementKind.PATENT_APPLIED, AchievementKind.PATENT_GRANTED),
    "tech_transfers": (AchievementKind.TECH_TRANSFER,),
    "new_products": (AchievementKind.NEW_PRODUCT,),
    "standards": (AchievementKind.STANDARD,),
    "awards": (AchievementKind.AWARD,),
    "projects": (AchievementKind.PROJECT,),
}
# feature -> the kind whose amounts it sums, in whole yuan, over the years up to the evaluation date
ACHIEVEMENT_SUMS: dict[str, tuple[str, int]] = {
    "transfer_income_3y": (AchievementKind.TECH_TRANSFER, 3),
    "venture_tax_3y": (AchievementKind.VENTURE_TAX, 3),
}
EMPLOYMENTS_SQL = """
SELECT talent_id, CAST(started_on AS TEXT), CAST(ended_on AS TEXT)
FROM registry_employment WHERE enterprise_id IS NOT NULL
"""


def _where(
    sql: str, column: str, talent_ids: list[int] | None, active_only: bool = False
) -> tuple[str, list]:
    clauses: list[str] = []
    params: list = []
    if talent_ids is not None:
        if connection.vendor == "postgresql":
            # one array parameter: thousands of `%s` placeholders cost more to render than the query
            clauses.append(f"{column} = ANY(%s)")
            params.append(list(talent_ids))
        else:
            clauses.append(f"{column} IN ({','.join(['%s'] * len(talent_ids))})")
            params.extend(talent_ids)
    if active_only:
        clauses.append("t.status = 'active'")
    if clauses:
        joiner = " AND " if " WHERE " in sql else " WHERE "
        sql = sql + joiner + " AND ".join(clauses)
    return sql, params


def read_query(sql: str, params: list, schema: Mapping[str, type[pl.DataType] | pl.DataType]) -> pl.DataFrame:
    """Run a query and return its rows as a typed polars frame (COPY on PostgreSQL, cursor on SQLite).

    Date columns must be selected as ISO text (`CAST(x AS TEXT)`) and Boolean columns as 0/1
    (`CAST(x AS INTEGER)`); polars parses them, column by column.
    """
    names = list(schema)
    dates = [n for n, t in schema.items() if t == pl.Date]
    bools = [n for n, t in schema.items() if t == pl.Boolean]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            statement = cursor.mogrify(sql, params) if params else sql
            buffer = io.BytesIO()
            raw = cursor.cursor if hasattr(cursor, "cursor") else cursor
            with raw.copy(f"COPY ({statement}) TO STDOUT WITH (FORMAT csv)") as copy:
                for block in copy:
                    buffer.write(block)
            buffer.seek(0)
            wire = {n: (pl.Int64 if t == pl.Boolean else t) for n, t in schema.items()}
            frame = pl.read_csv(buffer, has_header=False, new_columns=names, schema=wire)
            return frame.with_columns([(pl.col(n) == 1) for n in bools]) if bools else frame
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    wire = {n: (pl.Utf8 if t == pl.Date else pl.Int64 if t == pl.Boolean else t) for n, t in schema.items()}
    frame = pl.DataFrame(rows, schema=wire, orient="row")
    return frame.with_columns(
        [pl.col(n).str.to_date("%Y-%m-%d") for n in dates] + [(pl.col(n) == 1) for n in bools]
    )


def _months_between(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    months = (end.dt.year() - start.dt.year()) * 12 + (end.dt.month().cast(pl.Int32) - start.dt.month())
    return months - (end.dt.day() < start.dt.day()).cast(pl.Int32)


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day `years` earlier (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _achievement_features(achievements: pl.DataFrame, evaluation_date: dt.date) -> pl.DataFrame:
    """Per talent: achievements of each kind up to the evaluation date, and the amounts of the last years
    (after the same day N years earlier, up to and including the evaluation date)."""
    held = achievements.filter(pl.col("achieved_on") <= pl.lit(evaluation_date, dtype=pl.Date))
    counts = [
        pl.col("kind").is_in([str(kind) for kind in kinds]).sum().cast(pl.Int64).alias(name)
        for name, kinds in ACHIEVEMENT_COUNTS.items()
    ]
    sums = [
        pl.col("fen")
        .filter(
            (pl.col("kind") == str(kind))
            & (pl.col("achieved_on") > pl.lit(years_before(evaluation_date, years), dtype=pl.Date))
        )
        .sum()
        .cast(pl.Int64)
        .floordiv(100)
        .alias(name)
        for name, (kind, years) in ACHIEVEMENT_SUMS.items()
    ]
    return held.group_by("talent_id").agg(counts + sums)


def _list_feature(frame: pl.DataFrame, value: str, name: str) -> pl.DataFrame:
    return frame.group_by("talent_id").agg(pl.col(value).unique().sort().alias(name))


def build_feature_frame(
    evaluation_date: dt.date, *, talent_ids: list[int] | None = None, active_only: bool = True
) -> pl.DataFrame:
    """Every talent's features as of `evaluation_date` (one row per talent, no nulls)."""
    base_sql, base_params = _where(BASE_SQL, "t.id", talent_ids, active_only)
    base = read_query(base_sql, base_params, BASE_COLUMNS)
    overseas = read_query(*_where(OVERSEAS_SQL, "talent_id", talent_ids), {"talent_id": pl.Int64})
    honours = read_query(
        *_where(HONOURS_SQL, "talent_id", talent_ids), {"talent_id": pl.Int64, "programme": pl.Utf8}
    )
    platforms = read_query(
        *_where(PLATFORMS_SQL, "m.talent_id", talent_ids), {"talent_id": pl.Int64, "kind": pl.Utf8}
    )
    employments = read_query(
        *_where(EMPLOYMENTS_SQL, "talent_id", talent_ids),
        {"talent_id": pl.Int64, "started_on": pl.Date, "ended_on": pl.Date},
    )
    achievements = read_query(*_where(ACHIEVEMENTS_SQL, "h.talent_id", talent_ids), ACHIEVEMENT_SCHEMA)
    projects = read_query(
        *_where(PROJECTS_SQL, "talent_id", talent_ids), {"talent_id": pl.Int64, "landed_on": pl.Date}
    )
    day = pl.lit(evaluation_date, dtype=pl.Date)
    months = (
        employments.filter(pl.col("started_on") <= day)
        .with_columns(pl.min_horizontal(pl.col("ended_on").fill_null(day), day).alias("until"))
        .with_columns(_months_between(pl.col("started_on"), pl.col("until")).clip(lower_bound=0).alias("m"))
        .group_by("talent_id")
        .agg(pl.col("m").sum().cast(pl.Int64).alias("months_employed_locally"))
    )
    frame = (
        base.join(
            overseas.with_columns(pl.lit(True).alias("has_overseas_degree")), on="talent_id", how="left"
        )
        .join(_list_feature(honours, "programme", "programmes"), on="talent_id", how="left")
        .join(_list_feature(platforms, "kind", "platform_kinds"), on="talent_id", how="left")
        .join(months, on="talent_id", how="left")
        .join(_achievement_features(achievements, evaluation_date), on="talent_id", how="left")
        .join(
            projects.filter(pl.col("landed_on") <= day)
            .select("talent_id")
            .unique()
            .with_columns(pl.lit(True).alias("arrived_with_project")),
            on="talent_id",
            how="left",
        )
    )
    age = _months_between(pl.col("birth_date"), day) // 12
    return frame.select(
        pl.col("talent_id"),
        age.cast(pl.Int64).alias("age"),
        pl.col("gender"),
        pl.col("degree"),
        pl.col("degree").replace_strict(DEGREE_LEVEL, default=0, return_dtype=pl.Int64).alias("degree_level"),
        pl.col("has_overseas_degree").fill_null(False),
        pl.col("team"),
        pl.col("tier").fill_null(""),
        pl.col("title_level").fill_null(""),
        pl.col("title_level")
        .fill_null("")
        .replace_strict(TITLE_RANK, default=0, return_dtype=pl.Int64)
        .alias("title_rank"),
        pl.col("skill_level").fill_null(0),
        pl.col("region"),
        pl.col("nationality"),
        pl.when(pl.col("employment_type").fill_null("") == "")
        .then(pl.lit("none"))
        .otherwise(pl.col("employment_type"))
        .alias("employment_type"),
        pl.col("months_employed_locally").fill_null(0),
        pl.col("employer_industry").fill_null(""),
        pl.col("employer_size").fill_null(""),
        pl.col("employer_is_platform").fill_null(False),
        pl.col("employer_is_high_tech").fill_null(False),
        pl.col("programmes").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))),
        pl.col("platform_kinds").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))),
        pl.col("is_researcher_venture"),
        pl.col("arrival_date"),
        (_months_between(pl.col("arrival_date"), day) // 12)
        .clip(lower_bound=0)
        .cast(pl.Int64)
        .alias("years_since_arrival"),
        pl.col("status"),
        *(
            pl.col(name).fill_null(0).clip(upper_bound=ACHIEVEMENT_COUNT_MAX).alias(name)
            for name in ACHIEVEMENT_COUNTS
        ),
        *(
            pl.col(name).fill_null(0).clip(upper_bound=ACHIEVEMENT_YUAN_MAX).alias(name)
            for name in ACHIEVEMENT_SUMS
        ),
        pl.col("arrived_with_project").fill_null(False),
    ).sort("talent_id")


def features_hash(row: dict) -> str:
    """A stable hash of what a decision saw (canonical JSON of the feature row)."""
    canonical = json.dumps(
        {k: row[k] for k in sorted(row) if k != "talent_id"}, default=str, sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


# What the frame is built from, summarised cheaply: counts, highest ids and latest changes of the sources.
# Positions in the state tuple (after the database name) are named below.
FINGERPRINT_SQL = """
SELECT (SELECT COUNT(*) FROM registry_talent), (SELECT MAX(id) FROM registry_talent),
       (SELECT MAX(updated_at) FROM registry_talent), (SELECT MAX(updated_at) FROM registry_enterprise),
       (SELECT COUNT(*) FROM registry_honour), (SELECT MAX(id) FROM registry_honour),
       (SELECT COUNT(*) FROM registry_employment), (SELECT MAX(id) FROM registry_employment),
       (SELECT COUNT(*) FROM registry_platformmembership), (SELECT MAX(id) FROM registry_platformmembership),
       (SELECT COUNT(*) FROM registry_education), (SELECT MAX(id) FROM registry_education),
       (SELECT MAX(updated_at) FROM registry_talentplatform),
       (SELECT COUNT(*) FROM registry_enterprise), (SELECT MAX(id) FROM registry_enterprise),
       (SELECT COUNT(*) FROM registry_achievementholder), (SELECT MAX(id) FROM registry_achievementholder),
       (SELECT MAX(updated_at) FROM registry_achievement),
       (SELECT COUNT(*) FROM registry_projectmember), (SELECT MAX(id) FROM registry_projectmember),
       (SELECT MAX(updated_at) FROM registry_project),
       (SELECT COUNT(*) FROM registry_project), (SELECT MAX(id) FROM registry_project)
"""
TALENT_COUNT, TALENT_MAX_ID, TALENT_CHANGED, ENTERPRISE_CHANGED, PLATFORM_CHANGED = 1, 2, 3, 4, 13
ENTERPRISE_COUNT, ENTERPRISE_MAX_ID = 14, 15
ACHIEVEMENT_CHANGED = 18  # a changed achievement (kind, date, amount) changes its holders' features
CHILD_TABLES = {  # table: position of its count (its highest id follows)
    "registry_honour": 5,
    "registry_employment": 7,
    "registry_platformmembership": 9,
    "registry_education": 11,
    "registry_achievementholder": 16,
    "registry_projectmember": 19,
}
# a changed project (landing date, lead) changes its lead's and members' features; a new or deleted project
# is counted like a child table (its lead is a talent of it)
PROJECT_CHANGED, PROJECT_COUNT, PROJECT_MAX_ID = 21, 22, 23
# Rows written by a transaction that committed after the cached state was read can carry an `updated_at`
# older than the state's latest (clock skew between processes, long imports): re-read that much history.
# A registry written in bulk within this margin (more than INCREMENTAL_LIMIT talents) is rebuilt whole.
REFRESH_MARGIN = dt.timedelta(minutes=5)
INCREMENTAL_LIMIT = 10_000  # more changed talents than this: rebuild the whole frame

_cache: dict[str, Any] = {}  # "frame": (evaluation_date, state, frame); "how": see last_refresh
logger = logging.getLogger(__name__)


def registry_state() -> tuple:
    """The database name and the summary of the frame's sources; equal states mean an unchanged registry
    (for changes made through the services and imports, which touch the talent's `updated_at`)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # its counts cost enough for PostgreSQL to JIT-compile the query, which takes longer than running
            # it; SET LOCAL ends with the transaction
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(FINGERPRINT_SQL)
        return (connection.settings_dict["NAME"], *cursor.fetchone())


def _as_datetime(value):
    if isinstance(value, str):  # SQLite hands MAX() of a datetime column back as text
        parsed = dt.datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return value


def _since(latest) -> dt.datetime | str:
    """The moment from which rows are read again: a state's latest change less the margin, as the
    database compares it."""
    since = _as_datetime(latest) - REFRESH_MARGIN
    if connection.vendor == "sqlite":  # stored as naive UTC text; compare like with like
        return since.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
    return since


def changed_talent_ids(old: tuple, new: tuple) -> list[int] | None:
    """The talents whose features may differ between two states, or None when that cannot be told
    (another database, a platform changed, rows were deleted, or too many changed). A changed enterprise
    changes its current employees' features: they are read again."""
    if old[0] != new[0] or old[PLATFORM_CHANGED] != new[PLATFORM_CHANGED] or old[TALENT_CHANGED] is None:
        return None
    talent_max = old[TALENT_MAX_ID] or 0
    changed: set[int] = set()
    with connection.cursor() as cursor:
        for table, position, max_position in (
            ("registry_talent", TALENT_COUNT, TALENT_MAX_ID),
            ("registry_enterprise", ENTERPRISE_COUNT, ENTERPRISE_MAX_ID),
        ):
            cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE id > %s", [old[max_position] or 0])
            if new[position] - old[position] != cursor.fetchone()[0]:
                return None  # talents or enterprises were deleted (an employer's deletion empties fields)
        cursor.execute(
            f"SELECT id FROM registry_talent WHERE updated_at > %s OR id > %s LIMIT {INCREMENTAL_LIMIT + 1}",
            [_since(old[TALENT_CHANGED]), talent_max],
        )
        changed.update(row[0] for row in cursor.fetchall())
        if old[ENTERPRISE_CHANGED] != new[ENTERPRISE_CHANGED]:
            enterprises = "SELECT id FROM registry_enterprise"
            params = []
            if old[ENTERPRISE_CHANGED] is not None:
                enterprises += " WHERE updated_at > %s"
                params.append(_since(old[ENTERPRISE_CHANGED]))
            cursor.execute(
                f"SELECT id FROM registry_talent WHERE current_employer_id IN ({enterprises}) "
                f"LIMIT {INCREMENTAL_LIMIT + 1}",
                params,
            )
            changed.update(row[0] for row in cursor.fetchall())
        if old[ACHIEVEMENT_CHANGED] != new[ACHIEVEMENT_CHANGED]:
            changed.update(_holders_of_changed_achievements(cursor, old[ACHIEVEMENT_CHANGED]))
        cursor.execute("SELECT COUNT(*) FROM registry_project WHERE id > %s", [old[PROJECT_MAX_ID] or 0])
        if new[PROJECT_COUNT] - old[PROJECT_COUNT] != cursor.fetchone()[0]:
            return None  # a project was deleted: whose lead it had, the table no longer says
        if old[PROJECT_CHANGED] != new[PROJECT_CHANGED]:
            changed.update(_talents_of_changed_projects(cursor, old[PROJECT_CHANGED]))
        for table, position in CHILD_TABLES.items():
            old_max = old[position + 1] or 0
            cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE id > %s", [old_max])
            if new[position] - old[position] != cursor.fetchone()[0]:
                return None  # rows were deleted: whose, the table no longer says
            cursor.execute(f"SELECT DISTINCT talent_id FROM {table} WHERE id > %s", [old_max])
            changed.update(row[0] for row in cursor.fetchall())
    if len(changed) > INCREMENTAL_LIMIT:
        return None
    return sorted(changed)


def _holders_of_changed_achievements(cursor, latest) -> list[int]:
    """The holders of the achievements changed since `latest` (all achievements' when there was none)."""
    achievements, params = "SELECT id FROM registry_achievement", []
    if latest is not None:
        achievements += " WHERE updated_at > %s"
        params.append(_since(latest))
    cursor.execute(
        f"SELECT DISTINCT talent_id FROM registry_achievementholder WHERE achievement_id IN ({achievements}) "
        f"LIMIT {INCREMENTAL_LIMIT + 1}",
        params,
    )
    return [row[0] for row in cursor.fetchall()]


def _talents_of_changed_projects(cursor, latest) -> list[int]:
    """The leads and members of the projects changed since `latest` (all projects' when there was none).
    A lead replaced by an update is read again through its talent's `updated_at` (registry.projects)."""
    projects, params = "SELECT id FROM registry_project", []
    if latest is not None:
        projects += " WHERE updated_at > %s"
        params.append(_since(latest))
    cursor.execute(
        f"SELECT talent_id FROM registry_projectmember WHERE project_id IN ({projects}) "
        f"UNION SELECT lead_id FROM registry_project WHERE id IN ({projects}) LIMIT {INCREMENTAL_LIMIT + 1}",
        params * 2,
    )
    return [row[0] for row in cursor.fetchall()]


# The snapshot: the day's whole frame written to disk after each full build, so that a process that has
# just started (a restarted server, another worker) loads it and reads only what changed since, instead of
# building a million rows. One file per database: a JSON header line, then the frame in Arrow IPC.
SNAPSHOT_FORMAT = 1


def _code_fingerprint() -> str:
    """Changes when the code or the libraries that shape the frame change: older snapshots are not used."""
    source = (
        Path(__file__).read_bytes()
        + repr(sorted(DEGREE_LEVEL.items())).encode()
        + repr(sorted(AchievementKind.values)).encode()
        + pl.__version__.encode()
    )
    return hashlib.sha256(source).hexdigest()[:16]


def snapshot_path() -> Path | None:
    """Where this database's snapshot lives, or None when snapshots are off (`RENCAI_FRAME_DIR` empty)."""
    folder = getattr(settings, "RENCAI_FRAME_DIR", None)
    if not folder:
        return None
    db = connection.settings_dict
    identity = f"{connection.vendor}|{db.get('HOST') or ''}|{db.get('PORT') or ''}|{db['NAME']}"
    return Path(folder) / f"frame-{hashlib.sha256(identity.encode()).hexdigest()[:16]}.arrow"


def _encode_state(state: tuple) -> list:
    return [{"datetime": value.isoformat()} if isinstance(value, dt.datetime) else value for value in state]


def _decode_state(values: list) -> tuple:
    return tuple(
        dt.datetime.fromisoformat(value["datetime"]) if isinstance(value, dict) else value for value in values
    )


def _save_snapshot(evaluation_date: dt.date, state: tuple, frame: pl.DataFrame) -> None:
    path = snapshot_path()
    if path is None:
        return
    header = {
        "format": SNAPSHOT_FORMAT,
        "code": _code_fingerprint(),
        "date": evaluation_date.isoformat(),
        "state": _encode_state(state),
    }
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
            handle.write(json.dumps(header).encode() + b"\n")
            frame.write_ipc(handle, compression="zstd")
        os.replace(partial, path)  # readers see the old snapshot or the new one, never half of one
    except OSError as error:  # a full or read-only disk costs the next process a build, nothing more
        logger.warning("feature frame snapshot not written to %s: %s", path, error)
        partial.unlink(missing_ok=True)


def _load_snapshot(evaluation_date: dt.date) -> tuple | None:
    """(evaluation_date, state, frame) from this database's snapshot of that day, or None."""
    path = snapshot_path()
    if path is None or not path.exists():
        return None
    try:
        with path.open("rb") as handle:
            header = json.loads(handle.readline())
            if (header.get("format"), header.get("code"), header.get("date")) != (
                SNAPSHOT_FORMAT,
                _code_fingerprint(),
                evaluation_date.isoformat(),
            ):
                return None  # another day's, or written by other code
            frame = pl.read_ipc(handle.read())  # the bytes after the header, read whole (no mapping)
        return evaluation_date, _decode_state(header["state"]), frame
    except (OSError, ValueError, KeyError, TypeError, AttributeError, pl.exceptions.PolarsError) as error:
        logger.warning("feature frame snapshot %s unreadable, building the frame anew: %s", path, error)
        return None


def cached_feature_frame(evaluation_date: dt.date) -> pl.DataFrame:
    """The whole registry's frame. Unchanged registry: the cached frame. A few talents changed since: only
    their rows are read again and replaced (an enterprise's change: its employees'). Otherwise (another day,
    a platform changed, deletions, a large import): built anew, and written to disk as the snapshot a new
    process starts from instead of building. `last_refresh()` says which happened."""
    state = registry_state()
    cached = _cache.get("frame")
    source = ""
    if cached is None or cached[0] != evaluation_date:
        cached = _load_snapshot(evaluation_date)
        source = "loaded, " if cached is not None else ""
    if cached is not None and cached[0] == evaluation_date:
        if cached[1] == state:
            _cache["frame"] = cached
            _cache["how"] = "loaded" if source else "cached"
            return cached[2]
        ids = changed_talent_ids(cached[1], state)
        if ids is not None:
            frame = cached[2]
            if ids:
                fresh = build_feature_frame(evaluation_date, talent_ids=ids)
                fresh = fresh.select([pl.col(name).cast(dtype) for name, dtype in frame.schema.items()])
                frame = pl.concat([frame.filter(~pl.col("talent_id").is_in(ids)), fresh]).sort("talent_id")
            _cache["frame"] = (evaluation_date, state, frame)
            _cache["how"] = f"{source}refreshed {len(ids)}"
            return frame
    frame = build_feature_frame(evaluation_date)
    _cache["frame"] = (evaluation_date, state, frame)
    _cache["how"] = "built"
    _save_snapshot(evaluation_date, state, frame)
    return frame


def frame_at_hand(evaluation_date: dt.date) -> bool:
    """Whether `cached_feature_frame(evaluation_date)` can answer without building the whole registry's frame:
    this process holds that day's frame, or its snapshot is on disk (loading it and reading the few talents
    changed since takes a moment; a build over a large registry takes long enough to be a job)."""
    cached = _cache.get("frame")
    if cached is not None and cached[0] == evaluation_date:
        return True
    path = snapshot_path()
    if path is None:
        return True  # snapshots are off: only this process could build it, so there is no job to hand it to
    return _load_snapshot(evaluation_date) is not None


def clear_cache() -> None:
    """Forget this process's frame (the snapshot on disk stays): the next call starts as a new process."""
    _cache.clear()


def last_refresh() -> str:
    """How the last `cached_feature_frame` call got its frame: "cached", "refreshed N", "built", or, in a
    process that started from the snapshot on disk, "loaded" or "loaded, refreshed N"."""
    return _cache.get("how", "")
