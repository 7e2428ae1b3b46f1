"""The API's shared shapes: the one error body every refusal has, the statuses each operation documents with
it, and the bounds of ids and page windows that the server enforces (declared so the OpenAPI document says
what the server accepts).
"""

import datetime as dt
from typing import Annotated

from ninja import Schema
from pydantic import AfterValidator, BeforeValidator, Field
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from rencai.core.pagination import MAX_LIMIT, MAX_OFFSET

# The largest primary key the databases store (a signed 64-bit integer); a larger id would not fit the
# query's parameter, so it is refused with 422 like any other malformed id
MAX_ID = 2**63 - 1


class ProblemOut(Schema):
    """One field's problem (`core.errors.problem`); a rule's problem adds its line and column."""

    field: str
    message_zh: str
    message_en: str


class ErrorOut(Schema):
    """Every refusal: a stable code, the message in the request's language, both languages, details."""

    code: str
    message: str
    message_zh: str
    message_en: str
    details: list[ProblemOut]


# Statuses every operation can answer whatever it does: no or a bad token (401), no right or a session
# call without its CSRF token (403), malformed input (422), the database out of reach (503, Retry-After).
ALWAYS = (401, 403, 422, 503)
NOT_FOUND = 404  # an id or a code outside the caller's scope, or that never was
REFUSED = 400  # a domain refusal of the input (materials missing, an unknown reference…)
CONFLICT = 409  # a refusal that depends on the state of the data (already open, not a draft…)
TOO_MANY = 429  # attempts throttled


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """The error responses of an operation: the statuses every operation can answer plus `statuses`."""
    return {status: ErrorOut for status in sorted({*ALWAYS, *statuses})}


# Path and query parameters with the bounds the server enforces
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# page windows: bounds stated here, refused by `core.pagination` (both at once, in both languages)
Limit = Annotated[int, Field(json_schema_extra={"minimum": 1, "maximum": MAX_LIMIT})]
Offset = Annotated[int, Field(json_schema_extra={"minimum": 0, "maximum": MAX_OFFSET})]


# Text that must not be blank and holds no NUL character (no column stores one). \x1c-\x1f are named beside
# \s: Python's strip() takes them for whitespace, Rust's regular expressions (pydantic's) do not.
NOT_BLANK = r"^[^\x00]*[^\x00\s\x1c-\x1f][^\x00]*$"


def text_schema(max_length: int | None) -> dict:
    """The JSON schema of a required text: not blank, no NUL, at most `max_length` characters."""
    schema: dict = {"minLength": 1, "pattern": NOT_BLANK}
    if max_length is not None:
        schema["maxLength"] = max_length
    return schema


def declared(schema: dict | None = None, **keywords) -> FieldInfo:
    """Constraints that the OpenAPI document states and the service behind the operation enforces, in its
    one input path that lists every problem at once (pydantic would stop at the first it knows)."""
    return Field(json_schema_extra={**(schema or {}), **keywords})


def _without_nul(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError(
            "nul", "Contains a NUL character; remove it", {"zh": "含有不可见的空字符（NUL），请删除"}
        )
    return value


# No column (and no PostgreSQL JSON value) stores a NUL character: refused before any service sees it
WITHOUT_NUL = AfterValidator(_without_nul)
# A reason, comment or note the service requires: not blank (the service says so), no NUL
Reason = Annotated[str, declared(text_schema(None)), WITHOUT_NUL]
# Free text that may be empty, without NUL
Note = Annotated[str, declared(pattern=r"^[^\x00]*$"), WITHOUT_NUL]


def _date_text(value: object) -> object:
    if not isinstance(value, str | dt.date):
        raise PydanticCustomError(
            "date_type", "Input should be a date (YYYY-MM-DD)", {"zh": "应为日期（YYYY-MM-DD）"}
        )
    return value


# A date as JSON carries it: text (pydantic would also read a number as a Unix time, which the schema's
# `format: date` does not allow)
Day = Annotated[dt.date, BeforeValidator(_date_text)]


# A page cursor as `core.pagination.encode_cursor` writes it: the last id's digits (at most 18, so that it
# fits the id column) in unpadded base64url. Each 3 digits are 4 characters of a narrow alphabet.
_QUARTET = "(?:[MN][DTjz]|O[DT])[AEIMQUYcgk][w-z0-5]"
_TAIL = "(?:[MN][AQgw]|O[AQ]|(?:[MN][DTjz]|O[DT])[AEIMQUYcgk])"
CURSOR = rf"^(?:{_QUARTET}){{0,5}}(?:{_QUARTET}|{_TAIL})?$"
Cursor = Annotated[str, Field(json_schema_extra={"pattern": CURSOR})]
