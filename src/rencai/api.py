"""The one NinjaAPI: token authentication, domain errors as JSON, each app's router mounted."""

from ninja import NinjaAPI
from ninja.errors import ValidationError as NinjaValidationError

from rencai.accounts.auth import SessionOrTokenAuth
from rencai.core.errors import DomainError, ValidationFailed, problem

api = NinjaAPI(
    title="Rencai API",
    version="1",
    description="衢州市人才工作平台 API / Quzhou talent-work platform API",
    auth=SessionOrTokenAuth(),
    urls_namespace="api",
)


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


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
    "literal_error": "不是允许的取值",
    "enum": "不是允许的取值",
    "json_invalid": "请求体不是有效的 JSON",
}


@api.exception_handler(NinjaValidationError)
def input_error(request, exc: NinjaValidationError):
    """Malformed input (missing field, wrong type) in the same bilingual shape as every other refusal."""
    details = []
    for entry in exc.errors:
        location = [str(part) for part in entry.get("loc", ()) if part not in ("body", "query", "path")]
        field = ".".join(location[1:] if location[:1] == ["payload"] else location)
        details.append(
            problem(
                field,
                INPUT_PROBLEMS_ZH.get(entry.get("type", ""), "格式不正确"),
                entry.get("msg", "Invalid value"),
            )
        )
    error = ValidationFailed(details, message_zh="请求格式有误", message_en="Malformed request")
    return api.create_response(request, error.as_dict(), status=error.status)


def _mount() -> None:
    from rencai.onestop.api import router as onestop_router
    from rencai.policies.api import router as policies_router
    from rencai.registry.api import router as registry_router

    api.add_router("/registry/", registry_router)
    api.add_router("/policies/", policies_router)
    api.add_router("/", onestop_router)  # /api/services/…, /api/cards/verify


_mount()
