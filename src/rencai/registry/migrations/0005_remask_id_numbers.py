"""Re-mask stored ID numbers to the first two characters (see `core.masking`).

The earlier mask kept the first four and the last four characters; with the county and the birth date it
let anyone rebuild the number. The new mask of an old mask equals the new mask of the number, so no number
is decrypted. Import reports keep a label "name mask" per row: those masks are rewritten too. Audit entries
are append-only and hash-chained and keep the masks they were written with (only administrators read them).
"""

import re

from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Concat, Left, Length, Repeat

KEPT = 2  # core.masking.ID_NUMBER_KEPT when this migration was written
OLD_MASK = re.compile(r"\b([0-9A-Za-z]{2})[0-9A-Za-z]{2}\*+[0-9A-Za-z]{4}\b")


def _remask_label(match: re.Match) -> str:
    return match.group(1) + "*" * (len(match.group(0)) - KEPT)


def remask(apps, schema_editor):
    Talent = apps.get_model("registry", "Talent")
    ImportBatch = apps.get_model("registry", "ImportBatch")
    # One statement for the whole table; masks of 8 characters or fewer were already all asterisks
    Talent.objects.annotate(mask_length=Length("id_number_masked")).filter(mask_length__gt=8).update(
        id_number_masked=Concat(
            Left("id_number_masked", KEPT), Repeat(Value("*"), Length("id_number_masked") - KEPT)
        )
    )
    for batch in ImportBatch.objects.filter(kind="talents").only("pk", "rows").iterator(chunk_size=100):
        rows = [
            {**row, "label": OLD_MASK.sub(_remask_label, row.get("label", ""))} for row in batch.rows or []
        ]
        if rows != batch.rows:
            ImportBatch.objects.filter(pk=batch.pk).update(rows=rows)


class Migration(migrations.Migration):
    dependencies = [("registry", "0004_platform_updated_at_talent_updated_index")]

    operations = [migrations.RunPython(remask, migrations.RunPython.noop)]
