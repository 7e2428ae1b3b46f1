from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from rencai.accounts.models import ApiToken, User


@admin.register(User)
class RencaiUserAdmin(UserAdmin):
    fieldsets = (
        *UserAdmin.fieldsets,
        ("Rencai", {"fields": ("role", "display_name", "region", "department", "enterprise")}),
    )
    list_display = ("username", "display_name", "role", "region", "enterprise", "is_active")
    list_filter = ("role", "region", "is_active")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "prefix", "created_at", "last_used_at", "revoked")
    readonly_fields = ("key_hash", "prefix")
