"""Limit/offset windows for API lists: one bound for every paginated route, refused in both languages."""

from typing import Any

from django.db.models import QuerySet
from ninja import Schema
from ninja.pagination import LimitOffsetPagination as NinjaLimitOffsetPagination

from rencai.core.errors import ValidationFailed, problem

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_OFFSET = 1_000_000_000


def check_window(*, limit: int, offset: int) -> None:
    """Raise ValidationFailed (422) for a limit outside 1..MAX_LIMIT or an offset outside 0..MAX_OFFSET."""
    problems = []
    if not 1 <= limit <= MAX_LIMIT:
        problems.append(
            problem("limit", f"每页条数须在1至{MAX_LIMIT}之间", f"limit must be between 1 and {MAX_LIMIT}")
        )
    if not 0 <= offset <= MAX_OFFSET:
        problems.append(
            problem(
                "offset", f"起始位置须在0至{MAX_OFFSET}之间", f"offset must be between 0 and {MAX_OFFSET}"
            )
        )
    if problems:
        raise ValidationFailed(problems)


def window(queryset: QuerySet, *, limit: int, offset: int) -> list:
    """The rows `offset … offset + limit` of `queryset`, after `check_window`."""
    check_window(limit=limit, offset=offset)
    return list(queryset[offset : offset + limit])


class LimitOffsetPagination(NinjaLimitOffsetPagination):
    """ninja's limit/offset pagination, with out-of-range values refused by `check_window`."""

    class Input(Schema):
        limit: int = 100  # ninja's default page size, as before
        offset: int = 0

    def paginate_queryset(self, queryset: QuerySet, pagination: Any, request: Any, **params: Any) -> Any:
        check_window(limit=pagination.limit, offset=pagination.offset)
        return super().paginate_queryset(queryset, pagination, request, **params)
