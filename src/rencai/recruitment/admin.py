"""Admin of the recruitment app: every row is written through the services (rules, ledger, audit), so the
admin shows them and changes nothing; personal data appear masked only."""

from django.contrib import admin

from rencai.core.admin import ServiceWrittenAdmin
from rencai.recruitment.models import (
    Agency,
    AgencyMember,
    Candidate,
    Demand,
    Event,
    Lead,
    Placement,
    Referral,
    Reward,
    RewardCap,
    RewardInstalment,
    RewardScheme,
    Station,
)


@admin.register(Demand)
class DemandAdmin(ServiceWrittenAdmin):
    list_display = ["title", "enterprise", "region", "field", "headcount", "filled", "state", "expires_on"]
    list_filter = ["state", "field", "place", "work_mode", "region"]
    search_fields = ["title", "enterprise__name"]


@admin.register(Station)
class StationAdmin(ServiceWrittenAdmin):
    list_display = ["name", "city", "region", "opened_on", "active"]
    list_filter = ["active", "region"]


@admin.register(Event)
class EventAdmin(ServiceWrittenAdmin):
    list_display = ["name", "region", "held_on", "place", "station"]
    list_filter = ["region"]
    date_hierarchy = "held_on"


@admin.register(Candidate)
class CandidateAdmin(ServiceWrittenAdmin):
    list_display = ["name", "id_number_masked", "phone_masked", "degree", "field", "region"]
    exclude = ["id_number_ciphertext", "id_number_index", "phone_ciphertext"]
    search_fields = ["name"]


@admin.register(Lead)
class LeadAdmin(ServiceWrittenAdmin):
    list_display = ["candidate", "enterprise", "event", "station", "outcome", "created_at"]
    list_filter = ["outcome"]


class AgencyMemberInline(admin.TabularInline):
    model = AgencyMember
    extra = 0
    fields = ("user", "active")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Agency)
class AgencyAdmin(ServiceWrittenAdmin):
    list_display = ["name", "region", "contract_starts", "contract_ends", "target_count", "active"]
    list_filter = ["active", "region"]
    search_fields = ["name", "credit_code"]
    inlines = [AgencyMemberInline]


@admin.register(Referral)
class ReferralAdmin(ServiceWrittenAdmin):
    list_display = ["candidate", "agency", "demand", "enterprise", "state", "created_at"]
    list_filter = ["state"]
    exclude = ["person_index"]


@admin.register(Placement)
class PlacementAdmin(ServiceWrittenAdmin):
    list_display = ["talent", "enterprise", "channel", "arrived_on", "state", "tier"]
    list_filter = ["state", "channel"]


@admin.register(RewardScheme)
class RewardSchemeAdmin(ServiceWrittenAdmin):
    list_display = ["code", "name", "purpose", "region", "policy", "effective_from", "effective_to"]
    list_filter = ["purpose"]


class RewardInstalmentInline(admin.TabularInline):
    model = RewardInstalment
    extra = 0
    fields = ("number", "due_on", "amount", "state", "settled_at", "note")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Reward)
class RewardAdmin(ServiceWrittenAdmin):
    list_display = ["scheme", "placement", "purpose", "agency", "enterprise", "year", "amount", "state"]
    list_filter = ["purpose", "state", "year"]
    inlines = [RewardInstalmentInline]


@admin.register(RewardCap)
class RewardCapAdmin(ServiceWrittenAdmin):
    list_display = ["scheme", "enterprise", "year", "cap", "committed"]
