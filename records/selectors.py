"""Reads: scoped querysets that own their joins and ordering."""
from django.db.models import Count, Q, QuerySet

from .models import Employment, Professional, Region, Unit
from .scoping import professionals_in_scope, units_in_scope


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
    qs = units_in_scope(user).select_related("region", "authority").annotate(
        staff_count=Count("employments", filter=Q(employments__ended_on__isnull=True))
    )
    if region_id:
        qs = qs.filter(region_id=region_id)
    if search:
        qs = qs.filter(Q(name__contains=search) | Q(credit_code=search.upper()))
    return qs.order_by("region__code", "name")


def county_list() -> QuerySet[Region]:
    return Region.objects.filter(level=Region.Level.COUNTY).annotate(unit_count=Count("units")).order_by("code")


def professional_get(user, pk: int) -> Professional:
    from .scoping import get_in_scope_or_404

    return get_in_scope_or_404(professionals_in_scope(user), pk=pk)
