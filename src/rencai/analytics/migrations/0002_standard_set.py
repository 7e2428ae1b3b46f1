"""The standard set of indicators (analytics.standard), created once; existing rows are left as they are."""

from django.db import migrations


def seed(apps, schema_editor):
    from rencai.analytics.standard import seed_standard_set

    seed_standard_set(apps.get_model("analytics", "Indicator"))


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_indicators")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
