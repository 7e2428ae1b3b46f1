"""Search talents by the last digits of an ID number and by any part of a name.

1. `id_number_tail_index`: the blind index of the last four characters of the ID number, computed for the
   stored talents by decrypting their numbers in chunks (as `core.pii.id_number_tail_index` computes it for
   new ones), then indexed.
2. On PostgreSQL, a trigram (pg_trgm) GIN index over the upper-cased name with every character written three
   times. A Chinese name is two or three characters and a search one or two, too short for trigrams of the
   name itself; tripled, every single character and every pair of characters of the search makes whole
   trigrams, so `LIKE '%涛涛涛俊俊俊%'` is answered from the index (`registry.selectors._name_contains` writes
   the same expression). Where pg_trgm cannot be created (no right to), the index is left out and the search
   scans the table, as it does on SQLite.
"""

import logging

from django.db import DatabaseError, migrations, models, transaction

logger = logging.getLogger(__name__)

TAIL_LENGTH = 4  # core.pii.ID_TAIL_LENGTH when this migration was written
TAIL_PURPOSE = "id_number_tail"
CHUNK = 2000

NAME_GRAMS_INDEX = "talent_name_grams"
NAME_GRAMS = "regexp_replace(upper(name), '(.)', '\\1\\1\\1', 'g')"  # selectors.NAME_GRAMS_SQL


def backfill_tail_index(apps, schema_editor):
    from rencai.core import crypto

    Talent = apps.get_model("registry", "Talent")
    last = 0
    while True:
        chunk = list(
            Talent.objects.filter(pk__gt=last, id_number_tail_index="")
            .order_by("pk")
            .only("pk", "id_number_ciphertext")[:CHUNK]
        )
        if not chunk:
            return
        for talent in chunk:
            tail = crypto.decrypt(talent.id_number_ciphertext).strip().upper()[-TAIL_LENGTH:]
            if len(tail) == TAIL_LENGTH:
                talent.id_number_tail_index = crypto.blind_index(tail, purpose=TAIL_PURPOSE)
        Talent.objects.bulk_update(chunk, ["id_number_tail_index"])
        last = chunk[-1].pk


def create_name_grams_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            try:
                with transaction.atomic(using=schema_editor.connection.alias):  # a savepoint
                    cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            except DatabaseError as error:  # e.g. no right to create it: the search still works, slower
                logger.warning("pg_trgm is not available (%s): name search will scan the talents", error)
                return
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {NAME_GRAMS_INDEX} ON registry_talent "
            f"USING gin (({NAME_GRAMS}) gin_trgm_ops)"
        )


def drop_name_grams_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME_GRAMS_INDEX}")


class Migration(migrations.Migration):
    dependencies = [("registry", "0005_remask_id_numbers")]

    operations = [
        migrations.AddField(
            model_name="talent",
            name="id_number_tail_index",
            field=models.CharField(blank=True, default="", max_length=40),
        ),
        migrations.RunPython(backfill_tail_index, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="talent",
            index=models.Index(fields=["id_number_tail_index"], name="talent_id_tail"),
        ),
        migrations.RunPython(create_name_grams_index, drop_name_grams_index),
    ]
