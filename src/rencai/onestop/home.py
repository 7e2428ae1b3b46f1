"""The one-stop panels of the home page: a department's queue, a talent's gold card, a provider's counter."""

import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone

from rencai.core.access import Action, may
from rencai.onestop import selectors
from rencai.onestop.models import ApplicationState, CardStatus
from rencai.onestop.verification import flush_verification_log


def work_panel(user, *, today: dt.date | None = None) -> dict | None:
    """What leads the home page: the steps waiting at a department officer's own department, or a talent's
    gold card and open applications."""
    if not user.is_authenticated:
        return None
    if may(user, Action.DECIDE_STEP) and user.department_id:
        return _department_queue(user, today or timezone.localdate())
    if may(user, Action.APPLY_FOR_SELF):
        return _talent_services(user)
    return None


def counter_panel(user, *, today: dt.date | None = None) -> dict | None:
    """A provider's two jobs, verifying gold cards and redeeming education vouchers, and today's checks."""
    if not user.is_authenticated or not may(user, Action.REDEEM_VOUCHER):
        return None
    today = today or timezone.localdate()
    flush_verification_log()  # checks are spooled; the panel counts the latest, as the counter page does
    checked_today = selectors.verifications_of_provider(user).filter(verified_at__date=today).count()
    return {"template": "onestop/_home_counter.html", "checked_today": checked_today}


def _department_queue(user, today: dt.date) -> dict:
    # One aggregate over the queue selector (already restricted to the user's department and region)
    counts = (
        selectors.department_queue(user, today=today)
        .order_by()
        .aggregate(
            waiting=Count("pk"),
            overdue=Count("pk", filter=Q(due_on__lt=today)),
            due_today=Count("pk", filter=Q(due_on=today)),
        )
    )
    loans = selectors.loan_queue(user).count() if may(user, Action.DECIDE_LOAN) else 0
    department = user.department
    return {
        "template": "onestop/_home_queue.html",
        "counts": counts,
        "loans": loans,
        "department": department,
    }


def _talent_services(user) -> dict:
    card = selectors.cards_of(user).order_by("status", "-issued_on", "-id").first()
    return {
        "template": "onestop/_home_talent.html",
        "card": card,
        "card_active": card is not None and card.status == CardStatus.ACTIVE,
        # what "my applications" lists (offers are listed apart, above it)
        "applications": selectors.applications_of_talent(user)
        .exclude(state=ApplicationState.OFFERED)
        .count(),
        "offers": selectors.offers_of(user).count(),
    }
