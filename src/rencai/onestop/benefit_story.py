"""One benefit, one story: a talent's entitlement and the application that pays it, read as one line.

The policy engine's entitlement says what the talent is owed; the one-stop application says how far the
payment has got. Neither alone is the truth the talent needs (an entitlement "granted" by a confirmation
is not yet paid while a department still reviews it), so both pages the talent reads (我的政策红利 and
我的办事) show `benefit_stories`: one line per benefit, named after its policy, with one state derived from
both rows here and nowhere else, what happens next and the link to the application.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, TextChoices
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rencai.accounts.models import User
from rencai.core.access import visible_to
from rencai.onestop import selectors
from rencai.onestop.models import (
    OPEN_STATES,
    Application,
    ApplicationState,
    HousingLoanReferral,
    LoanStatus,
    Outcome,
    ServiceItem,
    StepState,
    StepTask,
)
from rencai.onestop.services.offers import confirm_benefit, decline_benefit, reclaim_benefit
from rencai.policies.benefits import PaymentRoute, register_payment_route
from rencai.policies.models import Entitlement, EntitlementStatus, Policy, Reservation
from rencai.policies.selectors import versions_in_force
from rencai.registry.models import Talent

S = ApplicationState


class BenefitState(TextChoices):
    """The one state of a benefit, derived from its entitlement and its application together."""

    OFFERED = "offered", gettext_lazy("待确认")
    DRAFT = "draft", gettext_lazy("草稿")
    CORRECTION = "correction", gettext_lazy("需补正材料")
    IN_PROGRESS = "in_progress", gettext_lazy("办理中")
    QUEUED = "queued", gettext_lazy("预算排队")
    FLAGGED = "flagged", gettext_lazy("待复核")
    PAID = "paid", gettext_lazy("已兑现")
    DECLINED = "declined", gettext_lazy("已放弃")
    WITHDRAWN = "withdrawn", gettext_lazy("已撤回")
    REJECTED = "rejected", gettext_lazy("未通过")
    REVOKED = "revoked", gettext_lazy("已撤销")


B = BenefitState

# The sections of both pages, in order: (section id, title, the states it holds).
SECTIONS: tuple[tuple[str, Any, frozenset[str]], ...] = (
    ("offered", gettext_lazy("待您处理"), frozenset({B.OFFERED, B.CORRECTION, B.DRAFT})),
    ("under_way", gettext_lazy("办理中"), frozenset({B.IN_PROGRESS, B.QUEUED, B.FLAGGED})),
    ("granted", gettext_lazy("已兑现"), frozenset({B.PAID})),
    ("ended", gettext_lazy("已结束"), frozenset({B.DECLINED, B.WITHDRAWN, B.REJECTED, B.REVOKED})),
)

# Where an application has got to, as the talent's state (completion and offers are decided apart).
APPLICATION_STATES: dict[str, BenefitState] = {
    S.DRAFT: B.DRAFT,
    S.SUBMITTED: B.IN_PROGRESS,
    S.RESUBMITTED: B.IN_PROGRESS,
    S.ACCEPTED: B.IN_PROGRESS,
    S.IN_PROGRESS: B.IN_PROGRESS,
    S.RETURNED: B.CORRECTION,
    S.APPROVED: B.PAID,
    S.COMPLETED: B.PAID,
    S.REJECTED: B.REJECTED,
}
ENTITLEMENT_STATES: dict[str, BenefitState] = {
    EntitlementStatus.OFFERED: B.OFFERED,
    EntitlementStatus.GRANTED: B.PAID,
    EntitlementStatus.QUEUED: B.QUEUED,
    EntitlementStatus.FLAGGED: B.FLAGGED,
    EntitlementStatus.DECLINED: B.DECLINED,
    EntitlementStatus.REVOKED: B.REVOKED,
}
# An offer may be confirmed while its entitlement still holds the money for it (offered, or granted
# by a confirmation made before both rows moved together).
CONFIRMABLE = frozenset({EntitlementStatus.OFFERED, EntitlementStatus.GRANTED})
# The states in which an application the talent made speaks for the entitlement of the same policy.
DELIVERING = frozenset({*OPEN_STATES, S.COMPLETED})


@dataclass(frozen=True)
class BenefitStory:
    """One benefit as the talent reads it, on every page."""

    policy: Policy | None
    entitlement: Entitlement | None
    application: Application | None
    state: BenefitState
    detail: str  # one plain sentence: who has it, until when, what happens next
    can_reclaim: bool = False  # declined while the policy is in force: it may be claimed again
    explanation: Any = None  # the engine's explanation, on the page that shows it

    @property
    def policy_id(self) -> int | None:
        return self.policy.pk if self.policy is not None else None

    @property
    def name(self) -> str:
        """The one name of the benefit: its policy's (the catalogue item only when it has no policy)."""
        if self.policy is not None:
            return self.policy.name
        return self.application.item.name if self.application is not None else ""

    @property
    def key(self) -> str:
        return f"policy-{self.policy_id}" if self.policy is not None else f"application-{self.application_id}"

    @property
    def application_id(self) -> int | None:
        return self.application.pk if self.application is not None else None

    @property
    def amount(self) -> Decimal | None:
        if self.entitlement is not None:
            return self.entitlement.amount or None
        return self.application.amount or None if self.application is not None else None

    @property
    def can_answer(self) -> bool:
        """Confirm or decline: an open offer the talent answers (on either page, with the same services)."""
        return self.state == B.OFFERED and self.entitlement is not None

    @property
    def needs_child_name(self) -> bool:
        item = self.application.item if self.application is not None else None
        return item is not None and item.outcome == Outcome.EDUCATION_VOUCHER

    @property
    def notice(self):
        """The window's one correction notice, while it is what the talent must act on."""
        if self.state != B.CORRECTION or self.application is None:
            return None
        return getattr(self.application, "correction_notice", None)

    @property
    def steps(self) -> list[StepTask]:
        return list(self.application.steps.all()) if self.application is not None else []


@dataclass(frozen=True)
class StorySection:
    key: str
    title: str
    stories: list[BenefitStory]


# -- reading both rows --------------------------------------------------------------------------------------


def benefit_stories(
    user: User,
    talent: Talent | None,
    *,
    explanations: Mapping[int, Any] | None = None,
    today: dt.date | None = None,
) -> list[BenefitStory]:
    """Every benefit of `talent` the user sees: one story per entitlement (with the application paying
    it), then one per application paying under a policy the talent holds no entitlement of. An older
    application of the same benefit is history: it stays on the applications list, not in the story."""
    if talent is None:
        return []
    today = today or timezone.localdate()
    entitlements = list(
        visible_to(user, Entitlement.objects.filter(talent=talent))
        .select_related("policy")
        .prefetch_related("instalments")  # a staged benefit's schedule, shown under it
        .order_by("pk")
    )
    applications = _applications(user, talent, today)
    by_policy = _applications_by_policy(applications)
    in_force = _policies_in_force(talent, today)
    stories = []
    for entitlement in entitlements:
        current = _paying(entitlement, by_policy.pop(entitlement.policy_id, []))
        stories.append(_story(entitlement.policy, entitlement, current, in_force))
    policies = Policy.objects.in_bulk(list(by_policy))
    for policy_id, history in by_policy.items():
        stories.append(_story(policies.get(policy_id), None, history[0], in_force))
    explanations = explanations or {}
    return [replace(s, explanation=explanations.get(s.policy_id or 0)) for s in stories]


def story_sections(stories: list[BenefitStory]) -> list[StorySection]:
    """The stories in the page's sections (empty sections left out), the same on both pages."""
    sections = [
        StorySection(key, str(title), [story for story in stories if story.state in states])
        for key, title, states in SECTIONS
    ]
    return [section for section in sections if section.stories]


def _applications(user: User, talent: Talent, today: dt.date) -> list[Application]:
    steps = selectors.with_colour(
        StepTask.objects.select_related("department", "step").order_by("group", "id"), today
    )
    loans = HousingLoanReferral.objects.select_related("department").order_by("-referred_at", "-id")
    return list(
        selectors.applications_for(user)
        .filter(talent=talent)
        .select_related("item__policy", "correction_notice", "entitlement")
        .prefetch_related(Prefetch("steps", queryset=steps), Prefetch("loan_referrals", queryset=loans))
        .order_by("-created_at", "-id")
    )


def _applications_by_policy(applications: list[Application]) -> dict[int, list[Application]]:
    """Per policy, the applications paying under it, newest first: an offer's policy is its entitlement's,
    an application's the one its budget reservation was charged to (a county's own policy replacing the
    item's), else the item's."""
    references = {a.reservation_reference: a for a in applications if not a.entitlement_id}
    charged = dict(
        Reservation.objects.filter(reference__in=list(references)).values_list("reference", "policy_id")
    )
    by_policy: dict[int, list[Application]] = {}
    for application in applications:  # newest first
        if application.entitlement is not None:
            policy_id: int | None = application.entitlement.policy_id
        else:
            policy_id = charged.get(application.reservation_reference, application.item.policy_id)
        if policy_id is not None:
            by_policy.setdefault(policy_id, []).append(application)
    return by_policy


def _paying(entitlement: Entitlement, applications: list[Application]) -> Application | None:
    """The application that tells how the entitlement is paid: the newest of its own offer and of the
    applications the talent made for the policy that are open or delivered (a withdrawn, rejected or draft
    one of those is history and tells nothing about the entitlement)."""
    candidates = [
        a
        for a in applications
        if a.entitlement_id == entitlement.pk or (not a.entitlement_id and a.state in DELIVERING)
    ]
    return candidates[0] if candidates else None


def _policies_in_force(talent: Talent, today: dt.date) -> set[int]:
    """The policies with a version in force where the talent lives (a county's own replacing the city's)."""
    return {
        item.version.policy_id
        for item in versions_in_force(today, region=talent.region)
        if talent.region.code in item.region_codes
    }


# -- the one state -----------------------------------------------------------------------------------------


def _story(
    policy: Policy | None,
    entitlement: Entitlement | None,
    application: Application | None,
    in_force: set[int],
) -> BenefitStory:
    state, detail = _state(entitlement, application)
    can_reclaim = state == B.DECLINED and entitlement is not None and entitlement.policy_id in in_force
    if can_reclaim:
        detail += _("政策有效且预算有余额时，可以恢复领取。")
    return BenefitStory(policy, entitlement, application, state, detail, can_reclaim=can_reclaim)


def _state(entitlement: Entitlement | None, application: Application | None) -> tuple[BenefitState, str]:
    """The talent's state and its sentence. The application tells how far the payment has got; the
    entitlement speaks where no application moves (none yet, or an offer its entitlement no longer
    backs: declined, revoked, queued or under review)."""
    if application is None:
        assert entitlement is not None  # a story has one row at least
        return _entitlement_state(entitlement)
    if (
        entitlement is not None
        and application.state in (S.OFFERED, S.WITHDRAWN)
        and entitlement.status not in CONFIRMABLE
    ):
        return _entitlement_state(entitlement)
    if application.state == S.OFFERED:
        return B.OFFERED, _("您符合条件。确认领取后无需提交材料，直接转相关部门办理。")
    if application.state == S.WITHDRAWN:
        return B.WITHDRAWN, _("申请已撤回。")
    if application.state in (S.APPROVED, S.COMPLETED):
        return _completed_state(application)
    state = APPLICATION_STATES[application.state]
    return state, _progress_detail(application, state)


def _entitlement_state(entitlement: Entitlement) -> tuple[BenefitState, str]:
    state = ENTITLEMENT_STATES[entitlement.status]
    if state == B.OFFERED:
        if entitlement.policy.service_item_code:
            return state, _("您符合条件。确认领取后无需提交材料，直接转相关部门办理。")
        return state, _("您符合条件，确认领取后即兑现。")
    if state == B.PAID:
        if entitlement.policy.service_item_code:
            # granted by the matching run, the application that delivers it not made yet
            return B.IN_PROGRESS, _("已确定享受，系统正在生成办理事项。")
        return state, _("已按政策兑现，无需申请。")
    if state == B.QUEUED:
        return state, _("预算暂时用完，您排在第 %(n)s 位；预算追加后按排队顺序兑现。") % {
            "n": entitlement.queue_position or "—"
        }
    if state == B.FLAGGED:
        return state, _("您的情况有变化，正由政策部门复核，复核前暂不兑现。")
    if state == B.DECLINED:
        return state, _("您已放弃，为您预留的资金已退回政策预算。")
    return state, _("已撤销。")


def _progress_detail(application: Application, state: BenefitState) -> str:
    if state == B.CORRECTION:
        return _("窗口已一次性告知需补正的材料，补正后由原受理人员继续办理。")
    if state == B.DRAFT:
        return _("草稿尚未提交。")
    if state == B.REJECTED:
        refused = [s for s in application.steps.all() if s.state == StepState.REJECTED]
        if refused:
            return _("%(department)s意见：%(reason)s") % {
                "department": refused[0].department.name,
                "reason": refused[0].reason,
            }
        return _("申请未通过。")
    if application.state in (S.SUBMITTED, S.RESUBMITTED):
        return _("综合窗口受理中，受理后转部门办理。")
    pending = [s for s in application.steps.all() if s.state == StepState.PENDING]
    if not pending:
        return _("部门办理中。")
    departments = "、".join(dict.fromkeys(s.department.name for s in pending))
    return _("部门办理中：%(departments)s审核，承诺 %(due)s 前办结。") % {
        "departments": departments,
        "due": max(s.due_on for s in pending).isoformat(),
    }


def _completed_state(application: Application) -> tuple[BenefitState, str]:
    """Completed means paid, except a housing loan: completing refers it, the fund centre decides."""
    outcome = application.item.outcome
    if outcome == Outcome.HOUSING_LOAN:
        referral = next(iter(application.loan_referrals.all()), None)
        if referral is not None and referral.status == LoanStatus.REFERRED:
            return B.IN_PROGRESS, _("已转介%(centre)s，等待贷款审批。") % {"centre": referral.department.name}
        if referral is not None and referral.status == LoanStatus.DECLINED:
            return B.REJECTED, _("%(centre)s未批准：%(note)s") % {
                "centre": referral.department.name,
                "note": referral.decision_note,
            }
        if referral is not None:
            return B.PAID, _("已办结：%(centre)s已批准贷款。") % {"centre": referral.department.name}
    day = timezone.localdate(application.completed_at) if application.completed_at else None
    when = day.isoformat() if day else ""
    if outcome == Outcome.GOLD_CARD:
        return B.PAID, _("已办结：人才金卡已于 %(day)s 发放。") % {"day": when}
    if outcome == Outcome.EDUCATION_VOUCHER:
        return B.PAID, _("已办结：教育券已于 %(day)s 发放，由学校凭券兑付。") % {"day": when}
    return B.PAID, _("已办结：已于 %(day)s 兑现。") % {"day": when}


def _item_name(code: str) -> str | None:
    """The name officers know a service item by (the same code names one item in every county)."""
    return ServiceItem.objects.filter(code=code).values_list("name", flat=True).first()


def register() -> None:
    """Give the policies pages the one route that tells and pays benefits (`PaymentRoute`); from `ready()`."""
    register_payment_route(
        PaymentRoute(
            stories=benefit_stories,
            groups=story_sections,
            confirm=confirm_benefit,
            decline=decline_benefit,
            reclaim=reclaim_benefit,
            item_name=_item_name,
        )
    )
