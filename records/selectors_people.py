"""Reads for getting people in: pending registrations, unit look-up, who may add units where."""
from django.db.models import Q, QuerySet

from audits.models import AuditEvent

from .models import Employment, Professional, Region, Unit
from .scoping import get_in_scope_or_404, scope_for

UNIT_SEARCH_LIMIT = 20


def unit_search(query: str) -> QuerySet[Unit]:
    """Public look-up for self-registration: by part of the name, or by the start of the credit code."""
    query = query.strip()
    if len(query) < 2:
        return Unit.objects.none()
    return (
        Unit.objects.filter(Q(name__contains=query) | Q(credit_code__startswith=query.upper()))
        .select_related("region").order_by("name")[:UNIT_SEARCH_LIMIT]
    )


def unit_choices(query: str, selected: str = "") -> list[Unit]:
    """What the registration form offers: the unit already picked (kept across searches), then the matches."""
    picked = list(Unit.objects.filter(pk=selected).select_related("region")) if str(selected).isdigit() else []
    return picked + [unit for unit in unit_search(query) if unit not in picked]


def reviewer_units(user) -> QuerySet[Unit]:
    """The units whose staff this user keeps (a unit reviewer's own units, not the ones an HR bureau oversees)."""
    return Unit.objects.filter(pk__in=scope_for(user).unit_ids).order_by("name")


def registration_pending_list(user) -> QuerySet[Employment]:
    return (
        Employment.objects.filter(unit__in=reviewer_units(user), ended_on__isnull=True,
                                  professional__status=Professional.Status.PENDING)
        .select_related("professional", "unit").order_by("started_on", "professional_id")
    )


def registration_pending_get(user, pk: int) -> Professional:
    """A pending registration at one of the user's units; anything else (another unit's, decided) is 404."""
    pending = Professional.objects.filter(pk__in=registration_pending_list(user).values("professional_id"))
    return get_in_scope_or_404(pending, pk=pk)


def registration_rejection_reason(user) -> str | None:
    """Why the unit turned this account's registration down, if it did (the reason lives in the audit trail)."""
    professional = Professional.objects.filter(user=user, status=Professional.Status.REJECTED).first()
    if professional is None:
        return None
    event = (
        AuditEvent.objects.filter(action="professional.registration_reject", object_type="records.professional",
                                  object_id=str(professional.pk))
        .order_by("-id").first()
    )
    return (event.after or {}).get("reason", "") if event else ""


def creatable_regions(user) -> QuerySet[Region]:
    """Where this user may add units: the city anywhere, a county HR bureau in its own county."""
    scope = scope_for(user)
    if scope.is_city:
        return Region.objects.order_by("code")
    return Region.objects.filter(pk__in=scope.region_ids).order_by("code")
