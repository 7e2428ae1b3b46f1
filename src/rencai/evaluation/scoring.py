"""How a panel's scores become a case's points: trimming, evaluator weighting, the weighted total.

Pure functions over plain values (no database, no Django), so that they can be proven by property tests
(`tests/evaluation/test_scoring.py`) and redone by hand from the audit log.

1. Per scored indicator, the experts' points; with `TRIM_FROM` (seven) or more, the highest and the lowest
   are dropped (one each).
2. The remaining points are averaged per evaluator kind (政府、市场、专业组织: the expert's kind; 用人单位:
   the employer's own score given at confirmation), and the kinds' averages combined by the scheme's
   evaluator weights, renormalized over the kinds present.
3. The panel score is the weighted mean of the scored indicators' points; the total is Σ weight/100 ×
   points over every indicator (computed ones from the registry, scored ones from the panel).
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

TRIM_FROM = 7
CENT = Decimal("0.01")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class ExpertPoints:
    """One expert's points for one indicator, and the evaluator kind the expert judges as."""

    kind: str
    points: Decimal


def trimmed(scores: Sequence[ExpertPoints]) -> list[ExpertPoints]:
    """The scores without the highest and the lowest when there are `TRIM_FROM` or more. Among tied
    extremes the one dropped is chosen by evaluator kind, never by the order the scores came in, so that
    the result does not depend on who submitted first."""
    if len(scores) < TRIM_FROM:
        return list(scores)
    ordered = sorted(range(len(scores)), key=lambda i: (scores[i].points, scores[i].kind))
    dropped = {ordered[0], ordered[-1]}
    return [score for i, score in enumerate(scores) if i not in dropped]


def kind_averages(scores: Sequence[ExpertPoints], employer: Decimal | None = None) -> dict[str, Decimal]:
    """The mean points of each evaluator kind present; the employer's own score is one more of its kind."""
    by_kind: dict[str, list[Decimal]] = defaultdict(list)
    for score in scores:
        by_kind[score.kind].append(Decimal(score.points))
    if employer is not None:
        by_kind[EMPLOYER].append(Decimal(employer))
    return {kind: sum(points, Decimal(0)) / len(points) for kind, points in by_kind.items()}


EMPLOYER = "employer"  # choices.EvaluatorKind.EMPLOYER, spelled out to keep this module free of Django


def weighted(averages: Mapping[str, Decimal], weights: Mapping[str, int]) -> Decimal:
    """The kinds' averages combined by their weights, renormalized over the kinds present. A kind the
    scheme gives no weight does not count; when no kind present has a weight, the plain mean."""
    present = {kind: Decimal(weights[kind]) for kind in averages if weights.get(kind)}
    if not present:
        return sum(averages.values(), Decimal(0)) / len(averages)
    total = sum(present.values(), Decimal(0))
    return sum((averages[kind] * weight for kind, weight in present.items()), Decimal(0)) / total


def indicator_points(
    scores: Sequence[ExpertPoints], weights: Mapping[str, int], *, employer: Decimal | None = None
) -> Decimal | None:
    """One scored indicator's points from the panel (and the employer), unrounded; None without scores."""
    if not scores and employer is None:
        return None
    return weighted(kind_averages(trimmed(scores), employer), weights)


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    weight: int  # of 100
    scored: bool  # False: computed from the registry


@dataclass(frozen=True)
class PanelResult:
    points: dict[str, Decimal]  # indicator code -> points (rounded to cents)
    panel_score: Decimal | None  # the weighted mean of the scored indicators
    total_score: Decimal


def panel_result(
    indicators: Sequence[IndicatorSpec],
    scores: Mapping[str, Sequence[ExpertPoints]],
    weights: Mapping[str, int],
    *,
    computed: Mapping[str, object] | None = None,
    employer_scores: Mapping[str, object] | None = None,
) -> PanelResult:
    """The case's points per indicator, its panel score and its total (see the module's docstring)."""
    computed, employer_scores = computed or {}, employer_scores or {}
    points: dict[str, Decimal] = {}
    for indicator in indicators:
        if indicator.scored:
            employer = employer_scores.get(indicator.code)
            value = indicator_points(
                scores.get(indicator.code, ()),
                weights,
                employer=None if employer is None else Decimal(str(employer)),
            )
        else:
            value = Decimal(str(computed.get(indicator.code, 0)))
        points[indicator.code] = clamp(value or Decimal(0))
    scored = [i for i in indicators if i.scored]
    scored_weight = sum(i.weight for i in scored)
    panel = (
        _cents(sum((points[i.code] * i.weight for i in scored), Decimal(0)) / scored_weight)
        if scored_weight
        else None
    )
    total = sum((points[i.code] * i.weight / HUNDRED for i in indicators), Decimal(0))
    return PanelResult({code: _cents(v) for code, v in points.items()}, panel, _cents(clamp(total)))


def clamp(value: Decimal) -> Decimal:
    return min(max(value, Decimal(0)), HUNDRED)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def quorum(size: int) -> int:
    """The submitted scores a panel of `size` needs to close: at least two thirds, rounded up."""
    return -(-2 * size // 3)
