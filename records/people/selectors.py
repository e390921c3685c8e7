"""Reads on the registry: staff and unit lists in the user's scope, a person's employments, pending
registrations, the public unit look-up of self-registration, and the look-up of a person by ID number.
"""
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from audits.trail.models import AuditEvent
from records.people.access import get_in_scope_or_404, professionals_in_scope, scope_for, units_in_scope
from records.people.models import Employment, Professional, Region, Unit

UNIT_SEARCH_LIMIT = 20


def id_number_q(id_number: str, prefix: str = "") -> Q:
    """The condition "this person's ID number is `id_number`" (normalised and valid), on `prefix` + the
    professional's fields. Every look-up by ID number goes through here or `professional_by_id_number`, so
    how numbers are stored and matched is decided in one place."""
    return Q(**{f"{prefix}id_number": id_number})


def professional_by_id_number(id_number: str, *, for_update: bool = False) -> Professional | None:
    """The one person with this ID number, or None. `for_update` locks the row (and only it) for a write."""
    people = Professional.objects.filter(id_number_q(id_number))
    if for_update:
        people = people.select_for_update(of=("self",))
    return people.select_related("user").first()


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


def current_employment(professional: Professional) -> Employment | None:
    return professional.employments.filter(ended_on__isnull=True).select_related("unit__region").first()


def staff_list(user, *, unit_ids=None, search: str = "") -> QuerySet[Employment]:
    """Current staff of the units the user oversees (optionally narrowed to some of them)."""
    qs = Employment.objects.filter(ended_on__isnull=True, unit__in=units_in_scope(user)).select_related(
        "professional", "unit"
    )
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=unit_ids)
    if search:
        qs = qs.filter(Q(professional__name__contains=search) | Q(professional__id_number__endswith=search))
    return qs.order_by("unit__name", "professional__name", "professional_id")


def unit_list(user, *, region_id=None, search: str = "") -> QuerySet[Unit]:
    # Counted per unit shown, through the current-staff index: a join and GROUP BY over every unit of a county
    # (or the city) made each page, and its paginator's count, aggregate all 20,000+ employments first.
    current_staff = (Employment.objects.filter(unit=OuterRef("pk"), ended_on__isnull=True).order_by()
                     .values("unit").annotate(n=Count("pk")).values("n"))
    qs = units_in_scope(user).select_related("region", "authority").annotate(
        staff_count=Coalesce(Subquery(current_staff, output_field=IntegerField()), 0)
    )
    if region_id:
        qs = qs.filter(region_id=region_id)
    if search:
        qs = qs.filter(Q(name__contains=search) | Q(credit_code=search.upper()))
    return qs.order_by("region__code", "name")


def county_list() -> QuerySet[Region]:
    return Region.objects.filter(level=Region.Level.COUNTY).annotate(unit_count=Count("units")).order_by("code")


def professional_get(user, pk: int) -> Professional:
    from records.people.access import get_in_scope_or_404

    return get_in_scope_or_404(professionals_in_scope(user), pk=pk)


def employment_on(professional: Professional, day) -> Employment | None:
    """The employment covering `day`: a claim goes to the unit the person works for on the day it is filed."""
    return (
        professional.employments.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=day), started_on__lte=day)
        .select_related("unit__region", "unit__authority").order_by("-started_on").first()
    )
