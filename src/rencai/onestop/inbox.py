"""Which one-stop messages ask for something already done: a decided step or loan, an accepted application,
an answered offer, a correction sent back. The inbox shows them as handled (`core.notifications`)."""

from collections.abc import Iterable

from django.db.models import Model
from django.urls import Resolver404, resolve

from rencai.core.models import Notification
from rencai.core.notifications import HandledCheck, register_handled_check
from rencai.onestop.models import (
    Application,
    ApplicationState,
    HousingLoanReferral,
    LoanStatus,
    StepState,
    StepTask,
)


def _linked(messages: Iterable[Notification], url_name: str) -> dict[int, int]:
    """{message id: pk of the object its link opens}, for links to the page named `url_name`."""
    found = {}
    for message in messages:
        try:
            match = resolve(message.link)
        except Resolver404:
            continue
        if match.view_name == url_name and "pk" in match.kwargs:
            found[message.pk] = match.kwargs["pk"]
    return found


def _done(url_name: str, model: type[Model], *, still_open: dict) -> HandledCheck:
    """A check: the messages linking to a `model` row that no longer matches `still_open`."""

    def check(messages: list[Notification]) -> set[int]:
        linked = _linked(messages, url_name)
        handled = set(
            model._default_manager.filter(pk__in=set(linked.values()))
            .exclude(**still_open)
            .values_list("pk", flat=True)
        )
        return {message_id for message_id, pk in linked.items() if pk in handled}

    return check


# kind of message -> when the task it asks for is done
CHECKS = {
    # a department's step: decided (by anyone of the department) or cancelled
    "onestop.step": _done("onestop:step_detail", StepTask, still_open={"state": StepState.PENDING}),
    # a housing-fund referral: approved or declined
    "onestop.loan": _done(
        "onestop:loan_detail", HousingLoanReferral, still_open={"status": LoanStatus.REFERRED}
    ),
    # the window: an application (or its correction) waiting to be accepted or returned
    "onestop.window": _done(
        "onestop:application_detail",
        Application,
        still_open={"state__in": [ApplicationState.SUBMITTED, ApplicationState.RESUBMITTED]},
    ),
    "onestop.resubmitted": _done(
        "onestop:application_detail", Application, still_open={"state": ApplicationState.RESUBMITTED}
    ),
    # the applicant: an offer to confirm, materials to correct
    "onestop.offer": _done(
        "onestop:application_detail", Application, still_open={"state": ApplicationState.OFFERED}
    ),
    "onestop.returned": _done(
        "onestop:application_detail", Application, still_open={"state": ApplicationState.RETURNED}
    ),
}


def register() -> None:
    for kind, check in CHECKS.items():
        register_handled_check(kind, check)
