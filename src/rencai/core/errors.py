"""Domain exceptions: a stable code plus a Chinese and an English message, rendered by UI and API.

`problem(field, zh, en)` is the one shape of a field's problem (in `ValidationFailed.details`, import row
reports and form errors alike).
"""

from collections.abc import Mapping, Sequence
from typing import TypedDict

from django.utils.translation import get_language


class Problem(TypedDict):
    field: str
    message_zh: str
    message_en: str


def problem(field: str, zh: str, en: str = "") -> Problem:
    """One field's problem in both languages (English falls back to the Chinese text)."""
    return {"field": field, "message_zh": zh, "message_en": en or zh}


def bilingual(message: str) -> tuple[str, str]:
    """Split a validator's "中文 / English" message into its two halves."""
    zh, _, en = message.partition(" / ")
    return zh, en or zh


class DomainError(Exception):
    """A refusal the user can understand and act on; never a stack trace."""

    status = 400

    def __init__(self, code: str, message_zh: str, message_en: str, *, details: list | None = None):
        super().__init__(message_en)
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.details = details or []

    @property
    def message(self) -> str:
        return self.message_en if (get_language() or "").startswith("en") else self.message_zh

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "message": self.message,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "details": self.details,
        }


class PermissionDenied(DomainError):
    status = 403

    def __init__(self, message_zh: str = "无权执行此操作", message_en: str = "You may not do this"):
        super().__init__("permission_denied", message_zh, message_en)


class NotFound(DomainError):
    status = 404

    def __init__(self, message_zh: str = "对象不存在或无权查看", message_en: str = "Not found"):
        super().__init__("not_found", message_zh, message_en)


class ValidationFailed(DomainError):
    """Input that breaks a rule; `details` lists each field's problem in both languages."""

    status = 422

    def __init__(
        self,
        details: Sequence[Mapping[str, object]],
        message_zh: str = "输入有误",
        message_en: str = "Invalid input",
    ):
        super().__init__("validation_failed", message_zh, message_en, details=list(details))
