"""Admin of the coordination app: every row is written through the services (the 100-point rule and the caps,
the lock, working-day milestones, answered comments, audit), so the admin shows them and changes nothing.
The app holds no personal data beyond officers' names; evidence files are served only by the sheet page,
which checks the reader's right, so the admin does not link them."""

from django.contrib import admin

from rencai.coordination.models import (
    Circular,
    Comment,
    Consultation,
    Duty,
    FocusPoint,
    Invitation,
    Leader,
    Milestone,
    ProgressNote,
    SecretaryProject,
    TargetItem,
    TargetSheet,
    WorkItem,
    WorkList,
)
from rencai.core.admin import ServiceWrittenAdmin


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields or []

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# -- target responsibility (services/targets/, circulars.py) ------------------------------------------------


class TargetItemInline(ReadOnlyInline):
    model = TargetItem
    fields = [
        "section",
        "position",
        "title",
        "max_points",
        "indicator_code",
        "baseline",
        "target_value",
        "measured_value",
        "claimed_points",
        "points",
        "reason",
    ]


@admin.register(TargetSheet)
class TargetSheetAdmin(ServiceWrittenAdmin):
    list_display = [
        "year",
        "region",
        "department",
        "state",
        "total",
        "bonus_cap",
        "deduction_cap",
        "locked_at",
    ]
    list_filter = ["year", "state", "region"]
    search_fields = ["region__name", "department__name"]
    inlines = [TargetItemInline]


@admin.register(TargetItem)
class TargetItemAdmin(ServiceWrittenAdmin):
    list_display = ["title", "sheet", "section", "kind", "max_points", "measured_value", "points"]
    list_filter = ["section", "kind", "sheet__year"]
    search_fields = ["title", "indicator_code"]
    exclude = ["evidence_file"]
    raw_id_fields = ["sheet"]


@admin.register(Leader)
class LeaderAdmin(ServiceWrittenAdmin):
    list_display = ["name", "post", "region", "department", "user", "active"]
    list_filter = ["post", "active", "region"]
    search_fields = ["name"]
    raw_id_fields = ["user"]


@admin.register(Circular)
class CircularAdmin(ServiceWrittenAdmin):
    list_display = ["title", "year", "region", "issued_by", "issued_at"]
    list_filter = ["year"]


# -- work lists and first secretaries' projects (services/worklists/) ---------------------------------------


class DutyInline(ReadOnlyInline):
    model = Duty
    fields = ["position", "text", "lead_officer"]


class FocusPointInline(ReadOnlyInline):
    model = FocusPoint
    fields = ["kind", "position", "title", "detail"]


@admin.register(WorkList)
class WorkListAdmin(ServiceWrittenAdmin):
    list_display = ["department", "year", "region", "lead_officer", "head"]
    list_filter = ["year", "region"]
    search_fields = ["department__name"]
    inlines = [DutyInline, FocusPointInline]


class MilestoneInline(ReadOnlyInline):
    model = Milestone
    fields = ["title", "asked_on", "due_on", "due_estimated", "done_on", "reminded_on", "escalated_on"]


class ProgressNoteInline(ReadOnlyInline):
    model = ProgressNote
    fields = ["created_at", "author", "milestone", "text", "evidence"]


@admin.register(WorkItem)
class WorkItemAdmin(ServiceWrittenAdmin):
    list_display = ["title", "department", "worklist", "responsible", "owner", "status"]
    list_filter = ["status", "region"]
    search_fields = ["title", "responsible"]
    raw_id_fields = ["worklist", "owner"]
    inlines = [MilestoneInline, ProgressNoteInline]


@admin.register(SecretaryProject)
class SecretaryProjectAdmin(ServiceWrittenAdmin):
    list_display = ["title", "region", "year", "leader_name", "responsible", "status"]
    list_filter = ["year", "status", "region"]
    search_fields = ["title", "leader_name"]
    raw_id_fields = ["leader", "owner"]
    inlines = [MilestoneInline, ProgressNoteInline]


@admin.register(Milestone)
class MilestoneAdmin(ServiceWrittenAdmin):
    list_display = ["title", "work_item", "project", "due_on", "done_on", "reminded_on", "escalated_on"]
    list_filter = ["due_estimated", "region"]
    date_hierarchy = "due_on"
    search_fields = ["title"]
    raw_id_fields = ["work_item", "project"]


# -- consultation on policy drafts (services/consultation.py) ------------------------------------------------


class InvitationInline(ReadOnlyInline):
    model = Invitation
    fields = ["kind", "department", "party_region", "enterprise", "reminded_on"]


class CommentInline(ReadOnlyInline):
    model = Comment
    fields = ["party", "clause", "body", "outcome", "reason", "answered_at"]


@admin.register(Consultation)
class ConsultationAdmin(ServiceWrittenAdmin):
    list_display = ["__str__", "version", "round_number", "region", "state", "opened_on", "deadline"]
    list_filter = ["state", "region"]
    raw_id_fields = ["version", "opened_by"]
    inlines = [InvitationInline, CommentInline]


@admin.register(Comment)
class CommentAdmin(ServiceWrittenAdmin):
    list_display = ["consultation", "party", "clause", "outcome", "created_at", "answered_at"]
    list_filter = ["outcome"]
    search_fields = ["party", "body"]
    raw_id_fields = ["consultation", "author", "answered_by"]
