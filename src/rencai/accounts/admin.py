"""Django admin for users and API tokens. Who may do what is granted here, so every change made through
the admin enters the hash-chained audit log: a user's rights with their before and after, any other
admin action with Django's own change message."""

from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.admin import UserAdmin
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from rencai.accounts.models import ApiToken, User
from rencai.core import audit

# What decides a user's rights (the password hash is never copied into the log).
# The single sign-on subject counts: whoever signs in at the provider with it gets this account.
RIGHTS_FIELDS = ("username", "role", "region_id", "department_id", "enterprise_id", "is_active", "is_staff",
                 "is_superuser", "oidc_subject")  # fmt: skip


def rights_of(user: User) -> dict:
    values = {field: getattr(user, field) for field in RIGHTS_FIELDS}
    values["groups"] = sorted(user.groups.values_list("name", flat=True))
    values["permissions"] = sorted(user.user_permissions.values_list("codename", flat=True))
    return values


@admin.register(User)
class RencaiUserAdmin(UserAdmin):
    fieldsets = (
        *UserAdmin.fieldsets,
        ("Rencai", {"fields": ("role", "display_name", "region", "department", "enterprise")}),
        (_("统一身份认证"), {"fields": ("oidc_subject",)}),
    )
    list_display = ("username", "display_name", "role", "region", "enterprise", "is_active")
    list_filter = ("role", "region", "is_active")

    def save_model(self, request, obj, form, change):
        before = rights_of(User.objects.get(pk=obj.pk)) if change and obj.pk else {}
        request._rights_before = before
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)  # groups and permissions are saved here
        user = form.instance
        before, after = getattr(request, "_rights_before", {}), rights_of(user)
        audit.record(
            actor=request.user,
            action="accounts.user.rights_change" if change else "accounts.user.create",
            obj=user,
            ip=request.META.get("REMOTE_ADDR", ""),
            detail={
                "via": "admin",
                "before": before,
                "after": after,
                "changed": sorted(key for key in after if before.get(key) != after[key]),
            },
        )

    def delete_model(self, request, obj):
        before = rights_of(obj)
        super().delete_model(request, obj)
        audit.record(
            actor=request.user,
            action="accounts.user.delete",
            object_type="accounts.user",
            object_id=str(before.get("username")),
            detail={"via": "admin", "before": before},
        )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "prefix", "created_at", "last_used_at", "revoked")
    readonly_fields = ("key_hash", "prefix")


@receiver(post_save, sender=LogEntry, dispatch_uid="rencai.admin_log_to_audit")
def _admin_action_to_audit(sender, instance: LogEntry, created: bool, **kwargs) -> None:
    """Every admin add, change and delete (groups and their permissions included) in the chained log."""
    if not created:
        return
    model = instance.content_type.model_class() if instance.content_type else None
    if getattr(admin.site._registry.get(model), "audits_itself", False):
        return  # its admin records each save and delete with the changed fields already
    kind = {1: "add", 2: "change", 3: "delete"}.get(instance.action_flag, str(instance.action_flag))
    content_type = instance.content_type
    audit.record(
        actor=instance.user,
        action=f"admin.log.{kind}",  # Django's own admin log, mirrored (registry models add their own)
        object_type=f"{content_type.app_label}.{content_type.model}" if content_type else "",
        object_id=instance.object_id or "",
        detail={"object": instance.object_repr, "change": instance.get_change_message()},
    )
