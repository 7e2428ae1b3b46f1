"""`rencai demo_services`: the Quzhou catalogue linked to the demo policies, demo applications."""

import io

import pytest
from django.core.management import call_command

from rencai.onestop.models import Application, GoldCard, ServiceItem
from rencai.policies import ledger

pytestmark = pytest.mark.django_db


def run(command: str, *args) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def test_demo_services_seeds_the_catalogue_and_applications_once():
    """In the Makefile's order: the registry, the policies, a matching run, then the services."""
    run("demo", "--talents", "200")
    run("demo_policies")
    run("match")
    out = run("demo_services")
    items = {i.code: i for i in ServiceItem.objects.select_related("policy", "region")}
    assert set(items) == {
        "gold_card",
        "education_voucher",
        "housing_loan",
        "settlement_subsidy",
        "academician_station",
        "platform_reward",
    }
    assert all(item.region.code == "330800" and item.policy is not None for item in items.values())
    assert items["housing_loan"].policy.code == "housing-loan"
    kinds = set(ServiceItem.objects.values_list("steps__department_kind", flat=True))
    assert {"hrss", "org", "education", "finance", "science", "economy"} <= kinds
    states = dict(Application.objects.values_list("idempotency_key", "state"))
    assert states["demo-gold-card"] == "completed"
    mine = dict(
        Application.objects.filter(talent__account__username="talent").values_list("item__code", "state")
    )
    # the voucher and the loan were offered by the matching run: confirmed, not applied for a second time
    assert mine["education_voucher"] == "in_progress" and mine["housing_loan"] == "in_progress"
    assert not Application.objects.filter(idempotency_key__in=["demo-education-voucher", "demo-housing-loan"])
    assert states["demo-enterprise-gold-card-1"] == "submitted"
    assert states["demo-enterprise-gold-card-2"] == "returned"
    assert ledger.discrepancies() == []
    assert GoldCard.objects.filter(talent__account__username="talent").count() == 1
    assert "gold_card: completed" in out

    made = Application.objects.count()
    again = run("demo_services")
    assert "服务事项新建 0 项" in again
    assert Application.objects.count() == made
