import datetime as dt
from decimal import Decimal

import pytest

from rencai.policies.matching import run_match
from rencai.policies.models import Decision, Entitlement, PolicyVersion
from tests import factories

DAY = dt.date(2026, 6, 1)


def _statuses(policy):
    return {e.talent_id: e.status for e in Entitlement.objects.filter(policy=policy)}


def test_newly_eligible_talents_get_offers_and_proactive_policies_grant(world, issue):
    offer = issue("tier-d-offer", 'talent.tier == "D"', "1000")
    proactive = issue("tier-d-grant", 'talent.tier == "D"', "500", is_proactive=True)

    run = run_match(evaluation_date=DAY)

    assert _statuses(offer) == {world.talent_a.pk: "offered"}
    assert _statuses(proactive) == {world.talent_a.pk: "granted"}
    assert (run.offered, run.granted, run.flagged, run.queued) == (1, 1, 0, 0)
    assert Entitlement.objects.get(policy=offer).amount == Decimal("1000.00")


def test_a_second_run_changes_nothing(world, issue):
    issue("tier-d", 'talent.tier in ["C", "D"]', "1000")
    run_match(evaluation_date=DAY)
    before = list(Entitlement.objects.order_by("pk").values_list("pk", "status", "updated_at"))
    decisions = Decision.objects.count()

    second = run_match(evaluation_date=DAY)

    assert list(Entitlement.objects.order_by("pk").values_list("pk", "status", "updated_at")) == before
    assert Decision.objects.count() == decisions
    assert (second.offered, second.granted, second.flagged, second.queued, second.unchanged) == (
        0,
        0,
        0,
        0,
        2,
    )


def test_no_longer_eligible_talents_are_flagged_for_review_never_revoked(world, issue):
    policy = issue("tier-d", 'talent.tier == "D"', "1000", is_proactive=True)
    run_match(evaluation_date=DAY)
    world.talent_a.tier = "E"
    world.talent_a.save()

    run = run_match(evaluation_date=DAY)

    entitlement = Entitlement.objects.get(policy=policy, talent=world.talent_a)
    assert entitlement.status == "flagged" and run.flagged == 1
    assert Decision.objects.filter(talent=world.talent_a, outcome="flagged").count() == 1


def test_each_decision_records_version_date_and_features_hash(world, issue):
    policy = issue("tier-d", 'talent.tier == "D"', "1000")
    run_match(evaluation_date=DAY)
    decision = Decision.objects.get(talent=world.talent_a)
    assert decision.policy_version == PolicyVersion.objects.get(policy=policy)
    assert decision.evaluation_date == DAY
    assert len(decision.features_hash) == 64 and decision.features_hash != "0" * 64


def test_budget_is_never_exceeded_and_the_rest_queue_by_tier_then_arrival(world, issue):
    region = world.county_a
    late_c = factories.make_talent(region, tier="C", arrival_date=dt.date(2020, 1, 1))
    early_c = factories.make_talent(region, tier="C", arrival_date=dt.date(2015, 1, 1))
    b = factories.make_talent(region, tier="B", arrival_date=dt.date(2024, 1, 1))
    policy = issue(
        "high", 'talent.tier in ["B", "C"]', "40000", budget_total=Decimal("100000"), region=region
    )

    run = run_match(evaluation_date=DAY)

    statuses = _statuses(policy)
    # B first, then the earlier C; the later C and Longyou's C (outside the policy's county) do not get it
    assert statuses[b.pk] == "offered" and statuses[early_c.pk] == "offered"
    assert statuses[late_c.pk] == "queued" and world.talent_b.pk not in statuses
    assert Entitlement.objects.get(talent=late_c, policy=policy).queue_position == 1
    held = sum(e.amount for e in Entitlement.objects.filter(policy=policy, status__in=["offered", "granted"]))
    assert held <= policy.budget_total and run.queued == 1


def test_queued_talents_are_granted_when_budget_is_raised(world, issue):
    policy = issue("tight", 'talent.tier in ["C", "D"]', "1000", budget_total=Decimal("1000"))
    run_match(evaluation_date=DAY)
    assert sorted(_statuses(policy).values()) == ["offered", "queued"]
    policy.budget_total = Decimal("2000")
    policy.save()

    run_match(evaluation_date=DAY)

    assert sorted(_statuses(policy).values()) == ["offered", "offered"]
    assert Decision.objects.filter(outcome="released").count() == 1


def test_county_policy_overrides_the_city_policy_only_in_its_county(world, issue):
    city = issue("city-doctor", 'talent.degree == "master"', "100000", exclusivity_group="settle")
    longyou = issue(
        "longyou-doctor", 'talent.degree == "master"', "300000", region=world.county_b, overrides=city
    )

    run_match(evaluation_date=DAY)

    assert set(_statuses(city)) == {world.talent_a.pk, world.talent_a2.pk}
    assert set(_statuses(longyou)) == {world.talent_b.pk}


def test_exclusivity_group_grants_only_the_best_policy(world, issue):
    small = issue("small", 'talent.tier == "D"', "1000", exclusivity_group="housing")
    large = issue("large", 'talent.tier == "D"', "5000", exclusivity_group="housing")
    run_match(evaluation_date=DAY)
    assert _statuses(large) == {world.talent_a.pk: "offered"}
    assert _statuses(small) == {}


def test_versions_not_yet_in_force_are_not_matched(world, issue):
    issue("future", 'talent.tier == "D"', "1000", effective_from=dt.date(2030, 1, 1))
    run = run_match(evaluation_date=DAY)
    assert run.versions_evaluated == 0 and Entitlement.objects.count() == 0


def test_the_match_command_reports_what_it_did_and_where_its_frame_came_from(
    world, issue, settings, tmp_path
):
    import io

    from django.core.management import call_command

    from rencai.policies.features import clear_cache

    settings.RENCAI_FRAME_DIR = str(tmp_path)
    issue("tier-d", 'talent.tier in ["C", "D"]', "1000")
    clear_cache()  # as in a new process, with no snapshot of that day yet
    out = io.StringIO()
    call_command("match", "--date", "2026-06-02", stdout=out)
    assert "新发要约 2" in out.getvalue() and "feature frame built" in out.getvalue()

    clear_cache()  # the next night's process finds the snapshot of that day
    out = io.StringIO()
    call_command("match", "--date", "2026-06-02", stdout=out)
    assert "新发要约 0" in out.getvalue() and "unchanged 2; feature frame loaded" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_two_runs_started_at_once_one_runs_and_the_other_is_refused(world, issue, monkeypatch):
    from rencai.core.locks import RunInProgress
    from rencai.policies import matching
    from rencai.policies.models import MatchRun
    from tests.concurrency import run_twice_at_once

    issue("tier-d", 'talent.tier in ["C", "D"]', "1000")
    results = run_twice_at_once(
        lambda: run_match(evaluation_date=DAY), monkeypatch, matching, "versions_in_force"
    )

    assert sorted(type(r).__name__ for r in results) == ["MatchRun", "RunInProgress"]
    refusal = next(r for r in results if isinstance(r, RunInProgress))
    assert refusal.message_zh == "另一个政策匹配正在运行，请稍后再试"
    assert MatchRun.objects.count() == 1
    pairs = list(Decision.objects.values_list("talent_id", "policy_version_id"))
    assert pairs and len(pairs) == len(set(pairs))  # decisions logged once


def test_the_match_command_says_another_run_is_going_and_writes_nothing(world, issue):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from rencai.core.locks import exclusive
    from rencai.policies.models import MatchRun

    issue("tier-d", 'talent.tier in ["C", "D"]', "1000")
    with exclusive("match"), pytest.raises(CommandError) as refused:
        call_command("match", "--date", "2026-06-02")
    assert str(refused.value) == (
        "另一个政策匹配正在运行，请稍后再试\nAnother policy matching run is running; try again later"
    )
    assert not MatchRun.objects.exists() and not Entitlement.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_match_command_exits_non_zero_without_a_traceback_while_a_run_holds_the_lock(
    world, issue, capsys
):
    from rencai.core.locks import exclusive
    from rencai.policies.management.commands.match import Command

    with exclusive("match"), pytest.raises(SystemExit) as exited:
        Command().run_from_argv(["rencai", "match", "--date", "2026-06-02"])
    assert exited.value.code != 0
    err = capsys.readouterr().err
    assert "另一个政策匹配正在运行，请稍后再试" in err and "try again later" in err
    assert "Traceback" not in err
