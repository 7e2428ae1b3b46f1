"""Weights that sum to 100 and published schemes that never change, as database facts.

A CHECK constraint sees one row; "the indicators of a scheme sum to 100" spans rows, so triggers hold it:
publishing a scheme (status → published) is refused unless its indicator weights and its evaluator
weights each sum to exactly 100; an indicator or evaluator weight of a published scheme cannot be
inserted, changed or deleted; a published scheme cannot return to draft. On PostgreSQL the child trigger
reads the scheme row FOR SHARE, so an indicator added while another transaction publishes waits for it and
then sees the scheme published (no race can publish 110).

One exception on SQLite: deleting an indicator or evaluator row of a published scheme is left to the
services (which refuse it) and to the PROTECT of the scores that use it. SQLite has no TRUNCATE, so
Django empties tables between transactional tests with DELETE, one table at a time in no fixed order; a
delete guard would make every such test fail on its teardown. PostgreSQL guards deletes too (its flush
truncates, which fires no row trigger).
"""

from django.db import migrations

TABLES = ("evaluation_indicator", "evaluation_schemeevaluator")
MESSAGE_SUM = "evaluation: the weights of a published scheme must sum to 100"
MESSAGE_FROZEN = "evaluation: a published scheme cannot be changed"

SQLITE_UP = [
    f"""
    CREATE TRIGGER evaluation_scheme_publish BEFORE UPDATE OF status ON evaluation_scheme
    WHEN NEW.status = 'published' AND OLD.status <> 'published'
    BEGIN
      SELECT RAISE(ABORT, '{MESSAGE_SUM}')
      WHERE (SELECT COALESCE(SUM(weight), 0) FROM evaluation_indicator WHERE scheme_id = NEW.id) <> 100
         OR (SELECT COALESCE(SUM(weight), 0) FROM evaluation_schemeevaluator WHERE scheme_id = NEW.id) <> 100;
    END
    """,
    f"""
    CREATE TRIGGER evaluation_scheme_unpublish BEFORE UPDATE OF status ON evaluation_scheme
    WHEN OLD.status = 'published' AND NEW.status <> 'published'
    BEGIN SELECT RAISE(ABORT, '{MESSAGE_FROZEN}'); END
    """,
    f"""
    CREATE TRIGGER evaluation_scheme_insert_published BEFORE INSERT ON evaluation_scheme
    WHEN NEW.status = 'published'
    BEGIN SELECT RAISE(ABORT, '{MESSAGE_SUM}'); END
    """,
]
for table in TABLES:
    SQLITE_UP += [
        f"""
        CREATE TRIGGER {table}_frozen_insert BEFORE INSERT ON {table}
        WHEN (SELECT status FROM evaluation_scheme WHERE id = NEW.scheme_id) = 'published'
        BEGIN SELECT RAISE(ABORT, '{MESSAGE_FROZEN}'); END
        """,
        f"""
        CREATE TRIGGER {table}_frozen_update BEFORE UPDATE ON {table}
        WHEN (SELECT status FROM evaluation_scheme WHERE id = OLD.scheme_id) = 'published'
          OR (SELECT status FROM evaluation_scheme WHERE id = NEW.scheme_id) = 'published'
        BEGIN SELECT RAISE(ABORT, '{MESSAGE_FROZEN}'); END
        """,
    ]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS evaluation_scheme_publish",
    "DROP TRIGGER IF EXISTS evaluation_scheme_unpublish",
    "DROP TRIGGER IF EXISTS evaluation_scheme_insert_published",
] + [
    f"DROP TRIGGER IF EXISTS {table}_frozen_{op}" for table in TABLES for op in ("insert", "update", "delete")
]

POSTGRES_UP = [
    f"""
    CREATE FUNCTION evaluation_scheme_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' AND OLD.status = 'published' AND NEW.status <> 'published' THEN
        RAISE EXCEPTION '{MESSAGE_FROZEN}' USING ERRCODE = 'check_violation';
      END IF;
      IF NEW.status = 'published' AND (TG_OP = 'INSERT' OR OLD.status <> 'published') THEN
        IF (SELECT COALESCE(SUM(weight), 0) FROM evaluation_indicator WHERE scheme_id = NEW.id) <> 100
           OR (SELECT COALESCE(SUM(weight), 0) FROM evaluation_schemeevaluator WHERE scheme_id = NEW.id) <> 100
        THEN
          RAISE EXCEPTION '{MESSAGE_SUM}' USING ERRCODE = 'check_violation';
        END IF;
      END IF;
      RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER evaluation_scheme_guard BEFORE INSERT OR UPDATE ON evaluation_scheme
    FOR EACH ROW EXECUTE FUNCTION evaluation_scheme_guard()
    """,
    f"""
    CREATE FUNCTION evaluation_scheme_part_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      ids bigint[];
    BEGIN
      IF TG_OP = 'INSERT' THEN ids := ARRAY[NEW.scheme_id];
      ELSIF TG_OP = 'DELETE' THEN ids := ARRAY[OLD.scheme_id];
      ELSE ids := ARRAY[OLD.scheme_id, NEW.scheme_id];
      END IF;
      -- FOR SHARE: wait for a transaction publishing the scheme, then see what it decided
      PERFORM 1 FROM evaluation_scheme WHERE id = ANY(ids) FOR SHARE;
      IF EXISTS (SELECT 1 FROM evaluation_scheme WHERE id = ANY(ids) AND status = 'published') THEN
        RAISE EXCEPTION '{MESSAGE_FROZEN}' USING ERRCODE = 'check_violation';
      END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END $$
    """,
] + [
    f"""
    CREATE TRIGGER {table}_frozen BEFORE INSERT OR UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION evaluation_scheme_part_guard()
    """
    for table in TABLES
]
POSTGRES_DOWN = [
    *(f"DROP TRIGGER IF EXISTS {table}_frozen ON {table}" for table in TABLES),
    "DROP TRIGGER IF EXISTS evaluation_scheme_guard ON evaluation_scheme",
    "DROP FUNCTION IF EXISTS evaluation_scheme_part_guard()",
    "DROP FUNCTION IF EXISTS evaluation_scheme_guard()",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        )
    ]
