"""The chain gets an id for its anchors outside the database, and its head may only move forward."""

from django.db import migrations, models

SQLITE_FORWARD = [
    """CREATE TRIGGER core_auditchainhead_forward BEFORE UPDATE ON core_auditchainhead
       WHEN NEW.last_seq < OLD.last_seq OR (OLD.chain_id != '' AND NEW.chain_id != OLD.chain_id)
       BEGIN SELECT RAISE(ABORT, 'audit chain head only moves forward'); END;""",
]
SQLITE_BACKWARD = ["DROP TRIGGER IF EXISTS core_auditchainhead_forward;"]

POSTGRES_FORWARD = [
    """CREATE OR REPLACE FUNCTION core_auditchainhead_forward() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'DELETE' OR NEW.last_seq < OLD.last_seq
            OR (OLD.chain_id <> '' AND NEW.chain_id <> OLD.chain_id) THEN
           RAISE EXCEPTION 'audit chain head only moves forward';
         END IF;
         RETURN NEW;
       END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER core_auditchainhead_forward BEFORE UPDATE OR DELETE ON core_auditchainhead
       FOR EACH ROW EXECUTE FUNCTION core_auditchainhead_forward();""",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS core_auditchainhead_forward ON core_auditchainhead;",
    "DROP FUNCTION IF EXISTS core_auditchainhead_forward();",
]


def forward(apps, schema_editor):
    statements = POSTGRES_FORWARD if schema_editor.connection.vendor == "postgresql" else SQLITE_FORWARD
    for statement in statements:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    statements = POSTGRES_BACKWARD if schema_editor.connection.vendor == "postgresql" else SQLITE_BACKWARD
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("core", "0006_job_lock")]

    operations = [
        migrations.AddField(
            model_name="auditchainhead",
            name="chain_id",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
        migrations.RunPython(forward, backward),
    ]
