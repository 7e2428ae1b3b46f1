"""Reads of rounds, cases, notices and objections, each scoped to the user who reads (out of scope: 404).

A talent sees their own cases, an enterprise its employees', a county officer its county's, the city all,
an expert only the cases of a panel they sit on (Scope.ASSIGNED). The public notice needs no user: it
reads names, employers and results only.
"""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from rencai.accounts.models import User
from rencai.core.access import Action, may, region_ancestor_ids, restrict, visible_to
from rencai.core.errors import NotFound
from rencai.evaluation.choices import CaseState, RoundState
from rencai.evaluation.models import Case, IntegrityFinding, Objection, PublicNotice, Round
from rencai.onestop.models import Material
from rencai.registry.choices import Programme
from rencai.registry.models import Talent

S = CaseState


def rounds_for(user: User) -> QuerySet[Round]:
    """The rounds of the user's region and those holding cases the user sees (a county officer reviews its
    talents' cases of a city round); for an applicant, also the rounds open where the talent lives."""
    rows = Round.objects.select_related("scheme", "region")
    with_cases = Q(pk__in=cases_for(user).values("round"))  # a county reviews its cases of a city round
    if may(user, Action.APPLY_FOR_EVALUATION):
        return rows.filter(with_cases | _open_where_applicants_live(user))
    visible = visible_to(user, Round.objects.all()).values("pk")
    return rows.filter(with_cases | Q(pk__in=visible))


def _open_where_applicants_live(user: User) -> Q:
    enterprise = user.enterprise if user.enterprise_id else None
    if enterprise is not None:
        return Q(state=RoundState.OPEN, region_id__in=region_ancestor_ids(enterprise.region_id))
    talent = Talent.objects.filter(account=user).only("region_id").first()
    if talent is not None:
        return Q(state=RoundState.OPEN, region_id__in=region_ancestor_ids(talent.region_id))
    return Q(pk__in=[])


def open_rounds_for(user: User, talent: Talent) -> QuerySet[Round]:
    """The rounds taking applications where `talent` lives (their county's and the city's)."""
    return Round.objects.filter(
        state=RoundState.OPEN, region_id__in=region_ancestor_ids(talent.region_id)
    ).select_related("scheme")


def get_round(user: User, pk: int) -> Round:
    round_ = rounds_for(user).filter(pk=pk).first()
    if round_ is None:
        raise NotFound()
    return round_


def state_counts(cases: QuerySet[Case]) -> dict[str, int]:
    """How many cases in each state (one grouped count)."""
    rows = cases.order_by().values("state").annotate(n=Count("pk")).values_list("state", "n")
    return dict(rows)


def round_counts(user: User, rounds: list[Round]) -> dict[int, dict[str, int]]:
    """Per round, the cases the user sees by state (one grouped count for all rounds)."""
    rows = (
        cases_for(user)
        .filter(round__in=rounds)
        .order_by()
        .values("round", "state")
        .annotate(n=Count("pk"))
        .values_list("round", "state", "n")
    )
    counts: dict[int, dict[str, int]] = {r.pk: {} for r in rounds}
    for round_id, state, n in rows:
        counts[round_id][state] = n
    return counts


def cases_for(user: User, *, round: Round | None = None, state: str = "") -> QuerySet[Case]:
    rows = visible_to(user, Case.objects.select_related("talent", "enterprise", "round", "region"))
    if round is not None:
        rows = rows.filter(round=round)
    if state:
        rows = rows.filter(state=state)
    # an expert reaches a case through their one seat on its panel: the join never repeats a case
    return rows


def get_case(user: User, pk: int) -> Case:
    case = cases_for(user).select_related("round__scheme").filter(pk=pk).first()
    if case is None:
        raise NotFound()
    return case


def applicant_talents(user: User) -> QuerySet[Talent]:
    """The talents `user` may apply for: their own record, or their enterprise's employees."""
    if not may(user, Action.APPLY_FOR_EVALUATION):
        return Talent.objects.none()
    if user.enterprise_id:
        return Talent.objects.filter(current_employer_id=user.enterprise_id).order_by("name", "pk")
    return Talent.objects.filter(account=user)


def applicant_talent(user: User, talent_id: int | None) -> Talent | None:
    """The talent chosen on the application form (a talent: themself)."""
    talents = applicant_talents(user)
    if talent_id is None:
        return talents.first() if not user.enterprise_id else None
    talent = talents.filter(pk=talent_id).select_related("region").first()
    if talent is None:
        raise NotFound()
    return talent


def library_of(talent: Talent) -> QuerySet[Material]:
    """The talent's current documents, to choose from (given once, reused)."""
    return Material.objects.filter(talent=talent, is_current=True).select_related("material_type")


def objections_for(user: User, *, open_only: bool = False) -> QuerySet[Objection]:
    """The objections the user may answer (their region's), the earliest due first."""
    rows = restrict(
        user,
        Objection.objects.select_related("case__talent", "notice", "assigned_to"),
        Action.ANSWER_OBJECTION,
    )
    if open_only:
        rows = rows.filter(state="open")
    return rows.order_by("state", "due_on", "pk")


def get_objection(user: User, pk: int) -> Objection:
    objection = objections_for(user).filter(pk=pk).first()
    if objection is None:
        raise NotFound()
    return objection


def case_objections(user: User, case: Case) -> QuerySet[Objection]:
    """A case's objections, for those who answer them (the applicants see that there are some, and the
    answers, on the case page: never who objected)."""
    return objections_for(user).filter(case=case)


# -- the public notice (no login) ------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeLine:
    case_id: int
    name: str
    employer: str
    tier: str
    honour: str  # the honour's label, in the active language


def public_notices() -> QuerySet[PublicNotice]:
    """Notices on the public page: those open, then those ended, newest first."""
    return PublicNotice.objects.order_by("state", "-starts_on", "-pk").select_related("round")


def public_notice(pk: int) -> PublicNotice:
    notice = PublicNotice.objects.select_related("round").filter(pk=pk).first()
    if notice is None:
        raise NotFound()
    return notice


def notice_lines(notice: PublicNotice) -> list[NoticeLine]:
    """Name, employer and proposed result of every case on the notice: nothing else leaves the database
    (no ID number, age, phone or score), in one query."""
    rows = notice.cases.order_by("pk").values_list(
        "pk", "talent__name", "enterprise__name", "result_tier", "result_honour"
    )
    return [
        NoticeLine(pk, name, employer or "", tier, str(Programme(honour).label) if honour else "")
        for pk, name, employer, tier, honour in rows
    ]


# -- integrity findings (sensitive: the organization officers of the talent's region, and the talent) -------


def findings_for(user: User, *, q: str = "") -> QuerySet[IntegrityFinding]:
    """The integrity findings the user may read: an organization officer those of talents in their region
    (the right that records them, MANAGE_EVALUATION, narrowed to their regions), anyone their own. An
    enterprise never reads its employees' findings, nor a department or an expert anyone's: a finding only
    shows in an evaluation as its veto."""
    managed = restrict(user, IntegrityFinding.objects.all(), Action.MANAGE_EVALUATION).values("pk")
    own = Q(talent__account_id=user.pk) if user.is_authenticated else Q(pk__in=[])
    rows = IntegrityFinding.objects.filter(Q(pk__in=managed) | own)
    if q.strip():
        rows = rows.filter(talent__name__icontains=q.strip())
    return rows.select_related("talent__region", "recorded_by").order_by("-found_on", "-pk")


def get_finding(user: User, pk: int) -> IntegrityFinding:
    finding = findings_for(user).filter(pk=pk).first()
    if finding is None:
        raise NotFound()
    return finding
