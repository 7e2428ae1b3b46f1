"""Admin: officers maintain the catalogue (items, steps, material types) here; applications are read-only."""

from django.contrib import admin

from rencai.onestop.models import (
    Application,
    CardVerification,
    DepartmentHead,
    EducationVoucher,
    GoldCard,
    HousingLoanReferral,
    MaterialType,
    ServiceItem,
    ServiceStep,
    StepTask,
    Transition,
)


@admin.register(MaterialType)
class MaterialTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


class ServiceStepInline(admin.TabularInline):
    model = ServiceStep
    extra = 0
    fields = ["group", "department_kind", "action", "sla_working_days"]


@admin.register(ServiceItem)
class ServiceItemAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "region", "policy", "outcome", "is_active"]
    list_filter = ["region", "outcome", "is_active"]
    search_fields = ["code", "name"]
    filter_horizontal = ["materials"]
    raw_id_fields = ["policy"]
    inlines = [ServiceStepInline]


@admin.register(DepartmentHead)
class DepartmentHeadAdmin(admin.ModelAdmin):
    list_display = ["department", "user"]
    raw_id_fields = ["user"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written only through the services (state machine, audit): viewable, never edited here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class TransitionInline(admin.TabularInline):
    model = Transition
    extra = 0
    fields = ["at", "from_state", "to_state", "role", "actor", "comment"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class StepTaskInline(admin.TabularInline):
    model = StepTask
    extra = 0
    fields = ["department", "group", "state", "opened_on", "due_on", "decided_by", "decided_at", "reason"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ["id", "item", "talent", "region", "state", "submitted_at", "completed_at"]
    list_filter = ["state", "region", "item__code"]
    search_fields = ["talent__name", "idempotency_key"]
    list_select_related = ["item", "talent", "region"]
    inlines = [StepTaskInline, TransitionInline]


@admin.register(GoldCard)
class GoldCardAdmin(ReadOnlyAdmin):
    list_display = ["card_number", "talent", "tier", "issued_on", "valid_until", "status"]
    list_filter = ["status", "tier", "region"]
    search_fields = ["card_number", "talent__name"]
    list_select_related = ["talent"]


@admin.register(CardVerification)
class CardVerificationAdmin(ReadOnlyAdmin):
    list_display = ["verified_at", "card_number", "provider", "result", "channel"]
    list_filter = ["result", "channel"]
    search_fields = ["card_number"]


@admin.register(EducationVoucher)
class EducationVoucherAdmin(ReadOnlyAdmin):
    list_display = ["voucher_number", "talent", "child_name", "amount", "status", "redeemed_at"]
    list_filter = ["status", "region"]
    search_fields = ["voucher_number", "talent__name"]
    list_select_related = ["talent"]


@admin.register(HousingLoanReferral)
class HousingLoanReferralAdmin(ReadOnlyAdmin):
    list_display = ["talent", "tier", "quota", "department", "status", "decided_at"]
    list_filter = ["status", "tier"]
    list_select_related = ["talent", "department"]
