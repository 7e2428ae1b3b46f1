"""Expert panels (评审组): drawn at random by field, reproducibly; recusal and reserves; independent scores;
closing with a quorum.

The draw: the active experts reviewing the case's field, ordered by id, minus those in conflict
(`evaluation.conflicts`), shuffled by `random.Random(seed)`; the first `round.panel_size` sit, the next
`round.reserves` wait. The seed, the pool, the excluded experts with their conflict kinds and the order
are kept in `Panel.draw`, so `redo_draw(panel)` gives the same experts to anyone who asks.

Independence: an expert sees only their own scores, and nobody sees another's before the panel closes
(`own_scores`, `closed_scores` below are the only reads of scores).
"""

import datetime as dt
import hashlib
import json
import random
import secrets
from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from rencai.accounts.models import User
from rencai.core import audit
from rencai.core.access import Action, may, require, visible_to
from rencai.core.errors import DomainError, ErrorCode, NotFound, Problem, ValidationFailed, problem
from rencai.core.notifications import notify
from rencai.evaluation import scoring
from rencai.evaluation.choices import CaseState, IndicatorSource, PanelState, SeatRole, SeatStatus
from rencai.evaluation.conflicts import conflicts_for_case, describe
from rencai.evaluation.models import Case, Expert, Indicator, Panel, Score, Seat
from rencai.evaluation.statemachine import IllegalCaseTransition, Party, move

MAX_RESERVES_ADDED = 10
MAX_COMMENT = 2000


class PanelClosed(DomainError):
    status = 409

    def __init__(self) -> None:
        super().__init__(
            ErrorCode.ROUND_CLOSED, "评审组已结束评分", "The panel has closed; scores can no longer change"
        )


# -- the draw ------------------------------------------------------------------------------------------------


def shuffled(pool: list[int], excluded: Mapping[str, list[str]], seed: str, count: int) -> list[int]:
    """The first `count` of the pool's eligible experts (in id order, minus the excluded) shuffled by the
    seed: the whole draw, a pure function of what `Panel.draw` records."""
    eligible = [pk for pk in pool if str(pk) not in excluded]
    random.Random(seed).shuffle(eligible)
    return eligible[:count]


def redo_draw(panel: Panel) -> list[int]:
    """The experts of the panel's first draw (members, then reserves), redone from its record."""
    draw = panel.draw
    return shuffled(draw["pool"], draw["excluded"], draw["seed"], draw["members"] + draw["reserves"])


def _pool(
    case: Case, *, besides: frozenset[int] | set[int] = frozenset()
) -> tuple[list[int], dict[str, list[str]]]:
    """The active experts of the case's field in id order (minus `besides`), and those in conflict."""
    pool = list(
        Expert.objects.filter(active=True, fields__field=case.field)
        .exclude(pk__in=besides)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    excluded = conflicts_for_case(case, experts=pool)
    return pool, {str(pk): kinds for pk, kinds in excluded.items()}


def _too_small(eligible: int, needed: int, pool: int) -> DomainError:
    return DomainError(
        ErrorCode.POOL_TOO_SMALL,
        f"专家库中符合条件的专家不足：需要 {needed} 人，无利益冲突的只有 {eligible} 人（该领域共 {pool} 人）",
        f"Too few eligible experts: {needed} needed, only {eligible} without a conflict of interest "
        f"({pool} in the field)",
    )


def panel_draw(*, actor: User, case: Case, seed: str | None = None) -> Panel:
    """Draw the case's panel at random (see the module's docstring) and move the case to `panel`."""
    require(actor, Action.MANAGE_EVALUATION, case.round)
    seed = seed or secrets.token_hex(16)
    round_ = case.round
    with transaction.atomic():
        # The case's row lock serializes two officers drawing at once: the second finds it drawn
        state = Case.objects.select_for_update().values_list("state", flat=True).get(pk=case.pk)
        if state != CaseState.FIRST_PASSED:
            raise IllegalCaseTransition(state, CaseState.PANEL, Party.MANAGER)
        pool, excluded = _pool(case)
        needed = round_.panel_size + round_.reserves
        order = shuffled(pool, excluded, seed, needed)
        if len(order) < round_.panel_size:
            raise _too_small(len(order), round_.panel_size, len(pool))
        draw = {
            "seed": seed,
            "pool": pool,
            "excluded": excluded,
            "order": order,
            "members": round_.panel_size,
            "reserves": round_.reserves,
        }
        try:  # no savepoint: a failed insert ends the whole draw anyway
            panel = Panel.objects.create(
                case=case, field=case.field, seed=seed, draw=draw, size=round_.panel_size, drawn_by=actor
            )
        except IntegrityError:  # one panel per case (the case lock makes this the rare path)
            raise IllegalCaseTransition(CaseState.PANEL, CaseState.PANEL, Party.MANAGER) from None
        seats = Seat.objects.bulk_create(
            [
                Seat(
                    panel=panel,
                    expert_id=pk,
                    position=n,
                    role=SeatRole.MEMBER if n <= round_.panel_size else SeatRole.RESERVE,
                    status=SeatStatus.ACTIVE if n <= round_.panel_size else SeatStatus.WAITING,
                )
                for n, pk in enumerate(order, start=1)
            ]
        )
        _audit_draw(actor, panel)
        move(case, CaseState.PANEL, actor=actor, party=Party.MANAGER, comment=f"seed {seed}")
        _tell_members(case, [s for s in seats if s.status == SeatStatus.ACTIVE])
    return panel


def _audit_draw(actor: User, panel: Panel) -> None:
    """The panel's creation, with the pool as its size and SHA-256 digest instead of thousands of ids: the
    list itself is in `Panel.draw`, and the digest in the hash chain proves it unchanged since the draw."""
    after = audit.snapshot(panel)
    pool = after["draw"].pop("pool")
    digest = hashlib.sha256(json.dumps(pool, separators=(",", ":")).encode()).hexdigest()
    after["draw"].update(pool_size=len(pool), pool_sha256=digest)
    audit.record(
        actor=actor,
        action="evaluation.panel.draw",
        obj=panel,
        detail={"after": after, "seats": after["draw"]["order"]},
    )


def reserves_add(*, actor: User, panel: Panel, count: int) -> list[Seat]:
    """Draw `count` more reserves for a scoring panel (when every reserve has been called in), from the
    experts not yet on it, with a new seed recorded beside the first draw."""
    case = panel.case
    require(actor, Action.MANAGE_EVALUATION, case.round)
    if not 1 <= count <= MAX_RESERVES_ADDED:
        raise ValidationFailed(
            [
                problem(
                    "count",
                    f"候补人数应为 1 至 {MAX_RESERVES_ADDED} 人",
                    f"Draw between 1 and {MAX_RESERVES_ADDED} reserves",
                )
            ]
        )
    seed = secrets.token_hex(16)
    with transaction.atomic():
        panel = _locked_scoring_panel(panel.pk)
        seated = set(panel.seats.values_list("expert_id", flat=True))
        pool, excluded = _pool(case, besides=seated)
        order = shuffled(pool, excluded, seed, count)
        if len(order) < count:
            raise _too_small(len(order), count, len(pool))
        before = audit.snapshot(panel)
        start = max(panel.seats.values_list("position", flat=True), default=0) + 1
        seats = Seat.objects.bulk_create(
            [
                Seat(panel=panel, expert_id=pk, position=n, role=SeatRole.RESERVE, status=SeatStatus.WAITING)
                for n, pk in enumerate(order, start=start)
            ]
        )
        more = {"seed": seed, "pool": pool, "excluded": excluded, "order": order, "besides": sorted(seated)}
        panel.draw = {**panel.draw, "more": [*panel.draw.get("more", []), more]}
        panel.save(update_fields=["draw"])
        audit.record_change(actor=actor, action="evaluation.panel.reserves_add", obj=panel, before=before)
    return seats


def _locked_scoring_panel(panel_id: int) -> Panel:
    panel = Panel.objects.select_for_update().select_related("case__round__scheme").get(pk=panel_id)
    if panel.state != PanelState.SCORING:
        raise PanelClosed()
    return panel


def _tell_members(case: Case, seats: list[Seat]) -> None:
    link = reverse("evaluation:review_case", args=[case.pk])
    experts = Expert.objects.filter(pk__in=[s.expert_id for s in seats], account__isnull=False)
    for expert in experts.select_related("account"):
        notify(
            recipient=expert.account,
            subject=f"评审任务：{case.round.name}",
            body=f"您已被抽取为“{case.round.name}”一件申报的评审专家，请于 {case.round.panel_due:%Y-%m-%d} "
            "前独立完成评分；如存在利益冲突，请申请回避。",
            link=link,
            kind="evaluation.panel.seat",
        )


# -- recusal -------------------------------------------------------------------------------------------------


def seat_recuse(*, actor: User, seat: Seat, reason: str) -> Seat:
    """The expert (or a manager for them) leaves the panel; the first waiting reserve takes the place.
    Refused when no reserve is left: the manager draws more (`reserves_add`) first. Returns the seat that
    took the place (the recused one itself when a waiting reserve steps down)."""
    case = seat.panel.case
    if seat.expert.account_id is not None and seat.expert.account_id == actor.pk:
        require(actor, Action.SCORE_CASE, case)
    else:
        require(actor, Action.MANAGE_EVALUATION, case.round)
    if not reason.strip():
        raise ValidationFailed([problem("reason", "请填写回避原因", "Give the reason for the recusal")])
    with transaction.atomic():
        panel = _locked_scoring_panel(seat.panel_id)
        seat = Seat.objects.select_for_update().get(pk=seat.pk)
        if seat.status not in (SeatStatus.ACTIVE, SeatStatus.WAITING):
            raise DomainError(
                ErrorCode.ILLEGAL_TRANSITION,
                "该专家已回避或已被替换",
                "This expert has already left the panel",
            )
        was_active = seat.status == SeatStatus.ACTIVE
        reserve = (
            panel.seats.select_for_update()
            .filter(status=SeatStatus.WAITING)
            .exclude(pk=seat.pk)
            .order_by("position")
            .first()
            if was_active
            else None
        )
        if was_active and reserve is None:
            raise DomainError(
                ErrorCode.POOL_TOO_SMALL,
                "没有候补专家可以替换，请组织部门先增补候补专家",
                "No reserve is left to take the place; the organizers must draw more reserves first",
            )
        before = audit.snapshot(seat)
        seat.status, seat.recusal_reason = SeatStatus.RECUSED, reason.strip()
        seat.save(update_fields=["status", "recusal_reason"])
        audit.record_change(
            actor=actor, action="evaluation.seat.recuse", obj=seat, before=before, detail={"reason": reason}
        )
        if reserve is None:
            return seat
        before = audit.snapshot(reserve)
        reserve.status, reserve.replaces = SeatStatus.ACTIVE, seat
        reserve.save(update_fields=["status", "replaces"])
        audit.record_change(
            actor=actor,
            action="evaluation.seat.replace",
            obj=reserve,
            before=before,
            detail={"replaces": seat.pk},
        )
        _tell_members(case, [reserve])
    return reserve


# -- scores --------------------------------------------------------------------------------------------------


def score_submit(
    *,
    actor: User,
    case: Case,
    points: Mapping[str, object],
    comments: Mapping[str, str] | None = None,
    today: dt.date | None = None,
) -> list[Score]:
    """The expert's points (0–100) for every scored indicator of the case; again before the panel closes
    to change them (each change audited with before and after). Refused: after the round's panel deadline
    (inclusive), on a closed panel, and when a conflict of interest exists now (the expert must recuse)."""
    require(actor, Action.SCORE_CASE, case)
    comments = comments or {}
    today = today or timezone.localdate()
    round_ = case.round
    with transaction.atomic():
        panel = _locked_scoring_panel(Panel.objects.filter(case=case).values_list("pk", flat=True).get())
        seat = (
            Seat.objects.select_for_update()
            .filter(panel=panel, expert__account=actor, status=SeatStatus.ACTIVE)
            .select_related("expert")
            .first()
        )
        if seat is None:
            raise NotFound()
        if today > round_.panel_due:
            raise DomainError(
                ErrorCode.DEADLINE_PASSED,
                f"评分截止日期（{round_.panel_due:%Y-%m-%d}）已过，不能再提交评分",
                f"The scoring deadline ({round_.panel_due:%Y-%m-%d}) has passed; scores can no longer be "
                "submitted",
            )
        conflict = conflicts_for_case(case, experts=[seat.expert_id], on=today).get(seat.expert_id)
        if conflict:
            zh, en = describe(conflict)
            raise DomainError(
                ErrorCode.CONFLICT_OF_INTEREST,
                f"您与该申报人存在利益冲突（{zh}），不能评分，请申请回避",
                f"You have a conflict of interest with this candidate ({en}); "
                "you cannot score and must recuse",
            )
        indicators = list(scored_indicators(case))
        clean = _clean_points(indicators, points, comments)
        scores = _save_scores(actor, seat, indicators, clean, comments)
        seat.submitted_at = timezone.now()
        seat.save(update_fields=["submitted_at"])
    return scores


def scored_indicators(case: Case) -> QuerySet[Indicator]:
    return Indicator.objects.filter(scheme_id=case.round.scheme_id, source=IndicatorSource.SCORED).order_by(
        "position", "pk"
    )


def _clean_points(
    indicators: list[Indicator], points: Mapping[str, object], comments: Mapping[str, str]
) -> dict[str, Decimal]:
    """Every indicator's points as a Decimal of 0–100 with at most two decimals, or every problem at once:
    SCORE_OUT_OF_RANGE when any is out of range, otherwise a plain validation failure."""
    problems: list[Problem] = []
    out_of_range = False
    clean: dict[str, Decimal] = {}
    codes = {i.code for i in indicators}
    for code in sorted(set(points) - codes):
        problems.append(problem(code, f"未知的评分指标：{code}", f"Unknown indicator: {code}"))
    for indicator in indicators:
        given = points.get(indicator.code)
        if given is None or str(given).strip() == "":
            problems.append(
                problem(indicator.code, f"请为“{indicator.name}”评分", f"Score '{indicator.code}'")
            )
            continue
        try:
            value = Decimal(str(given).strip())
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite() or not Decimal(0) <= value <= Decimal(100):
            out_of_range = True
            problems.append(
                problem(
                    indicator.code,
                    f"“{indicator.name}”的分值应在 0 至 100 之间（收到 {given}）",
                    f"Points for '{indicator.code}' must be between 0 and 100 (got {given})",
                )
            )
        elif value.as_tuple().exponent < -2:  # type: ignore[operator]
            problems.append(
                problem(
                    indicator.code,
                    f"“{indicator.name}”的分值最多保留两位小数",
                    f"Points for '{indicator.code}' have at most two decimals",
                )
            )
        else:
            clean[indicator.code] = value
        if len(comments.get(indicator.code, "")) > MAX_COMMENT:
            problems.append(
                problem(
                    indicator.code,
                    f"“{indicator.name}”的评语不能超过 {MAX_COMMENT} 字",
                    f"The comment on '{indicator.code}' is longer than {MAX_COMMENT} characters",
                )
            )
    if out_of_range:
        raise DomainError(
            ErrorCode.SCORE_OUT_OF_RANGE,
            "分值超出范围：每项评分应在 0 至 100 之间",
            "Points out of range: each score is between 0 and 100",
            details=problems,
        )
    if problems:
        raise ValidationFailed(problems, "评分不完整或有误", "The scores are incomplete or invalid")
    return clean


def _save_scores(
    actor: User,
    seat: Seat,
    indicators: list[Indicator],
    clean: dict[str, Decimal],
    comments: Mapping[str, str],
) -> list[Score]:
    existing = {s.indicator_id: s for s in seat.scores.select_for_update()}
    scores = []
    for indicator in indicators:
        value, comment = clean[indicator.code], comments.get(indicator.code, "").strip()
        score = existing.get(indicator.pk)
        if score is None:
            score = Score.objects.create(seat=seat, indicator=indicator, points=value, comment=comment)
            audit.record_creation(actor=actor, action="evaluation.score.submit", obj=score)
        elif score.points != value or score.comment != comment:
            before = audit.snapshot(score)
            score.points, score.comment = value, comment
            score.save(update_fields=["points", "comment", "updated_at"])
            audit.record_change(actor=actor, action="evaluation.score.change", obj=score, before=before)
        scores.append(score)
    return scores


# -- closing -------------------------------------------------------------------------------------------------


def panel_close(*, actor: User, case: Case) -> Case:
    """Close the panel once at least two thirds of its seats have scored; compute the case's points
    (`evaluation.scoring`) and move it to `scored`."""
    require(actor, Action.MANAGE_EVALUATION, case.round)
    with transaction.atomic():
        panel_id = Panel.objects.filter(case=case).values_list("pk", flat=True).first()
        if panel_id is None:
            raise IllegalCaseTransition(case.state, CaseState.SCORED, Party.MANAGER)
        panel = _locked_scoring_panel(panel_id)
        seats = list(panel.seats.filter(status=SeatStatus.ACTIVE).select_related("expert"))
        submitted = [s for s in seats if s.submitted_at is not None]
        needed = scoring.quorum(panel.size)
        if len(submitted) < needed:
            raise DomainError(
                ErrorCode.QUORUM_NOT_MET,
                f"已提交评分 {len(submitted)} 人，评审组 {panel.size} 人"
                f"至少需要 {needed} 人（三分之二）提交后才能结束",
                f"{len(submitted)} of the panel's {panel.size} experts have scored; "
                f"at least {needed} (two thirds) must score before it closes",
            )
        result = _compute(case, submitted)
        before_panel, before_case = audit.snapshot(panel), audit.snapshot(case)
        panel.state, panel.closed_at = PanelState.CLOSED, timezone.now()
        panel.save(update_fields=["state", "closed_at"])
        audit.record_change(actor=actor, action="evaluation.panel.close", obj=panel, before=before_panel)
        case.panel_score, case.total_score = result.panel_score, result.total_score
        case.save(update_fields=["panel_score", "total_score", "updated_at"])
        audit.record_change(
            actor=actor,
            action="evaluation.case.score",
            obj=case,
            before=before_case,
            detail={"points": result.points, "submitted": [s.expert_id for s in submitted]},
        )
        move(case, CaseState.SCORED, actor=actor, party=Party.MANAGER)
    return case


def _compute(case: Case, seats: list[Seat]) -> scoring.PanelResult:
    scheme = case.round.scheme
    indicators = list(scheme.indicators.order_by("position", "pk"))
    by_code: dict[str, list[scoring.ExpertPoints]] = defaultdict(list)
    kind_of = {s.pk: s.expert.evaluator_kind for s in seats}
    for score in Score.objects.filter(seat__in=seats).select_related("indicator").order_by("seat__position"):
        by_code[score.indicator.code].append(scoring.ExpertPoints(kind_of[score.seat_id], score.points))
    return scoring.panel_result(
        [scoring.IndicatorSpec(i.code, i.weight, i.source == IndicatorSource.SCORED) for i in indicators],
        by_code,
        dict(scheme.evaluators.values_list("kind", "weight")),
        computed=case.computed,
        employer_scores=case.employer_scores,
    )


# -- reads (scoped to the acting user) ----------------------------------------------------------------------


def review_cases(user: User) -> QuerySet[Case]:
    """The cases the user sits on as an active panel member (我的评审任务), newest deadline first."""
    if not may(user, Action.SCORE_CASE):
        return Case.objects.none()
    # Scope.ASSIGNED is the filter: an active seat of the user on the case's panel (one seat per expert
    # and panel, so no case repeats)
    return (
        visible_to(user, Case.objects.all())
        .select_related("round", "talent", "enterprise", "panel")
        .order_by("round__panel_due", "pk")
    )


def review_case(user: User, case_id: int) -> Case:
    case = review_cases(user).filter(pk=case_id).first()
    if case is None:
        raise NotFound()
    return case


def own_seat(user: User, case: Case) -> Seat | None:
    return Seat.objects.filter(panel__case=case, expert__account_id=user.pk, status=SeatStatus.ACTIVE).first()


def own_scores(user: User, case: Case) -> dict[str, Score]:
    """The user's own scores on the case by indicator code: the only scores an expert ever sees."""
    scores = Score.objects.filter(
        seat__panel__case=case, seat__expert__account_id=user.pk, seat__status=SeatStatus.ACTIVE
    ).select_related("indicator")
    return {s.indicator.code: s for s in scores}


def closed_scores(user: User, case: Case) -> QuerySet[Score]:
    """Every expert's scores, for the officers who manage or review the case, once the panel has closed;
    nothing before, for anyone."""
    officer = may(user, Action.MANAGE_EVALUATION) or may(user, Action.SECOND_REVIEW)
    if not officer:
        return Score.objects.none()
    scores = Score.objects.filter(seat__panel__case=case, seat__panel__state=PanelState.CLOSED)
    return (
        visible_to(user, scores)
        .select_related("seat__expert", "indicator")
        .order_by("seat__position", "indicator__position")
    )


def managed_case(user: User, case_id: int) -> Case:
    """A case whose panel the user manages (the officers of its round); 404 out of scope."""
    case = visible_to(user, Case.objects.filter(pk=case_id)).select_related("round", "talent").first()
    if case is None:
        raise NotFound()
    require(user, Action.MANAGE_EVALUATION, case.round)
    return case


def panel_of(user: User, case_id: int) -> Panel:
    """The panel of a case the user manages."""
    case = managed_case(user, case_id)
    panel = Panel.objects.filter(case=case).select_related("case__round", "case__talent").first()
    if panel is None:
        raise NotFound("该申报尚未抽取评审组", "No panel has been drawn for this case")
    return panel


def panel_seats(panel: Panel) -> list[Seat]:
    """The seats with their experts and whether each has submitted (never the points)."""
    return list(
        panel.seats.select_related("expert", "replaces__expert")
        .annotate(scored=Count("scores"))
        .order_by("position")
    )


def progress(panel: Panel) -> tuple[int, int]:
    """(submitted, active): "3/5 submitted"."""
    counts = panel.seats.filter(status=SeatStatus.ACTIVE).aggregate(
        active=Count("pk"), submitted=Count("pk", filter=Q(submitted_at__isnull=False))
    )
    return counts["submitted"], counts["active"]
