"""`rencai demo_evaluation`: the expert pool, schemes, rounds with cases in every state, CTOs, built through
the services on top of the small registry demo, in the Makefile's order."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from rencai.accounts.models import User
from rencai.core import audit
from rencai.core.models import AuditEntry
from rencai.evaluation.choices import CaseState, ConflictKind, EvaluatorKind, ObjectionState, SchemeStatus
from rencai.evaluation.models import (
    Case,
    CaseCorrection,
    CtoAppointment,
    Expert,
    Objection,
    Panel,
    Round,
    Scheme,
    Seat,
)
from rencai.evaluation.services.panels import own_scores, review_cases
from rencai.policies import ledger
from rencai.policies.models import Entitlement
from rencai.registry.choices import Industry
from rencai.registry.demo import MIN_TALENTS
from rencai.registry.models import Talent

pytestmark = pytest.mark.django_db


def run(command: str, *args) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo_output():
    """The registry with the fewest talents the demo allows, the policies, then the evaluation demo."""
    run("demo", "--talents", str(MIN_TALENTS))
    run("demo_policies")
    return run("demo_evaluation")


def test_demo_evaluation_refuses_without_the_registry_demo_in_both_languages():
    with pytest.raises(CommandError) as refused:
        call_command("demo_evaluation", stdout=io.StringIO())
    assert "rencai demo" in str(refused.value)
    assert "请先运行" in str(refused.value) and "run `rencai demo`" in str(refused.value)
    assert not Scheme.objects.exists() and not Expert.objects.exists()


def test_demo_evaluation_has_cases_in_every_state_and_says_so(demo_output):
    states = set(Case.objects.values_list("state", flat=True))
    assert states == set(CaseState.values)
    assert "评价通过" in demo_output and "公示中" in demo_output and "草稿" in demo_output
    # the returned cases carry their one correction notice, listing every item at once
    for case in Case.objects.filter(state=CaseState.RETURNED):
        assert len(CaseCorrection.objects.get(case=case).items) >= 2
    vetoed = Case.objects.get(vetoed=True)
    assert vetoed.state == CaseState.NOT_RECOGNIZED and vetoed.talent.integrity_findings.exists()
    # the notice on show today has an objection still open and one answered
    noticed = Objection.objects.filter(case__state=CaseState.NOTICE)
    assert set(noticed.values_list("state", flat=True)) == {ObjectionState.OPEN, ObjectionState.DISMISSED}
    assert Round.objects.filter(state="open").count() == 2  # Jiangshan's round and the second CTO round


def test_demo_schemes_are_published_with_weights_summing_to_100():
    run("demo", "--talents", str(MIN_TALENTS))
    run("demo_evaluation")
    schemes = Scheme.objects.all()
    assert {s.purpose for s in schemes} == {"recognition", "chief_tech_officer", "annual"}
    for scheme in schemes:
        assert scheme.status == SchemeStatus.PUBLISHED
        assert sum(scheme.indicators.values_list("weight", flat=True)) == 100
        assert sum(scheme.evaluators.values_list("weight", flat=True)) == 100
    rules = Scheme.objects.get(purpose="recognition").indicators.filter(source="computed")
    assert any("talent.patents_granted" in rule for rule in rules.values_list("rule", flat=True))


def test_demo_expert_pool_spans_fields_and_kinds_with_a_dozen_logins(demo_output):
    assert Expert.objects.count() == 300
    kinds = set(Expert.objects.values_list("evaluator_kind", flat=True))
    assert kinds == {EvaluatorKind.GOVERNMENT, EvaluatorKind.MARKET, EvaluatorKind.PROFESSIONAL_BODY}
    assert set(Expert.objects.values_list("fields__field", flat=True)) == set(Industry.values)
    logins = Expert.objects.filter(account__isnull=False)
    assert logins.count() == 12
    assert all(expert.account.role == "reviewer" for expert in logins.select_related("account"))
    assert Expert.objects.filter(employer__isnull=False).exists()  # market experts of demo enterprises


def test_demo_reviewer_has_cases_to_score_and_sees_only_their_own(demo_output):
    reviewer = User.objects.get(username="reviewer")
    assigned = list(review_cases(reviewer))
    waiting = [case for case in assigned if case.state == CaseState.PANEL and not own_scores(reviewer, case)]
    assert len(waiting) >= 2
    assert {case.pk for case in assigned} == set(
        Seat.objects.filter(expert__account=reviewer, status="active").values_list("panel__case", flat=True)
    )
    # a panel still scoring has other experts' scores in, which the reviewer's own view never holds
    case = waiting[0]
    assert Seat.objects.filter(panel__case=case, submitted_at__isnull=False).count() >= 3
    assert own_scores(reviewer, case) == {}


def test_demo_conflicted_experts_are_excluded_from_the_panels_drawn(demo_output):
    kinds_seen: set[str] = set()
    for panel in Panel.objects.all():
        excluded = {int(pk) for pk in panel.draw["excluded"]}
        seated = set(panel.seats.values_list("expert_id", flat=True))
        assert not excluded & seated, f"panel {panel.pk} seats an expert in conflict"
        for kinds in panel.draw["excluded"].values():
            kinds_seen.update(kinds)
    assert {
        ConflictKind.EMPLOYER,
        ConflictKind.PLATFORM,
        ConflictKind.ACHIEVEMENT,
        ConflictKind.DECLARED,
    } <= kinds_seen
    assert "抽取评审组时排除" in demo_output


def test_demo_decisions_reach_the_registry_and_matching(demo_output):
    talent = Talent.objects.get(account__username="talent")
    recognized = Case.objects.get(talent=talent, state=CaseState.RECOGNIZED)
    assert recognized.result_tier == talent.tier == "C"
    assert recognized.registry_effect == {"previous_tier": "D", "tier": "C"}
    revoked = Case.objects.get(state=CaseState.REVOKED)
    assert revoked.revoked_reason
    appointment = CtoAppointment.objects.get()
    assert appointment.certificate_number.startswith("QZCTO-") and appointment.status == "active"
    assert appointment.talent.honours.filter(programme="chief_tech_officer").exists()

    run("match")  # the Makefile runs matching after the evaluation demo: results become benefits
    loan = Entitlement.objects.get(talent=talent, policy__code="housing-loan")
    assert loan.amount == 1_000_000  # the tier-C quota, not tier D's 600,000
    assert Entitlement.objects.filter(
        talent=appointment.talent, policy__code="chief-tech-officer-allowance"
    ).exists()
    assert ledger.discrepancies() == []


def test_second_demo_evaluation_run_changes_nothing(demo_output):
    counts = (Case.objects.count(), Expert.objects.count(), Panel.objects.count(), AuditEntry.objects.count())
    again = run("demo_evaluation")
    assert "未作任何修改" in again and "nothing changed" in again
    assert (
        Case.objects.count(),
        Expert.objects.count(),
        Panel.objects.count(),
        AuditEntry.objects.count(),
    ) == counts
    report = audit.verify_chain()
    assert report.ok, report.reason
