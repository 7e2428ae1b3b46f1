"""The one NinjaAPI: token authentication, domain errors as JSON, each app's router mounted."""

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser

from rencai.accounts.auth import SessionOrTokenAuth
from rencai.core.errors import DomainError, ErrorCode, NotFound, PermissionDenied, ValidationFailed, problem


class ObjectParser(Parser):
    """Every request body of the API is a JSON object; anything else (a list, a number) is refused rather
    than read as an object whose every field is missing (ninja's schemas read attributes of any value)."""

    def parse_body(self, request):
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise ValueError("the request body is not a JSON object")
        return data


api = NinjaAPI(
    parser=ObjectParser(),
    title="Rencai API",
    version="1",
    description="衢州市人才工作平台 API / Quzhou talent-work platform API",
    auth=SessionOrTokenAuth(),
    urls_namespace="api",
)


# Refusals that depend on the state of the stored data rather than on the request (the services raise them
# with the default 400): the API answers 409 Conflict, as it does for "already open" or "already redeemed".
STATE_CONFLICTS = {
    ErrorCode.VERSION_NOT_DRAFT,
    ErrorCode.VERSION_NOT_ISSUED,
    ErrorCode.VERSION_OVERLAP,
    ErrorCode.ENTITLEMENT_NOT_OFFERED,
    ErrorCode.CARD_REVOKED,
    ErrorCode.CARD_HELD,
    ErrorCode.NOTICE_EXISTS,
    ErrorCode.STEP_DECIDED,
    ErrorCode.LOAN_DECIDED,
    ErrorCode.VOUCHER_CANCELLED,
    ErrorCode.VOUCHER_REDEEMED,
    ErrorCode.ILLEGAL_TRANSITION,
    ErrorCode.SCHEME_PUBLISHED,
    ErrorCode.ROUND_CLOSED,
    ErrorCode.DEADLINE_PASSED,
    ErrorCode.CONFLICT_OF_INTEREST,
    ErrorCode.POOL_TOO_SMALL,
    ErrorCode.QUORUM_NOT_MET,
    ErrorCode.OBJECTION_DUPLICATE,
    ErrorCode.NOTICE_NOT_OVER,
    ErrorCode.QUOTA_EXCEEDED,
    ErrorCode.INTEGRITY_VETO,
    ErrorCode.ALREADY_REFERRED,
    ErrorCode.NOT_CONFIRMED,
    ErrorCode.CAP_REACHED,
}


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    status = 409 if exc.status == 400 and exc.code in STATE_CONFLICTS else exc.status
    return api.create_response(request, exc.as_dict(), status=status)


# ninja's own refusals answer {"detail": …}; they are given the one error shape (core.schemas.ErrorOut) that
# the OpenAPI document promises for every status.


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc: AuthenticationError):
    error = DomainError(
        ErrorCode.PERMISSION_DENIED,
        "请先登录，或提供有效的 API 令牌",
        "Log in or give a valid API token",
    )
    return api.create_response(request, error.as_dict(), status=401)


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    if exc.status_code == 403:  # the CSRF check of a session call
        error: DomainError = PermissionDenied(
            "请求缺少有效的 CSRF 令牌", "The request lacks a valid CSRF token"
        )
        return api.create_response(request, error.as_dict(), status=403)
    # ninja's other HttpError is a body that is not a JSON object (see ObjectParser): malformed input, 422
    # like every other (the OpenAPI document lists it for every operation)
    error = ValidationFailed(
        [problem("", "请求体不是有效的 JSON 对象", "The request body is not a JSON object")],
        message_zh="请求格式有误",
        message_en="Malformed request",
    )
    return api.create_response(request, error.as_dict(), status=error.status)


@api.exception_handler(Http404)
def not_found(request, exc: Http404):
    return api.create_response(request, NotFound().as_dict(), status=404)


# pydantic's error types, said in Chinese; anything else falls back to a general "格式不正确".
INPUT_PROBLEMS_ZH = {
    "missing": "必填项缺失",
    "int_parsing": "应为整数",
    "float_parsing": "应为数字",
    "decimal_parsing": "应为数字",
    "bool_parsing": "应为是或否（true/false）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "string_type": "应为文本",
    "string_too_long": "文本过长",
    "string_too_short": "文本不能为空",
    "string_pattern_mismatch": "格式不正确",
    "greater_than_equal": "应不小于{ge}",
    "less_than_equal": "应不大于{le}",
    "too_long": "条目过多",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "dict_type": "应为对象",
    "list_type": "应为列表",
    "int_type": "应为整数",
    "bool_type": "应为是或否（true/false）",
    "literal_error": "不是允许的取值",
    "enum": "不是允许的取值",
    "json_invalid": "请求体不是有效的 JSON",
}


def _in_both_languages(entry: dict) -> tuple[str, str]:
    """A pydantic error in Chinese and English: a NUL character named as such, the Chinese a validator
    gave (`core.schemas`), or the error type's Chinese with its bounds."""
    context = entry.get("ctx") or {}
    if "\x00" in str(entry.get("input", "")):
        return "含有不可见的空字符（NUL），请删除", "Contains a NUL character; remove it"
    zh = context.get("zh") or INPUT_PROBLEMS_ZH.get(entry.get("type", ""), "格式不正确").format(**context)
    return zh, entry.get("msg", "Invalid value")


@api.exception_handler(NinjaValidationError)
def input_error(request, exc: NinjaValidationError):
    """Malformed input (missing field, wrong type) in the same bilingual shape as every other refusal."""
    details = []
    for entry in exc.errors:
        location = [str(part) for part in entry.get("loc", ()) if part not in ("body", "query", "path")]
        field = ".".join(location[1:] if location[:1] == ["payload"] else location)
        details.append(problem(field, *_in_both_languages(entry)))
    error = ValidationFailed(details, message_zh="请求格式有误", message_en="Malformed request")
    return api.create_response(request, error.as_dict(), status=error.status)


def _mount() -> None:
    from rencai.analytics.api import router as analytics_router
    from rencai.coordination.api import router as coordination_router
    from rencai.evaluation.api import router as evaluation_router
    from rencai.onestop.api import router as onestop_router
    from rencai.policies.api import router as policies_router
    from rencai.recruitment.api import router as recruitment_router
    from rencai.registry.api import router as registry_router

    api.add_router("/registry/", registry_router)
    api.add_router("/policies/", policies_router)
    api.add_router("/", onestop_router)  # /api/services/…, /api/cards/verify
    api.add_router("/evaluation/", evaluation_router)
    api.add_router("/recruitment/", recruitment_router)
    api.add_router("/analytics/", analytics_router)
    api.add_router("/coordination/", coordination_router)


_mount()
