from django.contrib import admin

from .models import AuditEvent, OfficialCalendarYear, WorkingDayOverride


@admin.register(WorkingDayOverride)
class WorkingDayOverrideAdmin(admin.ModelAdmin):
    list_display = ["date", "is_working", "note", "source", "updated_at"]
    date_hierarchy = "date"


@admin.register(OfficialCalendarYear)
class OfficialCalendarYearAdmin(admin.ModelAdmin):
    list_display = ["year", "source", "marked_by", "marked_at"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["id", "at", "actor_label", "action", "object_type", "object_id", "ip"]
    list_filter = ["action", "object_type"]

    # The trail is append-only: nobody edits or deletes it, not even a superuser.
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
