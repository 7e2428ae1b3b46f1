from collections import defaultdict
from decimal import Decimal

from django.db import migrations, models

HOLDING = ["offered", "granted", "flagged"]
PAYING = ["submitted", "returned", "resubmitted", "accepted", "in_progress", "approved", "completed"]


def backfill_ledger(apps, schema_editor):
    """Existing payments enter the ledger: entitlements holding budget, then applications paid outside
    them (a talent paid by both routes keeps the first). An overspent budget stops the migration: it
    is a fact for the organization department to settle, not one to hide."""
    Entitlement = apps.get_model("policies", "Entitlement")
    Application = apps.get_model("onestop", "Application")
    Reservation = apps.get_model("policies", "Reservation")
    BudgetAccount = apps.get_model("policies", "BudgetAccount")
    Policy = apps.get_model("policies", "Policy")
    held: dict[tuple[int, int], tuple[int, Decimal]] = {}
    rows = []
    for e in Entitlement.objects.filter(status__in=HOLDING, amount__gt=0).order_by("pk"):
        held[(e.policy_id, e.talent_id)] = (e.budget_year, e.amount)
        rows.append(
            Reservation(
                policy_id=e.policy_id,
                talent_id=e.talent_id,
                budget_year=e.budget_year,
                amount=e.amount,
                source="entitlement",
                reference=f"entitlement:{e.pk}",
            )
        )
    applications = (
        Application.objects.filter(
            state__in=PAYING, amount__gt=0, entitlement__isnull=True, item__policy__isnull=False
        )
        .select_related("item")
        .order_by("pk")
    )
    for a in applications:
        key = (a.item.policy_id, a.talent_id)
        if key in held:
            continue
        year = (a.submitted_at or a.created_at).year
        held[key] = (year, a.amount)
        rows.append(
            Reservation(
                policy_id=key[0],
                talent_id=a.talent_id,
                budget_year=year,
                amount=a.amount,
                source="application",
                reference=f"application:{a.idempotency_key}",
            )
        )
    Reservation.objects.bulk_create(rows, batch_size=1000)
    committed: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for (policy_id, _talent), (year, amount) in held.items():
        committed[(policy_id, 0)] += amount
        committed[(policy_id, year)] += amount
    policies = {p.pk: p for p in Policy.objects.filter(pk__in={p for p, _ in committed})}
    over = []
    for (policy_id, year), amount in sorted(committed.items()):
        policy = policies[policy_id]
        limit = policy.budget_total if year == 0 else policy.budget_per_year
        if limit is not None and amount > limit:
            over.append(f"{policy.code} {year or 'total'}: {amount} > {limit}")
        BudgetAccount.objects.create(policy_id=policy_id, year=year, limit=limit, committed=amount)
    if over:
        raise RuntimeError("Budgets already overspent; settle them before migrating: " + "; ".join(over))


class Migration(migrations.Migration):
    dependencies = [
        ("onestop", "0002_verification_labels"),
        ("policies", "0003_budget_ledger"),
    ]

    operations = [
        migrations.RunPython(backfill_ledger, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="application",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    (
                        "state__in",
                        [
                            "submitted",
                            "returned",
                            "resubmitted",
                            "accepted",
                            "in_progress",
                            "approved",
                            "offered",
                        ],
                    )
                ),
                fields=("talent", "item"),
                name="application_one_open_per_talent_item",
            ),
        ),
    ]
