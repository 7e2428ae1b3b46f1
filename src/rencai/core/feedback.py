"""What a page tells its user after a refused or invalid write: the one way views show a `DomainError`."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.utils.translation import get_language

from rencai.core.errors import DomainError, NotFound


def in_english() -> bool:
    """Whether the request is answered in English (else Chinese, the source language)."""
    return (get_language() or "").startswith("en")


def problem_text(detail: dict) -> str:
    """One problem of a refusal in the reader's language."""
    return (detail.get("message_en") if in_english() else detail.get("message_zh")) or ""


def show_error(request, error: DomainError, form=None) -> None:
    """The refusal as page messages, then each of its problems: on its field when `form` has that field,
    otherwise as a message of its own."""
    messages.error(request, error.message)
    for detail in error.details:
        text = problem_text(detail)
        field = detail.get("field")
        if form is not None and field in form.fields:
            form.add_error(field, text)
        elif text:
            messages.error(request, text)


def show_form_errors(request, form) -> None:
    """A bound form's errors as page messages (for a page that redirects instead of showing the form)."""
    for texts in form.errors.values():
        for text in texts:
            messages.error(request, str(text))


@dataclass(frozen=True)
class Outcome:
    """What `attempt` did: true when the write was done, with what the service returned (a service may
    return nothing, so the result alone cannot tell success from refusal)."""

    done: bool
    result: Any = None

    def __bool__(self) -> bool:
        return self.done


def attempt(request, write: Callable[[], Any], success: str) -> Outcome:
    """Run a service call from a page: on success its result and the success message; on a refusal the
    refusal shown (`show_error`) and nothing done. "Not found" stays a 404."""
    try:
        result = write()
    except NotFound:
        raise
    except DomainError as error:
        show_error(request, error)
        return Outcome(done=False)
    messages.success(request, success)
    return Outcome(done=True, result=result)
