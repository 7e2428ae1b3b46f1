"""Sheets that add up to 100 and locked results that never change, as database facts.

A CHECK constraint sees one row; "the indicator and target items of an issued sheet sum to 100 points"
spans rows, so triggers hold it: a sheet leaves the draft state only if its indicator and target items sum
to exactly 100; once it has left, those items cannot be added, removed, re-weighted or moved (bonus and
deduction items, claims and scores still can, until the lock). A locked sheet and its items refuse every
change. On PostgreSQL the item trigger reads the sheet row FOR SHARE, so an item added while another
transaction issues or locks the sheet waits for it and then sees what it decided.

As in evaluation/migrations/0002, deletes are guarded on PostgreSQL only: Django empties SQLite tables
between transactional tests with DELETE, which a delete guard would refuse (PostgreSQL truncates).
"""

from django.db import migrations

SHEET = "coordination_targetsheet"
ITEM = "coordination_targetitem"
SCORED = "('indicators', 'targets')"
MESSAGE_SUM = "coordination: the indicator and target items of an issued sheet must sum to 100 points"
MESSAGE_LOCKED = "coordination: a locked target sheet cannot be changed"

SQLITE_UP = [
    f"""
    CREATE TRIGGER coordination_sheet_issue BEFORE UPDATE OF state ON {SHEET}
    WHEN OLD.state = 'draft' AND NEW.state <> 'draft'
    BEGIN
      SELECT RAISE(ABORT, '{MESSAGE_SUM}')
      WHERE (SELECT COALESCE(SUM(max_points), 0) FROM {ITEM}
             WHERE sheet_id = NEW.id AND section IN {SCORED}) <> 100;
    END
    """,
    f"""
    CREATE TRIGGER coordination_sheet_insert_issued BEFORE INSERT ON {SHEET}
    WHEN NEW.state <> 'draft'
    BEGIN SELECT RAISE(ABORT, '{MESSAGE_SUM}'); END
    """,
    f"""
    CREATE TRIGGER coordination_sheet_locked BEFORE UPDATE ON {SHEET}
    WHEN OLD.state = 'locked'
    BEGIN SELECT RAISE(ABORT, '{MESSAGE_LOCKED}'); END
    """,
    f"""
    CREATE TRIGGER coordination_item_locked_insert BEFORE INSERT ON {ITEM}
    WHEN (SELECT state FROM {SHEET} WHERE id = NEW.sheet_id) = 'locked'
    BEGIN SELECT RAISE(ABORT, '{MESSAGE_LOCKED}'); END
    """,
    f"""
    CREATE TRIGGER coordination_item_locked_update BEFORE UPDATE ON {ITEM}
    WHEN (SELECT state FROM {SHEET} WHERE id = OLD.sheet_id) = 'locked'
      OR (SELECT state FROM {SHEET} WHERE id = NEW.sheet_id) = 'locked'
    BEGIN SELECT RAISE(ABORT, '{MESSAGE_LOCKED}'); END
    """,
    f"""
    CREATE TRIGGER coordination_item_issued_insert BEFORE INSERT ON {ITEM}
    WHEN NEW.section IN {SCORED} AND (SELECT state FROM {SHEET} WHERE id = NEW.sheet_id) <> 'draft'
    BEGIN SELECT RAISE(ABORT, '{MESSAGE_SUM}'); END
    """,
    f"""
    CREATE TRIGGER coordination_item_issued_update BEFORE UPDATE ON {ITEM}
    WHEN (OLD.section IN {SCORED} OR NEW.section IN {SCORED})
      AND (NEW.max_points <> OLD.max_points OR NEW.section <> OLD.section OR NEW.sheet_id <> OLD.sheet_id)
      AND ((SELECT state FROM {SHEET} WHERE id = OLD.sheet_id) <> 'draft'
           OR (SELECT state FROM {SHEET} WHERE id = NEW.sheet_id) <> 'draft')
    BEGIN SELECT RAISE(ABORT, '{MESSAGE_SUM}'); END
    """,
]
SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "coordination_sheet_issue",
        "coordination_sheet_insert_issued",
        "coordination_sheet_locked",
        "coordination_item_locked_insert",
        "coordination_item_locked_update",
        "coordination_item_issued_insert",
        "coordination_item_issued_update",
    )
]

POSTGRES_UP = [
    f"""
    CREATE FUNCTION coordination_sheet_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        IF OLD.state = 'locked' THEN
          RAISE EXCEPTION '{MESSAGE_LOCKED}' USING ERRCODE = 'check_violation';
        END IF;
        RETURN OLD;
      END IF;
      IF TG_OP = 'UPDATE' AND OLD.state = 'locked' THEN
        RAISE EXCEPTION '{MESSAGE_LOCKED}' USING ERRCODE = 'check_violation';
      END IF;
      IF NEW.state <> 'draft' AND (TG_OP = 'INSERT' OR OLD.state = 'draft') THEN
        IF (SELECT COALESCE(SUM(max_points), 0) FROM {ITEM}
            WHERE sheet_id = NEW.id AND section IN {SCORED}) <> 100 THEN
          RAISE EXCEPTION '{MESSAGE_SUM}' USING ERRCODE = 'check_violation';
        END IF;
      END IF;
      RETURN NEW;
    END $$
    """,
    f"""
    CREATE TRIGGER coordination_sheet_guard BEFORE INSERT OR UPDATE OR DELETE ON {SHEET}
    FOR EACH ROW EXECUTE FUNCTION coordination_sheet_guard()
    """,
    f"""
    CREATE FUNCTION coordination_item_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      ids bigint[];
      weighty boolean;
    BEGIN
      IF TG_OP = 'INSERT' THEN
        ids := ARRAY[NEW.sheet_id];
        weighty := NEW.section IN {SCORED};
      ELSIF TG_OP = 'DELETE' THEN
        ids := ARRAY[OLD.sheet_id];
        weighty := OLD.section IN {SCORED};
      ELSE
        ids := ARRAY[OLD.sheet_id, NEW.sheet_id];
        weighty := (OLD.section IN {SCORED} OR NEW.section IN {SCORED})
          AND (NEW.max_points <> OLD.max_points OR NEW.section <> OLD.section OR NEW.sheet_id <> OLD.sheet_id);
      END IF;
      -- FOR SHARE: wait for a transaction issuing or locking the sheet, then see what it decided
      PERFORM 1 FROM {SHEET} WHERE id = ANY(ids) FOR SHARE;
      IF EXISTS (SELECT 1 FROM {SHEET} WHERE id = ANY(ids) AND state = 'locked') THEN
        RAISE EXCEPTION '{MESSAGE_LOCKED}' USING ERRCODE = 'check_violation';
      END IF;
      IF weighty AND EXISTS (SELECT 1 FROM {SHEET} WHERE id = ANY(ids) AND state <> 'draft') THEN
        RAISE EXCEPTION '{MESSAGE_SUM}' USING ERRCODE = 'check_violation';
      END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END $$
    """,
    f"""
    CREATE TRIGGER coordination_item_guard BEFORE INSERT OR UPDATE OR DELETE ON {ITEM}
    FOR EACH ROW EXECUTE FUNCTION coordination_item_guard()
    """,
]
POSTGRES_DOWN = [
    f"DROP TRIGGER IF EXISTS coordination_item_guard ON {ITEM}",
    f"DROP TRIGGER IF EXISTS coordination_sheet_guard ON {SHEET}",
    "DROP FUNCTION IF EXISTS coordination_item_guard()",
    "DROP FUNCTION IF EXISTS coordination_sheet_guard()",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("coordination", "0001_targets")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        )
    ]
