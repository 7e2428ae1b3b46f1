"""`rencai demo_services`: the Quzhou catalogue linked to the demo policies, demo applications."""

import io

import pytest
from django.core.management import call_command

from rencai.onestop.models import Application, GoldCard, ServiceItem

pytestmark = pytest.mark.django_db


def run(command: str, *args) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def test_demo_services_seeds_the_catalogue_and_applications_once():
    run("demo", "--talents", "200")
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
    assert states["demo-education-voucher"] == "in_progress"
    assert states["demo-housing-loan"] == "returned"
    assert states["demo-enterprise-gold-card-1"] == "submitted"
    assert GoldCard.objects.get().talent.account.username == "talent"
    assert "gold_card: completed" in out

    again = run("demo_services")
    assert "服务事项新建 0 项" in again
    assert Application.objects.count() == len(states)
