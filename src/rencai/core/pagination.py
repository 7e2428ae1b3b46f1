"""API list pages: one bound on page sizes for every route, refused in both languages; cursor pages
(`cursor_page`) for lists that grow while they are walked, limit/offset windows for short queues.
"""

import base64
import binascii
from typing import Any

from django.db.models import QuerySet
from ninja import Schema
from ninja.pagination import LimitOffsetPagination as NinjaLimitOffsetPagination

from rencai.core.errors import Problem, ValidationFailed, problem

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_OFFSET = 1_000_000_000


def _limit_problem(limit: int) -> list[Problem]:
    if 1 <= limit <= MAX_LIMIT:
        return []
    return [problem("limit", f"每页条数须在1至{MAX_LIMIT}之间", f"limit must be between 1 and {MAX_LIMIT}")]


def check_window(*, limit: int, offset: int) -> None:
    """Raise ValidationFailed (422) for a limit outside 1..MAX_LIMIT or an offset outside 0..MAX_OFFSET."""
    problems = _limit_problem(limit)
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


# Cursor pages: ordered by -id, the cursor is opaque (base64 of the last id seen), so a walk never repeats
# or skips a row even while rows are added.


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if raw.isdigit():
            return int(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ValidationFailed([problem("cursor", "分页游标无效", "The cursor is not valid")])


def cursor_page(queryset: QuerySet, *, cursor: str, limit: int) -> dict:
    """One page of `queryset` after `cursor`, newest first, and the cursor of the next page (or None)."""
    problems = _limit_problem(limit)
    if problems:
        raise ValidationFailed(problems)
    after = decode_cursor(cursor)
    queryset = queryset.order_by("-id")
    if after is not None:
        queryset = queryset.filter(id__lt=after)
    rows = list(queryset[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": encode_cursor(rows[-1].pk) if more else None}
