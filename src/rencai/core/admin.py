"""Admin for core data: the working-day calendar (administrators add years), regions, the audit log."""

from django.contrib import admin

from rencai.core.models import AuditEntry, CalendarDay, CalendarSource, CalendarYear, Notification, Region


class ServiceWrittenAdmin(admin.ModelAdmin):
    """Rows written only through the services (rules checked, audited): viewable, never edited here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ["year", "source", "complete", "updated_at"]
    list_filter = ["source", "complete"]
    ordering = ["-year"]

    def get_changeform_initial_data(self, request):
        return {"source": CalendarSource.ADMIN, **super().get_changeform_initial_data(request)}


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "name", "is_working_day", "source"]
    list_filter = ["is_working_day", "source"]
    date_hierarchy = "date"
    search_fields = ["name"]
    ordering = ["-date"]
    fields = ["date", "is_working_day", "name", "source"]

    def get_changeform_initial_data(self, request):
        return {"source": CalendarSource.ADMIN, **super().get_changeform_initial_data(request)}


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name", "name_en"]
    readonly_fields = ["path"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only and hash-chained; the admin may look, never touch."""

    list_display = ["seq", "at", "actor_label", "action", "object_type", "object_id", "region_code", "ip"]
    list_filter = ["action", "object_type", "region_code"]
    search_fields = ["actor_label", "action", "object_id"]
    date_hierarchy = "at"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "subject", "kind", "read_at"]
    list_filter = ["kind"]
    search_fields = ["subject", "recipient__username"]
    raw_id_fields = ["recipient"]

    def has_change_permission(self, request, obj=None):
        return False
