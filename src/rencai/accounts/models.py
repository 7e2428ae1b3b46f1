"""Users, their role and where they belong (region, department, enterprise), and API tokens."""

import datetime as dt
import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CITY_ORG_DEPT = "city_org_dept", _("市委组织部")
    COUNTY_ORG_DEPT = "county_org_dept", _("县（市、区）委组织部")
    DEPARTMENT = "department", _("职能部门")
    ENTERPRISE = "enterprise", _("用人单位")
    TALENT = "talent", _("人才")
    REVIEWER = "reviewer", _("评审专家")
    PROVIDER = "provider", _("服务提供方")
    INTERMEDIARY = "intermediary", _("中介机构")


class User(AbstractUser):
    """An account. Its role decides what it may do; region/department/enterprise decide where."""

    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.TALENT)
    region = models.ForeignKey(
        "core.Region", verbose_name=_("所属区划"), null=True, blank=True, on_delete=models.PROTECT
    )
    department = models.ForeignKey(
        "registry.Department", verbose_name=_("所属部门"), null=True, blank=True, on_delete=models.PROTECT
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise", verbose_name=_("所属企业"), null=True, blank=True, on_delete=models.PROTECT
    )
    display_name = models.CharField(_("显示名称"), max_length=100, blank=True)
    # The `sub` claim of the single sign-on provider (rencai.accounts.sso): the only key that finds the
    # account of someone who signs in there. Empty for local-only accounts; unique when set.
    oidc_subject = models.CharField(_("统一身份认证标识"), max_length=255, blank=True, default="")

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.UniqueConstraint(
                fields=["oidc_subject"], condition=~models.Q(oidc_subject=""), name="user_oidc_subject_unique"
            ),
            models.CheckConstraint(
                name="officer_has_region",
                condition=~models.Q(role__in=["city_org_dept", "county_org_dept", "department"])
                | models.Q(region__isnull=False),
            ),
            models.CheckConstraint(
                name="enterprise_account_has_enterprise",
                condition=~models.Q(role="enterprise") | models.Q(enterprise__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username


TOKEN_LIFETIME = dt.timedelta(days=90)


class ApiToken(models.Model):
    """A bearer token for the API. Only a hash is stored; the key is shown once at creation. A token
    expires (90 days by default) and its owner can revoke it at any time, or all of them at logout."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=100, default="default")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("有效期至"), null=True, blank=True)
    revoked = models.BooleanField(default=False)
    revoked_at = models.DateTimeField(_("注销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(
        cls, user: User, name: str = "default", lifetime: dt.timedelta | None = TOKEN_LIFETIME
    ) -> tuple["ApiToken", str]:
        key = "rc_" + secrets.token_urlsafe(32)
        expires = timezone.now() + lifetime if lifetime is not None else None
        token = cls.objects.create(
            user=user, name=name, key_hash=cls.hash_key(key), prefix=key[:8], expires_at=expires
        )
        return token, key

    @classmethod
    def usable(cls):
        """Tokens that authenticate now: not revoked, not expired, of an active user."""
        return cls.objects.filter(revoked=False, user__is_active=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=timezone.now())
        )

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()
