"""Staged benefits (阶段性评价): a policy's instalment shares and the instalments of its entitlements.

"The shares of a staged policy are whole percentages that sum to 100" is a database fact: a CHECK on
PostgreSQL (through an immutable function, as a CHECK cannot hold a subquery), triggers on SQLite (whose
CHECK cannot either). An empty list means the policy pays at once.
"""

import django.db.models.deletion
from django.db import migrations, models


MESSAGE = "policies: instalment shares must be whole percentages of at least 1 summing to 100"

SQLITE_CONDITION = """
  json_type(NEW.instalment_shares) <> 'array'
  OR (json_array_length(NEW.instalment_shares) > 0 AND (
       (SELECT SUM(value) FROM json_each(NEW.instalment_shares)) <> 100
       OR EXISTS (SELECT 1 FROM json_each(NEW.instalment_shares) WHERE type <> 'integer' OR value < 1)))
"""
SQLITE_UP = [
    f"""
    CREATE TRIGGER policies_policy_shares_{event.lower()} BEFORE {event} ON policies_policy
    WHEN {SQLITE_CONDITION}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """
    for event in ("INSERT", "UPDATE")
]
SQLITE_DOWN = [f"DROP TRIGGER IF EXISTS policies_policy_shares_{event}" for event in ("insert", "update")]

POSTGRES_UP = [
    """
    CREATE FUNCTION policies_instalment_shares_valid(shares jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS $$
      SELECT jsonb_typeof(shares) = 'array' AND (
        jsonb_array_length(shares) = 0 OR (
          NOT EXISTS (
            SELECT 1 FROM jsonb_array_elements(shares) AS e(v)
            WHERE jsonb_typeof(v) <> 'number' OR (v #>> '{}')::numeric < 1
               OR (v #>> '{}')::numeric <> trunc((v #>> '{}')::numeric))
          AND (SELECT SUM((v #>> '{}')::numeric) FROM jsonb_array_elements(shares) AS e(v)) = 100))
    $$
    """,
    """
    ALTER TABLE policies_policy ADD CONSTRAINT policy_instalment_shares_sum_100
    CHECK (policies_instalment_shares_valid(instalment_shares))
    """,
]
POSTGRES_DOWN = [
    "ALTER TABLE policies_policy DROP CONSTRAINT IF EXISTS policy_instalment_shares_sum_100",
    "DROP FUNCTION IF EXISTS policies_instalment_shares_valid(jsonb)",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0004_entitlement_confirmed_label"),
    ]

    operations = [
        migrations.AddField(
            model_name="policy",
            name="instalment_shares",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="如 [40, 30, 30]；留空表示一次性兑现",
                verbose_name="分期比例（%）",
            ),
        ),
        migrations.CreateModel(
            name="Instalment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.PositiveSmallIntegerField(verbose_name="期次")),
                ("due_year", models.PositiveSmallIntegerField(verbose_name="考核年度")),
                ("share", models.PositiveSmallIntegerField(verbose_name="比例（%）")),
                ("amount", models.DecimalField(decimal_places=2, max_digits=14, verbose_name="金额（元）")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("scheduled", "待考核"),
                            ("released", "已发放"),
                            ("withheld", "考核未通过，不予发放"),
                            ("cancelled", "已取消"),
                        ],
                        default="scheduled",
                        max_length=10,
                        verbose_name="状态",
                    ),
                ),
                ("reference", models.CharField(blank=True, max_length=80, verbose_name="依据")),
                ("decided_at", models.DateTimeField(blank=True, null=True, verbose_name="决定时间")),
                (
                    "entitlement",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="instalments",
                        to="policies.entitlement",
                    ),
                ),
            ],
            options={
                "verbose_name": "分期兑现",
                "verbose_name_plural": "分期兑现",
                "ordering": ["entitlement", "number"],
                "indexes": [models.Index(fields=["due_year", "status"], name="instalment_due")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("entitlement", "number"), name="instalment_number_unique"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("number__gte", 1)), name="instalment_number_positive"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("share__gte", 1), ("share__lte", 100)),
                        name="instalment_share_range",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("amount__gte", 0)), name="instalment_amount_non_negative"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("decided_at__isnull", True), ("status", "scheduled")),
                            models.Q(
                                models.Q(("status", "scheduled"), _negated=True),
                                ("decided_at__isnull", False),
                            ),
                            _connector="OR",
                        ),
                        name="instalment_decision_stamped",
                    ),
                ],
            },
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        ),
    ]
