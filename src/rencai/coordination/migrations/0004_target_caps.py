"""The bonus and deduction caps of a target sheet as database facts.

"A sheet's bonus items total at most its bonus cap" (and the same for deductions) spans rows, so triggers
hold it, as in 0002: an insert or update of a bonus (deduction) item that would take the sheet's bonus
(deduction) total past its cap is refused, and so is lowering a cap below what is already used. The
service `item_add` checks first, for the message.

On PostgreSQL the item trigger locks the sheet row (FOR NO KEY UPDATE) before it sums, so two officers
adding bonus points at once take turns and the second sees the first's item; the trigger is named so that
it fires before `coordination_item_guard` (triggers fire in name order), which only reads the row FOR
SHARE. On SQLite writers are serialised by the database lock. SQLite keeps decimals as floating point, so
its sums are rounded to the two places the columns hold before they are compared.
"""

from django.db import migrations

SHEET = "coordination_targetsheet"
ITEM = "coordination_targetitem"
CAPPED = "('bonus', 'deductions')"
MESSAGE_CAP = "coordination: the bonus or deduction items of a sheet exceed its cap"


def _sqlite_cap(sheet: str) -> str:
    return (
        f"(SELECT CASE NEW.section WHEN 'bonus' THEN bonus_cap ELSE deduction_cap END"
        f" FROM {SHEET} WHERE id = {sheet})"
    )


SQLITE_UP = [
    f"""
    CREATE TRIGGER coordination_item_cap_insert BEFORE INSERT ON {ITEM}
    WHEN NEW.section IN {CAPPED}
      AND ROUND((SELECT COALESCE(SUM(max_points), 0) FROM {ITEM}
                 WHERE sheet_id = NEW.sheet_id AND section = NEW.section) + NEW.max_points, 2)
          > ROUND({_sqlite_cap("NEW.sheet_id")}, 2)
    BEGIN SELECT RAISE(ABORT, '{MESSAGE_CAP}'); END
    """,
    f"""
    CREATE TRIGGER coordination_item_cap_update BEFORE UPDATE ON {ITEM}
    WHEN NEW.section IN {CAPPED}
      AND (NEW.max_points <> OLD.max_points OR NEW.section <> OLD.section OR NEW.sheet_id <> OLD.sheet_id)
      AND ROUND((SELECT COALESCE(SUM(max_points), 0) FROM {ITEM}
                 WHERE sheet_id = NEW.sheet_id AND section = NEW.section AND id <> OLD.id) + NEW.max_points, 2)
          > ROUND({_sqlite_cap("NEW.sheet_id")}, 2)
    BEGIN SELECT RAISE(ABORT, '{MESSAGE_CAP}'); END
    """,
    f"""
    CREATE TRIGGER coordination_sheet_caps BEFORE UPDATE OF bonus_cap, deduction_cap ON {SHEET}
    WHEN ROUND(NEW.bonus_cap, 2) < ROUND((SELECT COALESCE(SUM(max_points), 0) FROM {ITEM}
                                          WHERE sheet_id = NEW.id AND section = 'bonus'), 2)
      OR ROUND(NEW.deduction_cap, 2) < ROUND((SELECT COALESCE(SUM(max_points), 0) FROM {ITEM}
                                              WHERE sheet_id = NEW.id AND section = 'deductions'), 2)
    BEGIN SELECT RAISE(ABORT, '{MESSAGE_CAP}'); END
    """,
]
SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in ("coordination_item_cap_insert", "coordination_item_cap_update", "coordination_sheet_caps")
]

POSTGRES_UP = [
    f"""
    CREATE FUNCTION coordination_item_cap() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      cap numeric;
      used numeric;
    BEGIN
      IF NEW.section NOT IN {CAPPED} THEN
        RETURN NEW;
      END IF;
      IF TG_OP = 'UPDATE' AND NEW.max_points = OLD.max_points AND NEW.section = OLD.section
         AND NEW.sheet_id = OLD.sheet_id THEN
        RETURN NEW;
      END IF;
      -- one writer of a sheet's bonus (deductions) at a time: the second waits, then sums the first's too
      SELECT CASE WHEN NEW.section = 'bonus' THEN bonus_cap ELSE deduction_cap END INTO cap
        FROM {SHEET} WHERE id = NEW.sheet_id FOR NO KEY UPDATE;
      IF TG_OP = 'INSERT' THEN
        SELECT COALESCE(SUM(max_points), 0) INTO used FROM {ITEM}
          WHERE sheet_id = NEW.sheet_id AND section = NEW.section;
      ELSE
        SELECT COALESCE(SUM(max_points), 0) INTO used FROM {ITEM}
          WHERE sheet_id = NEW.sheet_id AND section = NEW.section AND id <> OLD.id;
      END IF;
      IF used + NEW.max_points > cap THEN
        RAISE EXCEPTION '{MESSAGE_CAP}' USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$
    """,
    f"""
    CREATE TRIGGER coordination_item_cap BEFORE INSERT OR UPDATE ON {ITEM}
    FOR EACH ROW EXECUTE FUNCTION coordination_item_cap()
    """,
    f"""
    CREATE FUNCTION coordination_sheet_caps() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.bonus_cap < (SELECT COALESCE(SUM(max_points), 0) FROM {ITEM}
                          WHERE sheet_id = NEW.id AND section = 'bonus')
         OR NEW.deduction_cap < (SELECT COALESCE(SUM(max_points), 0) FROM {ITEM}
                                 WHERE sheet_id = NEW.id AND section = 'deductions') THEN
        RAISE EXCEPTION '{MESSAGE_CAP}' USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$
    """,
    f"""
    CREATE TRIGGER coordination_sheet_caps BEFORE UPDATE OF bonus_cap, deduction_cap ON {SHEET}
    FOR EACH ROW EXECUTE FUNCTION coordination_sheet_caps()
    """,
]
POSTGRES_DOWN = [
    f"DROP TRIGGER IF EXISTS coordination_item_cap ON {ITEM}",
    f"DROP TRIGGER IF EXISTS coordination_sheet_caps ON {SHEET}",
    "DROP FUNCTION IF EXISTS coordination_item_cap()",
    "DROP FUNCTION IF EXISTS coordination_sheet_caps()",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("coordination", "0003_worklists")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        )
    ]
