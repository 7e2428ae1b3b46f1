"""Django admin for the registries (superusers only): reference data editable, personal data never shown.

Talents are registered through the pages, the API or an import (the services seal the ID number); here an
administrator may correct the other fields. Every admin change is written to the audit log as well.
"""

from django.contrib import admin

from rencai.core import audit
from rencai.registry.models import (
    Academician,
    Achievement,
    AchievementHolder,
    Department,
    Enterprise,
    ImportBatch,
    Project,
    ProjectMember,
    StationCooperation,
    Talent,
    TalentPlatform,
    TierDefinition,
)


class AuditedAdmin(admin.ModelAdmin):
    """Records each save and delete made in the admin in the hash-chained audit log (so accounts.admin does
    not mirror Django's admin log for these models a second time)."""

    audits_itself = True

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit.record(
            actor=request.user,
            action=f"admin.{'change' if change else 'add'}",
            obj=obj,
            detail={"fields": sorted(form.changed_data)},
        )

    def delete_model(self, request, obj):
        audit.record(actor=request.user, action="admin.delete", obj=obj, detail={"label": str(obj)})
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit.record(actor=request.user, action="admin.delete", obj=obj, detail={"label": str(obj)})
        super().delete_queryset(request, queryset)


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin):
    list_display = ["name", "kind", "region"]
    list_filter = ["kind", "region"]
    search_fields = ["name"]


@admin.register(Enterprise)
class EnterpriseAdmin(AuditedAdmin):
    list_display = [
        "name",
        "credit_code",
        "region",
        "industry",
        "size",
        "is_high_tech",
        "is_platform_enterprise",
    ]
    list_filter = ["region", "industry", "size", "is_high_tech", "is_platform_enterprise"]
    search_fields = ["name", "credit_code"]


@admin.register(TalentPlatform)
class TalentPlatformAdmin(AuditedAdmin):
    list_display = ["name", "kind", "region", "location", "host_enterprise", "established_on"]
    list_filter = ["kind", "region"]
    search_fields = ["name", "host_institution"]
    raw_id_fields = ["host_enterprise"]


@admin.register(Academician)
class AcademicianAdmin(AuditedAdmin):
    list_display = ["name", "academy", "field", "affiliation", "region"]
    list_filter = ["academy", "region"]
    search_fields = ["name", "affiliation"]


@admin.register(StationCooperation)
class StationCooperationAdmin(AuditedAdmin):
    list_display = ["academician", "station", "started_on", "ended_on", "team_size"]
    list_filter = ["station__region"]
    search_fields = ["academician__name", "station__name"]
    raw_id_fields = ["academician", "station"]


@admin.register(TierDefinition)
class TierDefinitionAdmin(AuditedAdmin):
    list_display = ["region", "code", "name"]
    list_filter = ["region", "code"]
    search_fields = ["name", "criteria"]


# The sealed columns never appear in a form: no ciphertext, no blind index, no plaintext input.
TALENT_SEALED_FIELDS = ["id_number_ciphertext", "id_number_index", "id_number_tail_index", "phone_ciphertext"]


@admin.register(Talent)
class TalentAdmin(AuditedAdmin):
    list_display = ["name", "id_number_masked", "region", "team", "tier", "current_employer", "status"]
    list_filter = ["region", "team", "tier", "status"]
    search_fields = ["name"]
    list_select_related = ["region", "current_employer"]
    show_full_result_count = False  # a million rows: skip the second COUNT
    exclude = TALENT_SEALED_FIELDS
    readonly_fields = ["id_kind", "id_number_masked", "phone_masked", "birth_date", "gender", "account"]
    raw_id_fields = ["current_employer"]

    def get_search_results(self, request, queryset, search_term):
        # a name prefix uses the name index; "contains" would scan the whole registry
        if not search_term:
            return queryset, False
        return queryset.filter(name__startswith=search_term.strip()), False

    def has_add_permission(self, request):
        return False  # registration seals the ID number: use the registry pages, the API or an import


class AchievementHolderInline(admin.TabularInline):
    model = AchievementHolder
    extra = 0
    raw_id_fields = ["talent"]


@admin.register(Achievement)
class AchievementAdmin(AuditedAdmin):
    list_display = ["title", "kind", "reference", "achieved_on", "amount", "level", "region", "enterprise"]
    list_filter = ["kind", "level", "region"]
    search_fields = ["title", "reference"]
    list_select_related = ["region", "enterprise"]
    raw_id_fields = ["enterprise"]
    inlines = [AchievementHolderInline]


class ProjectMemberInline(admin.TabularInline):
    model = ProjectMember
    extra = 0
    raw_id_fields = ["talent"]


@admin.register(Project)
class ProjectAdmin(AuditedAdmin):
    list_display = ["name", "lead", "company", "region", "industry", "investment", "landed_on"]
    list_filter = ["industry", "region"]
    search_fields = ["name"]
    raw_id_fields = ["lead", "company"]
    inlines = [ProjectMemberInline]


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    """Read-only: a batch is the record of what an import did."""

    list_display = [
        "created_at",
        "kind",
        "file_name",
        "region",
        "uploaded_by",
        "outcome",
        "total_rows",
        "created_count",
        "updated_count",
        "unchanged_count",
        "rejected_count",
    ]
    list_filter = ["kind", "outcome", "region"]
    search_fields = ["file_name", "uploaded_by__username"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
