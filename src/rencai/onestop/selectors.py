"""Reads of the one-stop services, each scoped to the acting user (`visible_to`)."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import BooleanField, Case, CharField, Count, F, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from rencai.accounts.models import User
from rencai.core import calendar
from rencai.core.access import Action, may, region_ancestor_ids, require, restrict, visible_to
from rencai.core.errors import NotFound
from rencai.core.models import Region
from rencai.onestop.models import (
    Application,
    ApplicationState,
    CardVerification,
    EducationVoucher,
    GoldCard,
    HousingLoanReferral,
    LoanStatus,
    Material,
    MaterialType,
    ServiceItem,
    StepState,
    StepTask,
    Transition,
)
from rencai.registry.models import Talent

# -- the catalogue ------------------------------------------------------------------------------------------


def items_in_region(region: Region, *, active_only: bool = True) -> list[ServiceItem]:
    """The items that apply in `region`: its own and its ancestors'; a lower region's item with the same
    code replaces the higher one (a county may re-define the city's item)."""
    queryset = ServiceItem.objects.filter(region_id__in=region_ancestor_ids(region.pk)).select_related(
        "region", "policy"
    )
    if active_only:
        queryset = queryset.filter(is_active=True)
    chosen: dict[str, ServiceItem] = {}
    for item in sorted(queryset, key=lambda i: len(i.region.path)):
        chosen[item.code] = item  # deeper regions come later and win
    return sorted(chosen.values(), key=lambda i: i.code)


def item_in_region(code: str, region: Region) -> ServiceItem | None:
    return next((item for item in items_in_region(region) if item.code == code), None)


def catalogue_for(user: User, *, region: Region | None = None) -> list[ServiceItem]:
    """Items a user may apply for (talent: where they live) or maintains (officers: visible items)."""
    if region is None:
        talent = own_talent(user)
        region = talent.region if talent is not None else None
    if region is not None:
        return items_in_region(region)
    return list(visible_to(user, ServiceItem.objects.select_related("region", "policy")).order_by("code"))


def get_item(user: User, item_id: int) -> ServiceItem:
    item = (
        visible_to(user, ServiceItem.objects.select_related("region", "policy"))
        .prefetch_related("materials", "steps")
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        raise NotFound()
    return item


def maintained_regions(user: User) -> QuerySet:
    """The regions whose items `user` may change (their own region and, for the city, its counties)."""
    return visible_to(user, Region.objects.all()).order_by("path")


def catalogue_to_maintain(user: User) -> list[tuple[ServiceItem, bool, ServiceItem | None]]:
    """Every item an officer sees: (item, may change it, the higher item it replaces if any)."""
    items = list(
        visible_to(user, ServiceItem.objects.select_related("region", "policy"))
        .annotate(step_count=Count("steps"))
        .order_by("code", "region__path")
    )
    own = set(maintained_regions(user).values_list("pk", flat=True))
    by_code: dict[str, list[ServiceItem]] = {}
    for item in items:
        by_code.setdefault(item.code, []).append(item)
    rows = []
    for item in items:
        replaced = next(
            (
                other
                for other in reversed(by_code[item.code])
                if len(other.region.path) < len(item.region.path)
                and item.region.path.startswith(other.region.path)
            ),
            None,
        )
        rows.append((item, item.region_id in own, replaced))
    return rows


def material_types() -> QuerySet:
    """Reference data: every material type (not tied to a place)."""
    return MaterialType.objects.order_by("code")


# -- talents and their material library ---------------------------------------------------------------------


def own_talent(user: User) -> Talent | None:
    if not may(user, Action.APPLY_FOR_SELF):
        return None
    return Talent.objects.select_related("region").filter(account=user).first()


def applying_talent(user: User, talent_id: int | None) -> Talent | None:
    """The talent `user` applies for: a talent for themselves, an enterprise for one of its employees
    (None while the enterprise has not chosen one). Anyone else is refused."""
    if may(user, Action.APPLY_FOR_SELF):
        own = own_talent(user)
        if own is None:
            raise NotFound("您的账号尚未关联人才档案", "Your account is not linked to a talent record")
        if talent_id is not None and talent_id != own.pk:
            raise NotFound()
        return own
    require(user, Action.APPLY_FOR_EMPLOYEE)
    if talent_id is None:
        return None
    talent = get_talent(user, talent_id)
    require(user, Action.APPLY_FOR_EMPLOYEE, talent)
    return talent


def get_talent(user: User, talent_id: int) -> Talent:
    talent = visible_to(user, Talent.objects.select_related("region")).filter(pk=talent_id).first()
    if talent is None:
        raise NotFound()
    return talent


def library_of(user: User, talent: Talent) -> QuerySet:
    """The talent's current materials (one per type)."""
    return visible_to(user, Material.objects.filter(talent=talent, is_current=True)).select_related(
        "material_type"
    )


@dataclass
class MaterialNeed:
    material_type: MaterialType
    material: Material | None  # the library's current one, reused; None: still to be given

    @property
    def missing(self) -> bool:
        return self.material is None


def materials_needed(talent: Talent, item: ServiceItem) -> list[MaterialNeed]:
    """For each material the item needs: the library's copy (reused, never asked again) or a gap."""
    current = {
        m.material_type_id: m
        for m in Material.objects.filter(talent=talent, is_current=True).select_related("material_type")
    }
    return [MaterialNeed(t, current.get(t.pk)) for t in item.materials.order_by("code")]


# -- eligibility (the engine's pre-check) -------------------------------------------------------------------


@dataclass
class Eligibility:
    eligible: bool
    checked: bool  # False when the item has no policy (nothing to pre-check)
    amount: Decimal | None = None
    explanation: dict = field(default_factory=dict)  # Explanation.as_dict()
    # what is missing, in sentences about the talent ("需要：学历达到硕士及以上"), or why there is nothing
    # to explain ("该政策当前未生效")
    reasons_zh: list[str] = field(default_factory=list)
    reasons_en: list[str] = field(default_factory=list)
    policy_code: str = ""

    def needs(self, lang: str, voice: str = "third") -> list[str]:
        """What is missing in sentences (`engine.wording.needs`), addressed to the talent (`voice="second"`)
        or told about them (`"third"`); the reasons as they are when there is nothing to explain."""
        tree = self.explanation.get("tree")
        if not tree:
            return list(self.reasons_zh if lang == "zh" else self.reasons_en)
        from rencai.policies.engine import wording

        return wording.needs(tree, lang, voice)


def eligibility_of(talent: Talent, item: ServiceItem, day: dt.date | None = None) -> Eligibility:
    """Explain the item's policy for the talent (a county policy replacing it counts where it applies)."""
    if item.policy_id is None:
        return Eligibility(eligible=True, checked=False)
    from rencai.policies.benefits import explain_version
    from rencai.policies.selectors import versions_in_force

    day = day or timezone.localdate()
    candidates = [
        entry.version
        for entry in versions_in_force(day, region=talent.region)
        if talent.region.code in entry.region_codes
        and item.policy_id in (entry.version.policy_id, entry.version.policy.overrides_id)
    ]
    if not candidates:
        policy = item.policy
        assert policy is not None  # policy_id is set (checked above) and the foreign key keeps the row
        return Eligibility(
            eligible=False,
            checked=True,
            reasons_zh=["该政策当前未生效"],
            reasons_en=["The policy is not in force"],
            policy_code=policy.code,
        )
    # the replacing (county) policy wins over the one it overrides
    version = sorted(candidates, key=lambda v: v.policy_id == item.policy_id)[0]
    explanation = explain_version(talent, version, day)
    amount = None
    if explanation.eligible and explanation.amount is not None:
        amount = Decimal(str(explanation.amount.amount)).quantize(Decimal("0.01"))
    data = explanation.as_dict()
    return Eligibility(
        eligible=explanation.eligible,
        checked=True,
        amount=amount,
        explanation=data,
        reasons_zh=data["needs_zh"],
        reasons_en=data["needs_en"],
        policy_code=version.policy.code,
    )


@dataclass
class ApplicationPreview:
    """What the form page shows before submission: eligibility, reused materials, materials to give."""

    talent: Talent
    item: ServiceItem
    eligibility: Eligibility
    needs: list[MaterialNeed]

    @property
    def missing(self) -> list[MaterialType]:
        return [need.material_type for need in self.needs if need.missing]

    @property
    def reused(self) -> list[Material]:
        return [need.material for need in self.needs if need.material is not None]


def application_preview(user: User, talent: Talent, item: ServiceItem) -> ApplicationPreview:
    talent = get_talent(user, talent.pk)
    return ApplicationPreview(talent, item, eligibility_of(talent, item), materials_needed(talent, item))


# -- applications -------------------------------------------------------------------------------------------


def applications_for(user: User, *, state: str = "", item_code: str = "") -> QuerySet:
    queryset = visible_to(
        user, Application.objects.select_related("talent", "item", "region", "enterprise", "window_officer")
    )
    if state:
        queryset = queryset.filter(state=state)
    if item_code:
        queryset = queryset.filter(item__code=item_code)
    return queryset


def applications_of_talent(user: User) -> QuerySet:
    """A talent's own applications (empty for anyone else)."""
    talent = own_talent(user)
    if talent is None:
        return Application.objects.none()
    return applications_for(user).filter(talent=talent)


def get_application(user: User, application_id: int) -> Application:
    application = applications_for(user).filter(pk=application_id).first()
    if application is None:
        raise NotFound()
    return application


@dataclass
class ApplicationDetail:
    application: Application
    steps: list[StepTask]
    transitions: list[Transition]
    notice: object | None
    materials: list


def application_detail(user: User, application_id: int, *, today: dt.date | None = None) -> ApplicationDetail:
    """Everything the talent and officers see on one application: each step's state and deadline."""
    application = get_application(user, application_id)
    steps = list(
        with_colour(
            application.steps.select_related("step", "department", "decided_by").order_by("group", "id"),
            today,
        )
    )
    transitions = list(application.transitions.select_related("actor"))
    notice = getattr(application, "correction_notice", None)
    materials = list(application.materials.select_related("material", "material_type"))
    return ApplicationDetail(application, steps, transitions, notice, materials)


def window_queue(
    user: User, *, states: tuple[str, ...] = (ApplicationState.SUBMITTED, ApplicationState.RESUBMITTED)
) -> QuerySet:
    """Applications waiting at the one-stop window of the officer's region. A resubmitted one waits only
    for the officer who returned it."""
    if not may(user, Action.WORK_AT_WINDOW):  # (applications_for has scoped the rows already)
        return Application.objects.none()
    queryset = applications_for(user).filter(state__in=states)
    return queryset.filter(~Q(state=ApplicationState.RESUBMITTED) | Q(window_officer=user)).order_by(
        "submitted_at", "id"
    )


def offers_of(user: User) -> QuerySet:
    """Proactive offers waiting for the talent's one-click confirmation."""
    return applications_of_talent(user).filter(state=ApplicationState.OFFERED)


# -- department steps and deadlines -------------------------------------------------------------------------


@dataclass(frozen=True)
class ColourThresholds:
    """A pending step due before `today` is red, on or before `soon` (the next working day) yellow. When the
    calendar lacks a year (`missing_years`, e.g. on 31 December before next year's holidays are entered),
    `soon` is counted Monday to Friday there: the colours stay on the pages, with a warning."""

    today: dt.date
    soon: dt.date
    missing_years: tuple[int, ...] = ()

    @property
    def estimated(self) -> bool:
        return bool(self.missing_years)


def colour_thresholds(today: dt.date | None = None) -> ColourThresholds:
    today = today or timezone.localdate()
    soon = calendar.add_working_days_or_estimate(today, 1)
    return ColourThresholds(today, soon.day, soon.assumed_years)


def with_colour(queryset: QuerySet, today: dt.date | None = None) -> QuerySet:
    """Annotate `colour`: red after the deadline, yellow from one working day before it, else green;
    decided steps have no colour. `colour_estimated` is true while the calendar lacks the next working
    day's year."""
    thresholds = colour_thresholds(today)
    return queryset.annotate(
        colour=Case(
            When(~Q(state=StepState.PENDING), then=Value("")),
            When(due_on__lt=thresholds.today, then=Value("red")),
            When(due_on__lte=thresholds.soon, then=Value("yellow")),
            default=Value("green"),
            output_field=CharField(),
        ),
        colour_estimated=Value(thresholds.estimated, output_field=BooleanField()),
    )


def step_colour(task: StepTask, today: dt.date | None = None) -> str:
    if task.state != StepState.PENDING:
        return ""
    thresholds = colour_thresholds(today)
    if task.due_on < thresholds.today:
        return "red"
    return "yellow" if task.due_on <= thresholds.soon else "green"


def calendar_gap(user: User, today: dt.date | None = None) -> dict | None:
    """The warning a page with deadlines shows while the calendar lacks a year (None: nothing missing).

    Everyone is warned when the colours are estimated; officers, who accept applications and decide steps,
    also for the years `calendar.years_missing_soon` will soon need. The panel names who maintains the
    calendar (the holders of `Action.MAINTAIN_CALENDAR`) and links the admin for them."""
    today = today or timezone.localdate()
    years = set(colour_thresholds(today).missing_years)
    staff = may(user, Action.SEE_CALENDAR_WARNING)
    if staff:
        years.update(calendar.years_missing_soon(today))
    if not years:
        return None
    panel = calendar.warning_panel(user, sorted(years))
    panel["template"] = "core/_calendar_panel.html" if staff else "onestop/_deadline_estimate.html"
    return panel


QUEUE_DUE = ("overdue", "today")  # the department queue's filters: past its deadline, due today


def department_queue(
    user: User, *, state: str = StepState.PENDING, today: dt.date | None = None, due: str = ""
) -> QuerySet:
    """The steps of the user's department (its kind, its region), earliest deadline first; `due` keeps the
    overdue ones or those due today (what the home page's tiles count). Served by the index (department,
    state, due_on): the first page of 100,000 open steps reads a few rows."""
    if not user.department_id:  # the queue of one's own department
        return StepTask.objects.none()
    queryset = restrict(
        user, StepTask.objects.filter(department_id=user.department_id, state=state), Action.DECIDE_STEP
    )
    day = today or timezone.localdate()
    if due == "overdue":
        queryset = queryset.filter(due_on__lt=day)
    elif due == "today":
        queryset = queryset.filter(due_on=day)
    queryset = queryset.select_related("application__talent", "application__item", "step")
    return with_colour(queryset, today).order_by("due_on", "id")


def get_step_task(user: User, task_id: int) -> StepTask:
    task = (
        visible_to(user, StepTask.objects.select_related("application", "department", "step"))
        .filter(pk=task_id)
        .first()
    )
    # Department officers see only their own department's steps; window officers follow all of theirs
    if task is None or (may(user, Action.DECIDE_STEP) and not may(user, Action.DECIDE_STEP, task)):
        raise NotFound()
    return task


@dataclass
class OnTimeRow:
    key: int
    label: str
    decided: int
    on_time: int
    overdue_open: int

    @property
    def rate(self) -> float | None:
        total = self.decided + self.overdue_open
        return round(self.on_time / total, 4) if total else None


def _on_time_rows(queryset: QuerySet, key: str, label: str, today: dt.date) -> list[OnTimeRow]:
    rows = (
        queryset.values(key, label)
        .annotate(
            decided=Count("id", filter=Q(state__in=[StepState.APPROVED, StepState.REJECTED])),
            on_time=Count(
                "id",
                filter=Q(state__in=[StepState.APPROVED, StepState.REJECTED], decided_on__lte=F("due_on")),
            ),
            overdue_open=Count("id", filter=Q(state=StepState.PENDING, due_on__lt=today)),
        )
        .order_by(label)
    )
    return [OnTimeRow(r[key], r[label], r["decided"], r["on_time"], r["overdue_open"]) for r in rows]


@dataclass
class Dashboard:
    by_department: list[OnTimeRow]
    by_item: list[OnTimeRow]
    open_steps: int
    yellow: int
    red: int
    applications_by_state: dict[str, int]


def dashboard(user: User, *, today: dt.date | None = None) -> Dashboard:
    """On-time rate per department and per item (decided on or before the deadline, over decided plus
    still-open overdue steps), and today's workload."""
    thresholds = colour_thresholds(today)
    today, soon = thresholds.today, thresholds.soon
    steps = visible_to(user, StepTask.objects.all())
    pending = steps.filter(state=StepState.PENDING)
    states = dict(
        applications_for(user).order_by().values("state").annotate(n=Count("id")).values_list("state", "n")
    )
    return Dashboard(
        by_department=_on_time_rows(steps, "department_id", "department__name", today),
        by_item=_on_time_rows(steps, "application__item_id", "application__item__name", today),
        open_steps=pending.count(),
        yellow=pending.filter(due_on__gte=today, due_on__lte=soon).count(),
        red=pending.filter(due_on__lt=today).count(),
        applications_by_state=states,
    )


# -- outcomes: cards, vouchers, loans, verifications --------------------------------------------------------


def cards_of(user: User) -> QuerySet:
    return visible_to(user, GoldCard.objects.select_related("talent", "region"))


def get_card(user: User, card_id: int) -> GoldCard:
    card = cards_of(user).filter(pk=card_id).first()
    if card is None:
        raise NotFound()
    return card


def vouchers_of(user: User) -> QuerySet:
    """Vouchers visible to the user, with their redemption attempts (the voucher's life)."""
    return visible_to(
        user, EducationVoucher.objects.select_related("talent", "redeemed_by")
    ).prefetch_related(Prefetch("redemptions"))


def loans_of(user: User) -> QuerySet:
    return visible_to(user, HousingLoanReferral.objects.select_related("talent", "department", "decided_by"))


def loan_queue(user: User) -> QuerySet:
    """Referrals waiting at the user's housing-fund centre."""
    if not user.department_id:  # the queue of one's own department
        return HousingLoanReferral.objects.none()
    if not may(user, Action.DECIDE_LOAN):  # (loans_of has scoped the rows already)
        return HousingLoanReferral.objects.none()
    queryset = loans_of(user).filter(department_id=user.department_id, status=LoanStatus.REFERRED)
    return queryset.order_by("referred_at")


def get_loan(user: User, referral_id: int) -> HousingLoanReferral:
    referral = loans_of(user).filter(pk=referral_id).first()
    if referral is None:
        raise NotFound()
    return referral


def verifications_of_provider(user: User) -> QuerySet:
    """What this provider checked (providers see their own log)."""
    return (
        CardVerification.objects.filter(provider=user).select_related("card").order_by("-verified_at", "-id")
    )


def verifications_of_card(user: User, card: GoldCard) -> QuerySet:
    """Who checked a card when: for its holder and the officers who see the card."""
    card = get_card(user, card.pk)
    return card.verifications.select_related("provider").order_by("-verified_at", "-id")
