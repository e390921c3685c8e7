"""The audit log in the admin (read-only), and the admin base that audits city_hr's edits of reference data."""
from django.contrib import admin
from django.forms.models import model_to_dict

from audits.trail.models import AuditEvent
from audits.trail.services import record_event
from ce_portal.http import client_ip


class AuditedReferenceAdmin(admin.ModelAdmin):
    """Reference data city_hr keeps: every add, change and delete made here is audited in the same transaction."""

    audit_action: str  # e.g. "calendar.override": events are "<audit_action>.add/.change/.delete"

    def _audit(self, request, obj, verb, before, after):
        record_event(actor=request.user, action=f"{self.audit_action}.{verb}", target=obj, before=before, after=after,
                     ip=client_ip(request))

    def save_model(self, request, obj, form, change):
        before = model_to_dict(type(obj).objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        self._audit(request, obj, "change" if change else "add", before, model_to_dict(obj))

    def delete_model(self, request, obj):
        self._audit(request, obj, "delete", model_to_dict(obj), None)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self._audit(request, obj, "delete", model_to_dict(obj), None)
        super().delete_queryset(request, queryset)


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
