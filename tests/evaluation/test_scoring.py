"""Independent scoring: the refusals (range, deadline, conflict, closed panel), audited changes, and the
arithmetic of `evaluation.scoring` (trimming at seven, evaluator weighting), with properties."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rencai.core.errors import DomainError, ErrorCode, NotFound
from rencai.core.models import AuditEntry
from rencai.evaluation import scoring
from rencai.evaluation.choices import CaseState, EvaluatorKind, SeatStatus
from rencai.evaluation.models import DeclaredRelation, Score
from rencai.evaluation.scoring import ExpertPoints, IndicatorSpec
from rencai.evaluation.services import panels
from tests.evaluation.builders import TODAY, make_case, make_experts

G, M, P, E = (
    EvaluatorKind.GOVERNMENT,
    EvaluatorKind.MARKET,
    EvaluatorKind.PROFESSIONAL_BODY,
    EvaluatorKind.EMPLOYER,
)
WEIGHTS = {G: 30, M: 30, P: 20, E: 20}


def near(value: Decimal) -> Decimal:
    """Compared to a millionth: Decimal's 28 digits round a weighted mean's last digit either way."""
    return value.quantize(Decimal("0.000001"))


def pts(*values, kind=G) -> list[ExpertPoints]:
    return [ExpertPoints(kind, Decimal(v)) for v in values]


# -- the arithmetic -----------------------------------------------------------------------------------------


def test_six_scores_are_all_kept():
    assert scoring.trimmed(pts(0, 50, 60, 70, 80, 100)) == pts(0, 50, 60, 70, 80, 100)


def test_seven_scores_lose_the_highest_and_the_lowest():
    assert scoring.trimmed(pts(100, 50, 60, 0, 70, 80, 65)) == pts(50, 60, 70, 80, 65)


def test_trimming_drops_one_of_tied_extremes():
    assert len(scoring.trimmed(pts(90, 90, 90, 10, 10, 50, 50))) == 5


def test_kinds_are_averaged_then_weighted():
    scores = pts(80, 90, kind=G) + pts(60, kind=M) + pts(70, kind=P)
    # government 85 × 30 + market 60 × 30 + professional 70 × 20, over the 80 present
    assert scoring.indicator_points(scores, WEIGHTS) == Decimal(85 * 30 + 60 * 30 + 70 * 20) / 80


def test_the_employers_own_score_counts_for_its_kind():
    scores = pts(80, kind=G)
    assert scoring.indicator_points(scores, WEIGHTS, employer=Decimal(50)) == Decimal(80 * 30 + 50 * 20) / 50


def test_a_kind_without_weight_in_the_scheme_does_not_count():
    scores = pts(80, kind=G) + pts(10, kind=M)
    assert scoring.indicator_points(scores, {G: 100}) == Decimal(80)


def test_total_is_the_weighted_sum_of_computed_and_scored_indicators():
    result = scoring.panel_result(
        [
            IndicatorSpec("patents", 40, False),
            IndicatorSpec("transfer", 20, False),
            IndicatorSpec("team", 40, True),
        ],
        {"team": pts(70, 80, kind=G) + pts(60, kind=M)},
        WEIGHTS,
        computed={"patents": 150, "transfer": "55.5"},
    )
    team = (Decimal(75) * 30 + Decimal(60) * 30) / 60
    assert result.points == {
        "patents": Decimal("100.00"),
        "transfer": Decimal("55.50"),
        "team": Decimal("67.50"),
    }
    assert result.panel_score == team
    assert result.total_score == Decimal("40") + Decimal("11.10") + Decimal("27.00")


def test_quorum_is_two_thirds_rounded_up():
    assert [scoring.quorum(n) for n in (5, 6, 7, 9)] == [4, 4, 5, 6]


point = st.decimals(min_value=0, max_value=100, places=2)
kind = st.sampled_from([G, M, P])
scores_st = st.lists(st.builds(ExpertPoints, kind, point), min_size=1, max_size=15)


@given(scores_st)
def test_indicator_points_stay_within_the_kept_scores(scores):
    kept = scoring.trimmed(scores)
    result = scoring.indicator_points(scores, WEIGHTS)
    assert min(s.points for s in kept) <= near(result) <= max(s.points for s in kept)


@given(scores_st)
def test_order_of_the_scores_does_not_matter(scores):
    assert near(scoring.indicator_points(scores, WEIGHTS)) == near(
        scoring.indicator_points(scores[::-1], WEIGHTS)
    )


@given(st.lists(point, min_size=7, max_size=15))
def test_raising_the_highest_of_seven_or_more_does_not_move_the_result(values):
    highest = max(range(len(values)), key=lambda i: (values[i], i))
    raised = [Decimal(100) if i == highest else v for i, v in enumerate(values)]
    assert scoring.indicator_points(pts(*values), {G: 100}) == scoring.indicator_points(
        pts(*raised), {G: 100}
    )


@given(st.lists(point, min_size=1, max_size=6), st.sampled_from([G, M, P]))
def test_one_kind_alone_is_its_plain_mean(values, only):
    scores = pts(*values, kind=only)
    assert near(scoring.indicator_points(scores, WEIGHTS)) == near(sum(values, Decimal(0)) / len(values))


# -- submitting scores --------------------------------------------------------------------------------------


@pytest.fixture
def case(world, open_round):
    return make_case(open_round, world.talent_a, state=CaseState.FIRST_PASSED)


@pytest.fixture
def panel(db, case, world):
    make_experts(world.regions["330800"], 9)
    return panels.panel_draw(actor=world.users["city_org_dept"], case=case, seed="scores")


@pytest.fixture
def member(panel):
    return (
        panel.seats.filter(status=SeatStatus.ACTIVE).select_related("expert__account").first().expert.account
    )


OK = {"innovation": Decimal("80"), "team": Decimal("75.5")}


def test_expert_scores_every_scored_indicator(case, panel, member):
    scores = panels.score_submit(
        actor=member, case=case, points=OK, comments={"team": "团队稳定"}, today=TODAY
    )
    assert {s.indicator.code: s.points for s in scores} == OK
    assert Score.objects.get(indicator__code="team").comment == "团队稳定"
    assert panel.seats.get(expert__account=member).submitted_at is not None


@pytest.mark.parametrize("bad", ["-1", "100.01", "abc", "NaN", "1e3"])
def test_points_out_of_range_are_refused_in_both_languages(case, panel, member, bad):
    with pytest.raises(DomainError) as refused:
        panels.score_submit(actor=member, case=case, points={"innovation": bad, "team": "50"}, today=TODAY)
    assert refused.value.code == ErrorCode.SCORE_OUT_OF_RANGE
    assert refused.value.message_zh == "分值超出范围：每项评分应在 0 至 100 之间"
    assert refused.value.message_en == "Points out of range: each score is between 0 and 100"
    [detail] = refused.value.details
    assert (
        detail["field"] == "innovation"
        and "0 至 100" in detail["message_zh"]
        and "0 and 100" in detail["message_en"]
    )
    assert not Score.objects.exists()


def test_every_problem_is_listed_at_once(case, panel, member):
    with pytest.raises(DomainError) as refused:
        panels.score_submit(actor=member, case=case, points={"innovation": "101", "extra": "5"}, today=TODAY)
    assert {d["field"] for d in refused.value.details} == {"innovation", "team", "extra"}


def test_missing_indicators_are_refused(case, panel, member):
    with pytest.raises(DomainError) as refused:
        panels.score_submit(actor=member, case=case, points={"innovation": "80"}, today=TODAY)
    assert refused.value.code == ErrorCode.VALIDATION_FAILED
    assert [d["field"] for d in refused.value.details] == ["team"]


def test_more_than_two_decimals_are_refused(case, panel, member):
    with pytest.raises(DomainError) as refused:
        panels.score_submit(
            actor=member, case=case, points={"innovation": "80.123", "team": "1"}, today=TODAY
        )
    assert refused.value.details[0]["field"] == "innovation"


def test_a_score_after_the_panel_deadline_is_refused(case, panel, member, open_round):
    due = open_round.panel_due
    panels.score_submit(actor=member, case=case, points=OK, today=due)  # the deadline day itself counts
    with pytest.raises(DomainError) as refused:
        panels.score_submit(actor=member, case=case, points=OK, today=due + dt.timedelta(days=1))
    assert refused.value.code == ErrorCode.DEADLINE_PASSED
    assert due.isoformat() in refused.value.message_zh and "has passed" in refused.value.message_en


def test_expert_cannot_score_a_case_with_a_conflict_declared_after_the_draw(case, panel, member, world):
    expert = member.expert
    DeclaredRelation.objects.create(expert=expert, talent=world.talent_a, relation="表亲")
    with pytest.raises(DomainError) as refused:
        panels.score_submit(actor=member, case=case, points=OK, today=TODAY)
    assert refused.value.code == ErrorCode.CONFLICT_OF_INTEREST
    assert "回避" in refused.value.message_zh and "recuse" in refused.value.message_en
    assert not Score.objects.exists()


def test_resubmitting_changes_the_scores_and_audits_before_and_after(case, panel, member):
    panels.score_submit(actor=member, case=case, points=OK, today=TODAY)
    panels.score_submit(actor=member, case=case, points={**OK, "team": Decimal("60")}, today=TODAY)
    assert Score.objects.get(indicator__code="team").points == Decimal("60")
    assert AuditEntry.objects.filter(action="evaluation.score.submit").count() == 2
    [change] = AuditEntry.objects.filter(action="evaluation.score.change")
    assert change.detail["before"]["points"] == "75.50" and change.detail["after"]["points"] == "60"
    assert change.detail["changed"] == ["points", "updated_at"]


def test_scores_cannot_change_after_the_panel_closes(case, panel, world):
    seats = panel.seats.filter(status=SeatStatus.ACTIVE).select_related("expert__account")
    for seat in seats:
        panels.score_submit(actor=seat.expert.account, case=case, points=OK, today=TODAY)
    panels.panel_close(actor=world.users["city_org_dept"], case=case)
    with pytest.raises(DomainError) as refused:
        panels.score_submit(actor=seats[0].expert.account, case=case, points=OK, today=TODAY)
    assert refused.value.code == ErrorCode.ROUND_CLOSED
    case.refresh_from_db()
    assert case.state == CaseState.SCORED


def test_a_reserve_waiting_cannot_score(case, panel):
    reserve = panel.seats.filter(status=SeatStatus.WAITING).select_related("expert__account").first()
    with pytest.raises(NotFound):
        panels.score_submit(actor=reserve.expert.account, case=case, points=OK, today=TODAY)


def test_seven_experts_scores_are_trimmed_when_the_panel_closes(world, open_round):
    open_round.panel_size, open_round.reserves = 7, 0
    open_round.save()
    case = make_case(open_round, world.talent_a, state=CaseState.FIRST_PASSED)
    make_experts(world.regions["330800"], 7, kinds=(G,))
    panel = panels.panel_draw(actor=world.users["city_org_dept"], case=case, seed="seven")
    seats = list(panel.seats.order_by("position").select_related("expert__account"))
    for seat, value in zip(seats, [0, 60, 70, 80, 90, 100, 70], strict=True):
        panels.score_submit(
            actor=seat.expert.account, case=case, points={"innovation": value, "team": value}, today=TODAY
        )
    panels.panel_close(actor=world.users["city_org_dept"], case=case)
    case.refresh_from_db()
    assert case.panel_score == Decimal("74.00")  # (60 + 70 + 80 + 90 + 70) / 5, not 67.14 untrimmed


def test_evaluator_weights_and_employer_scores_combine_on_close(world, open_round):
    case = make_case(
        open_round,
        world.talent_a,
        state=CaseState.FIRST_PASSED,
        employer_scores={"innovation": 40, "team": 40},
    )
    make_experts(world.regions["330800"], 5, kinds=(G, G, M, M, P))
    panel = panels.panel_draw(actor=world.users["city_org_dept"], case=case, seed="kinds")
    by_kind = {G: 90, M: 70, P: 50}
    for seat in panel.seats.select_related("expert__account"):
        value = by_kind[seat.expert.evaluator_kind]
        panels.score_submit(
            actor=seat.expert.account, case=case, points={"innovation": value, "team": value}, today=TODAY
        )
    panels.panel_close(actor=world.users["city_org_dept"], case=case)
    case.refresh_from_db()
    # (90 × 30 + 70 × 30 + 50 × 20 + 40 × 20) / 100
    assert case.panel_score == Decimal("66.00")
