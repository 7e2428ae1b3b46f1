"""Admin of the evaluation app: each part registers its models here (small additions, one section each)."""

from django.contrib import admin

from rencai.core.admin import ServiceWrittenAdmin
from rencai.evaluation.models import (
    Case,
    CaseTransition,
    CaseWork,
    CtoAppointment,
    CtoYearlyCheck,
    EnterpriseOfficer,
    Expert,
    ExpertField,
    Indicator,
    IntegrityFinding,
    Objection,
    Panel,
    PublicNotice,
    Round,
    Scheme,
    SchemeEvaluator,
    Seat,
)

# -- chief technology officers (services/cto.py) ---------------------------------------------------------


class CtoYearlyCheckInline(admin.TabularInline):
    model = CtoYearlyCheck
    extra = 0
    fields = ["year", "passed", "note", "checked_by", "checked_at"]
    readonly_fields = ["year", "passed", "note", "checked_by", "checked_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CtoAppointment)
class CtoAppointmentAdmin(ServiceWrittenAdmin):
    list_display = [
        "certificate_number",
        "enterprise",
        "talent",
        "slot",
        "status",
        "term_starts",
        "term_ends",
    ]
    list_filter = ["status", "platform_enterprise"]
    search_fields = ["certificate_number", "enterprise__name", "talent__name"]
    inlines = [CtoYearlyCheckInline]


# The register is imported through `services.cto.officers_import` (ID numbers become blind indexes there)
@admin.register(EnterpriseOfficer)
class EnterpriseOfficerAdmin(ServiceWrittenAdmin):
    list_display = ["enterprise", "role", "name", "share_percent", "registered_on"]
    list_filter = ["role"]
    search_fields = ["enterprise__name", "name"]
    exclude = ["id_number_index"]


# -- schemes, integrity findings, representative works (services/schemes.py, integrity.py, works.py) ------


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0
    fields = ["position", "code", "name", "source", "basis", "weight", "rule", "rubric"]
    readonly_fields = ["position", "code", "name", "source", "basis", "weight", "rule", "rubric"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class SchemeEvaluatorInline(admin.TabularInline):
    model = SchemeEvaluator
    extra = 0
    fields = ["kind", "weight"]
    readonly_fields = ["kind", "weight"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


# Drafted and published on the scheme pages (weights summing to 100, the "三唯" warnings, versions)
@admin.register(Scheme)
class SchemeAdmin(ServiceWrittenAdmin):
    list_display = ["code", "version", "name", "region", "purpose", "status", "effective_from"]
    list_filter = ["status", "purpose", "region"]
    search_fields = ["code", "name"]
    inlines = [IndicatorInline, SchemeEvaluatorInline]


@admin.register(IntegrityFinding)
class IntegrityFindingAdmin(ServiceWrittenAdmin):
    list_display = ["talent", "found_on", "expires_on", "source", "recorded_by"]
    search_fields = ["talent__name", "source"]
    raw_id_fields = ["talent"]


@admin.register(CaseWork)
class CaseWorkAdmin(ServiceWrittenAdmin):
    list_display = ["case", "position", "achievement"]
    raw_id_fields = ["case", "achievement"]


# -- the expert pool and panels (services/experts.py, services/panels.py) -----------------------------------
# Written through the pool and panel pages (sealed phones, computed conflicts, audited draws). Scores are
# not registered at all: nobody, administrators included, reads an expert's points before the panel closes.


class ExpertFieldInline(admin.TabularInline):
    model = ExpertField
    extra = 0
    fields = ["field"]
    readonly_fields = ("field",)
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Expert)
class ExpertAdmin(ServiceWrittenAdmin):
    list_display = ["name", "region", "evaluator_kind", "employer_name", "active"]
    list_filter = ["active", "evaluator_kind", "region"]
    search_fields = ["name", "employer_name"]
    exclude = ["phone_ciphertext"]
    raw_id_fields = ["employer", "talent", "account"]
    inlines = [ExpertFieldInline]


class SeatInline(admin.TabularInline):
    model = Seat
    extra = 0
    fields = ("position", "expert", "role", "status", "replaces", "recusal_reason", "submitted_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Panel)
class PanelAdmin(ServiceWrittenAdmin):
    list_display = ["case", "field", "size", "state", "seed", "drawn_at", "closed_at"]
    list_filter = ["state", "field"]
    raw_id_fields = ["case", "drawn_by"]
    inlines = [SeatInline]


# -- rounds, cases, public notice and objections (services/rounds, cases, notices, outcomes) ---------------


@admin.register(Round)
class RoundAdmin(ServiceWrittenAdmin):
    list_display = ["name", "region", "year", "state", "opens_on", "applications_due", "second_review_due"]
    list_filter = ["state", "year", "region"]
    search_fields = ["name"]


class CaseTransitionInline(admin.TabularInline):
    model = CaseTransition
    extra = 0
    fields = ("at", "from_state", "to_state", "actor", "comment")
    readonly_fields = ("at", "from_state", "to_state", "actor", "comment")
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ServiceWrittenAdmin):
    list_display = ["talent", "round", "enterprise", "state", "total_score", "result", "result_tier"]
    list_filter = ["state", "result", "round"]
    search_fields = ["talent__name", "round__name"]
    raw_id_fields = ["talent", "enterprise", "round", "applied_by"]
    inlines = [CaseTransitionInline]


@admin.register(PublicNotice)
class PublicNoticeAdmin(ServiceWrittenAdmin):
    list_display = ["title", "round", "starts_on", "ends_on", "days", "state"]
    list_filter = ["state"]
    raw_id_fields = ["round", "cases", "published_by"]


@admin.register(Objection)
class ObjectionAdmin(ServiceWrittenAdmin):
    """The objector's ID number and phone are shown masked only (their ciphertexts are left out)."""

    list_display = ["case", "point", "objector_name", "state", "due_on", "assigned_to", "escalated_on"]
    list_filter = ["state", "point"]
    exclude = ["objector_id_ciphertext", "objector_id_index", "phone_ciphertext"]
    raw_id_fields = ["notice", "case", "assigned_to", "answered_by"]
