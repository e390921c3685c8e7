"""city_hr keeps the calendar's overrides and official years in the admin; every edit is audited."""
from django.contrib import admin

from audits.calendar.models import OfficialCalendarYear, WorkingDayOverride
from audits.trail.admin import AuditedReferenceAdmin


@admin.register(WorkingDayOverride)
class WorkingDayOverrideAdmin(AuditedReferenceAdmin):
    list_display = ["date", "is_working", "note", "source", "updated_at"]
    list_filter = ["is_working"]
    date_hierarchy = "date"
    audit_action = "calendar.override"


@admin.register(OfficialCalendarYear)
class OfficialCalendarYearAdmin(AuditedReferenceAdmin):
    list_display = ["year", "source", "marked_by", "marked_at"]
    readonly_fields = ["marked_by", "marked_at"]
    audit_action = "calendar.official_year"

    def save_model(self, request, obj, form, change):
        obj.marked_by = request.user
        super().save_model(request, obj, form, change)
