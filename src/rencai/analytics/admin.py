"""Admin of the analytics app: indicators are read here and written through `analytics.services`."""

from django.contrib import admin

from rencai.analytics.models import Indicator
from rencai.core.admin import ServiceWrittenAdmin


@admin.register(Indicator)
class IndicatorAdmin(ServiceWrittenAdmin):
    list_display = ["code", "name", "category", "kind", "unit", "is_standard", "active", "updated_at"]
    list_filter = ["category", "kind", "is_standard", "active"]
    search_fields = ["code", "name", "name_en"]
    ordering = ["category", "position", "code"]
