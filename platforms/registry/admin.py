"""city_hr keeps the approved platforms and CE bases in the admin; every edit is audited."""
from django.contrib import admin

from audits.trail.admin import AuditedReferenceAdmin
from platforms.registry.models import LearningPlatform, TrainingBase
from records.people.access import scope_for


@admin.register(LearningPlatform)
class LearningPlatformAdmin(AuditedReferenceAdmin):
    """Whether a platform is active and for which years it is approved decides what the ingestion API
    accepts from it: every change is audited."""

    list_display = ["name", "operator", "category", "level", "years_approved", "active"]
    list_filter = ["category", "level", "active"]
    audit_action = "platform"


@admin.register(TrainingBase)
class TrainingBaseAdmin(AuditedReferenceAdmin):
    list_display = ["name", "level", "active"]
    audit_action = "training_base"


def _is_city_hr(request) -> bool:
    return request.user.is_active and (request.user.is_superuser or scope_for(request.user).is_city)
