"""A change counter on every table the dashboards read, kept by triggers on both databases.

`analytics.history.registry_version()` reads this small table (one query, well under a millisecond) instead of
counting a million talents (`policies.features.registry_state`, a quarter of a second) to tell whether the
figures cached in memory and on disk are still those of the database: every INSERT, UPDATE, DELETE (and, on
PostgreSQL, TRUNCATE) of a watched table adds one to a counter in the same transaction, so a cached figure is
never served after the change that alters it has committed, and is not invalidated by a change rolled back.

- PostgreSQL: one statement-level trigger per table (a bulk insert of a million rows counts once). Each
  database session adds to a row of its own (keyed by its backend process id, inserted on its first write),
  so no transaction ever waits for another's counter row: a shared row would make two writers wait on each
  other (one holding the rows it just wrote while it waits for the counter, the other holding the counter
  while it waits for those rows: a deadlock). The version is the sum of the sessions' rows: every committed
  change adds at least one and a rolled-back one adds nothing, so the sum only grows with committed history.
- SQLite has no statement-level triggers: one row trigger per table and operation on slot 0 (SQLite runs
  one writer at a time anyway).
- Slot -1 holds a random token drawn when the table is created, so that a database dropped and created again
  under the same name never matches figures cached for the old one.

A later migration that rebuilds a watched table on SQLite (Django copies the table to change most columns)
drops its triggers with the old table: `registry_version()` checks that every trigger is there once per
process and otherwise falls back to counting (`tests/analytics/test_dashboard_cache.py` fails meanwhile).
"""

import secrets

from django.db import migrations

# every table a dashboard figure reads: the registry (the feature frame and the history), the regions and
# indicators, and the sources (ledger, one-stop steps, platforms, evaluation and recruitment outcomes)
WATCHED = (
    "registry_talent",
    "registry_enterprise",
    "registry_honour",
    "registry_employment",
    "registry_platformmembership",
    "registry_education",
    "registry_talentplatform",
    "registry_achievement",
    "registry_achievementholder",
    "registry_project",
    "registry_projectmember",
    "registry_department",
    "registry_tierdefinition",
    "registry_academician",
    "core_region",
    "analytics_indicator",
    "policies_policy",
    "policies_budgetaccount",
    "policies_reservation",
    "policies_entitlement",
    "policies_instalment",
    "onestop_steptask",
    "evaluation_case",
    "recruitment_placement",
    "recruitment_reward",
    "recruitment_rewardinstalment",
)
TABLE = "analytics_datachange"
SQLITE_OPERATIONS = ("insert", "update", "delete")


def trigger_names(vendor: str) -> list[str]:
    """The triggers this migration creates (`history.registry_version` checks they are all there)."""
    if vendor == "postgresql":
        return [f"analytics_change_{table}" for table in WATCHED]
    return [f"analytics_change_{table}_{op}" for table in WATCHED for op in SQLITE_OPERATIONS]


def _create_table(cursor) -> None:
    cursor.execute(f"CREATE TABLE {TABLE} (slot integer PRIMARY KEY, changes bigint NOT NULL)")
    cursor.execute(f"INSERT INTO {TABLE} (slot, changes) VALUES (-1, %s)", [secrets.randbits(62)])
    cursor.execute(f"INSERT INTO {TABLE} (slot, changes) VALUES (0, 0)")  # SQLite's one writer


def _postgres(cursor) -> None:
    cursor.execute(
        f"""
        CREATE FUNCTION analytics_count_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO {TABLE} (slot, changes) VALUES (pg_backend_pid(), 1)
          ON CONFLICT (slot) DO UPDATE SET changes = {TABLE}.changes + 1;
          RETURN NULL;
        END $$
        """
    )
    for table in WATCHED:
        cursor.execute(
            f"CREATE TRIGGER analytics_change_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION analytics_count_change()"
        )


def _sqlite(cursor) -> None:
    for table in WATCHED:
        for op in SQLITE_OPERATIONS:
            cursor.execute(
                f"CREATE TRIGGER analytics_change_{table}_{op} AFTER {op.upper()} ON {table} "
                f"BEGIN UPDATE {TABLE} SET changes = changes + 1 WHERE slot = 0; END"
            )


def install(apps, schema_editor) -> None:
    with schema_editor.connection.cursor() as cursor:
        _create_table(cursor)
        if schema_editor.connection.vendor == "postgresql":
            _postgres(cursor)
        else:
            _sqlite(cursor)


def uninstall(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        for name, table in zip(trigger_names(vendor), _tables_of(vendor), strict=True):
            cursor.execute(
                f"DROP TRIGGER IF EXISTS {name} ON {table}"
                if vendor == "postgresql"
                else f"DROP TRIGGER IF EXISTS {name}"
            )
        if vendor == "postgresql":
            cursor.execute("DROP FUNCTION IF EXISTS analytics_count_change()")
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def _tables_of(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return list(WATCHED)
    return [table for table in WATCHED for _op in SQLITE_OPERATIONS]


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0002_standard_set"),
        ("core", "0008_jobs"),
        ("registry", "0009_projects"),
        ("policies", "0005_staged_benefits"),
        ("onestop", "0005_material_original_name"),
        ("evaluation", "0002_scheme_weight_triggers"),
        ("recruitment", "0006_referral_region"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
