"""Referrals carry their demand's region, so that scoping a million of them needs no join (the funnel)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("recruitment", "0005_funnel_agency_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="referral",
            name="region",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="core.region",
                verbose_name="区划",
            ),
        ),
        migrations.RunSQL(
            "UPDATE recruitment_referral SET region_id = "
            "(SELECT d.region_id FROM recruitment_demand d WHERE d.id = recruitment_referral.demand_id)",
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="referral",
            name="region",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="core.region",
                verbose_name="区划",
            ),
        ),
        migrations.RemoveIndex(model_name="referral", name="referral_funnel"),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(
                fields=["created_at"], include=("demand", "state", "region"), name="referral_funnel"
            ),
        ),
    ]
