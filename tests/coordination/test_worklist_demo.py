"""`rencai demo_worklists`: 2017's and this year's lists, projects and the consultation, through the services,
on top of the registry and policy demos; a second run changes nothing."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from rencai.coordination.models import (
    Comment,
    Consultation,
    ConsultationState,
    Milestone,
    SecretaryProject,
    WorkList,
)
from rencai.core import sweeps
from rencai.registry.demo import MIN_TALENTS

pytestmark = pytest.mark.django_db


def run(command: str, *args) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def test_demo_worklists_refuses_without_the_registry_demo():
    with pytest.raises(CommandError) as refused:
        call_command("demo_worklists", stdout=io.StringIO())
    assert "rencai demo" in str(refused.value)


def test_the_demo_lists_projects_and_consultation_and_a_rerun_changes_nothing():
    run("demo", "--talents", str(MIN_TALENTS))
    run("demo_policies")
    first = run("demo_worklists")
    counts = (WorkList.objects.count(), Milestone.objects.count(), Comment.objects.count())
    again = run("demo_worklists")

    assert WorkList.objects.filter(year=2017).count() == 21  # org, hrss, science of the city and six counties
    assert SecretaryProject.objects.filter(year=2017).count() == 6
    assert Milestone.objects.filter(due_on__year=2017, done_on__isnull=True).exists()  # some left overdue
    rounds = list(Consultation.objects.order_by("round_number"))
    assert [r.state for r in rounds] == [ConsultationState.CLOSED, ConsultationState.OPEN]
    assert rounds[0].snapshot["amount_rule"] != rounds[1].snapshot["amount_rule"]
    assert not rounds[0].comments.filter(outcome="").exists()
    assert (
        "清单 21" not in again
        and (WorkList.objects.count(), Milestone.objects.count(), Comment.objects.count()) == counts
    )
    assert "征求意见" in first
    assert (
        sweeps.run_all(Milestone.objects.order_by("due_on").first().due_on)["coordination_worklists"]
        is not None
    )
