"""Why a sign-in through the provider is refused, with what the user is told in Chinese and English."""

from collections.abc import Mapping

from django.db import models

from rencai.core.errors import DomainError, ErrorCode


class Refusal(models.TextChoices):
    NO_SUBJECT = "no_subject"
    UNKNOWN_ROLE = "unknown_role"
    REGION_MISSING = "region_missing"
    UNKNOWN_REGION = "unknown_region"
    REGION_LEVEL = "region_level"
    DEPARTMENT_MISSING = "department_missing"
    UNKNOWN_DEPARTMENT = "unknown_department"
    ENTERPRISE_MISSING = "enterprise_missing"
    UNKNOWN_ENTERPRISE = "unknown_enterprise"
    INACTIVE = "inactive"
    INVALID_TOKEN = "invalid_token"
    STATE_MISMATCH = "state_mismatch"
    NOT_COMPLETED = "not_completed"
    PROVIDER_UNAVAILABLE = "provider_unavailable"
    PROVIDER_MISCONFIGURED = "provider_misconfigured"


# What the user is told; `{value}` is the claim that was refused
MESSAGES: dict[Refusal, tuple[str, str]] = {
    Refusal.NO_SUBJECT: (
        "统一身份认证未提供用户标识，不能登录。",
        "The identity service sent no subject identifier; sign-in refused.",
    ),
    Refusal.UNKNOWN_ROLE: (
        "统一身份认证提供的角色“{value}”不是本平台的角色，不能登录。请联系管理员。",
        "The role “{value}” sent by the identity service is not a role of this platform; sign-in refused. "
        "Contact the administrator.",
    ),
    Refusal.REGION_MISSING: (
        "该角色须有所属区划，但统一身份认证未提供区划代码，不能登录。",
        "This role needs a region, but the identity service sent no region code; sign-in refused.",
    ),
    Refusal.UNKNOWN_REGION: (
        "统一身份认证提供的区划代码“{value}”不是本平台的行政区划，不能登录。请联系管理员。",
        "The region code “{value}” sent by the identity service is not a region of this platform; sign-in "
        "refused. Contact the administrator.",
    ),
    Refusal.REGION_LEVEL: (
        "区划“{value}”与所给角色的级别不符，不能登录。请联系管理员。",
        "The region “{value}” does not match the level of the role; sign-in refused. Contact the "
        "administrator.",
    ),
    Refusal.DEPARTMENT_MISSING: (
        "职能部门账号须有所属部门，但统一身份认证未提供部门，不能登录。",
        "A department account needs its department, but the identity service sent none; sign-in refused.",
    ),
    Refusal.UNKNOWN_DEPARTMENT: (
        "统一身份认证提供的部门“{value}”在该区划不存在，不能登录。请联系管理员。",
        "The department “{value}” sent by the identity service does not exist in that region; sign-in "
        "refused. Contact the administrator.",
    ),
    Refusal.ENTERPRISE_MISSING: (
        "用人单位账号须有统一社会信用代码，但统一身份认证未提供，不能登录。",
        "An enterprise account needs a unified social credit code, but the identity service sent none; "
        "sign-in refused.",
    ),
    Refusal.UNKNOWN_ENTERPRISE: (
        "统一社会信用代码“{value}”的企业未在本平台登记，不能登录。请联系管理员。",
        "No enterprise with the unified social credit code “{value}” is registered here; sign-in refused. "
        "Contact the administrator.",
    ),
    Refusal.INACTIVE: ("该账号已停用，不能登录。", "This account is disabled; sign-in refused."),
    Refusal.INVALID_TOKEN: (
        "统一身份认证返回的身份令牌无效（签名、签发方、受众或有效期不符），不能登录。",
        "The identity token returned by the identity service is invalid (signature, issuer, audience or "
        "expiry); sign-in refused.",
    ),
    Refusal.STATE_MISMATCH: (
        "该登录响应不属于本浏览器发起的登录请求或已失效，请重新登录。",
        "This sign-in response does not belong to a sign-in started in this browser, or has expired; "
        "please sign in again.",
    ),
    Refusal.NOT_COMPLETED: (
        "统一身份认证登录未完成，请重试或使用账号密码登录。",
        "Single sign-on was not completed; try again or sign in with your password.",
    ),
    Refusal.PROVIDER_UNAVAILABLE: (
        "统一身份认证服务暂时无法访问，请稍后重试或使用账号密码登录。",
        "The identity service cannot be reached; try again later or sign in with your password.",
    ),
    Refusal.PROVIDER_MISCONFIGURED: (
        "统一身份认证配置有误，请联系管理员。",
        "Single sign-on is misconfigured; contact the administrator.",
    ),
}


class SsoRefused(DomainError):
    """A sign-in through the provider that is refused: the reason, the technical error and the claims that
    caused it (for the audit log, see `views.refuse`)."""

    status = 403

    def __init__(self, reason: Refusal, *, value: str = "", error: str = "", claims: Mapping | None = None):
        zh, en = MESSAGES[reason]
        super().__init__(ErrorCode.SSO_REFUSED, zh.format(value=value), en.format(value=value))
        self.reason = reason
        self.error = error
        self.claims: Mapping = claims or {}
