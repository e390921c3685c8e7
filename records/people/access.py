"""The one place that says who may see and do what. Every list and every object look-up goes through here.

A user's scope is the union of their role memberships. Anything outside it is answered with 404, so a
request can never tell "not yours" from "does not exist". Also here: the decorator that gives a page to
its roles, and where each role lands after log-in.
"""
from dataclasses import dataclass, field, replace
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse

from records.people.models import Professional, Role, RoleMembership, Unit


@dataclass(frozen=True)
class Scope:
    roles: frozenset[str] = frozenset()
    professional_ids: frozenset[int] = frozenset()
    unit_ids: frozenset[int] = frozenset()
    authority_ids: frozenset[int] = frozenset()
    region_ids: frozenset[int] = frozenset()  # county_hr regions; city_hr regions are in city_region_ids
    city_region_ids: frozenset[int] = frozenset()
    # The HR bureaus' regions, county and city alike: the bureau of a region reviews the units there that
    # have no industry authority (audits.review.rules.LEVELS).
    hr_region_ids: frozenset[int] = frozenset()
    memberships: tuple = field(default=(), compare=False)

    @property
    def is_city(self) -> bool:
        return bool(self.city_region_ids)

    def has(self, role: str) -> bool:
        return role in self.roles

    def unit_q(self, prefix: str = "") -> Q:
        """Units the user oversees (not the professional's own employer), as a filter on `prefix` + unit."""
        if self.is_city:
            return Q()
        q = Q(pk__in=[])
        if self.unit_ids:
            q |= Q(**{f"{prefix}pk__in": self.unit_ids})
        if self.authority_ids:
            q |= Q(**{f"{prefix}authority_id__in": self.authority_ids})
        if self.region_ids:
            q |= Q(**{f"{prefix}region_id__in": self.region_ids})
        return q

    @property
    def oversees_units(self) -> bool:
        return bool(self.is_city or self.unit_ids or self.authority_ids or self.region_ids)


# Which Scope fields a membership of each role fills, from which of its columns: the one statement of what a
# role's scope object is, read both ways (a user's scope; the users whose scope holds an object).
SCOPE_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    Role.PROFESSIONAL: (("professional_ids", "professional_id"),),
    Role.UNIT_REVIEWER: (("unit_ids", "unit_id"),),
    Role.AUTHORITY_REVIEWER: (("authority_ids", "authority_id"),),
    Role.COUNTY_HR: (("region_ids", "region_id"), ("hr_region_ids", "region_id")),
    Role.CITY_HR: (("city_region_ids", "region_id"), ("hr_region_ids", "region_id")),
}


def scope_for(user) -> Scope:
    if not getattr(user, "is_authenticated", False):
        return Scope()
    cached = getattr(user, "_ce_scope", None)
    if cached is not None:
        return cached
    memberships = tuple(RoleMembership.objects.filter(user=user).select_related("region", "unit"))
    ids: dict[str, set[int]] = {}
    for membership in memberships:
        for scope_field, column in SCOPE_FIELDS[membership.role]:
            ids.setdefault(scope_field, set()).add(getattr(membership, column))
    scope = Scope(
        roles=frozenset(m.role for m in memberships), memberships=memberships,
        **{scope_field: frozenset(values) for scope_field, values in ids.items()},
    )
    user._ce_scope = scope
    return scope


def scope_holders(scope_field: str) -> dict[int, list[int]]:
    """Active users by the objects their scope holds in `scope_field`: object id → [user ids]."""
    holders: dict[int, list[int]] = {}
    for role, fields in SCOPE_FIELDS.items():
        for field_name, column in fields:
            if field_name != scope_field:
                continue
            rows = RoleMembership.objects.filter(role=role, user__is_active=True).values_list(column, "user_id")
            for object_id, user_id in rows.order_by(column, "user_id"):
                holders.setdefault(object_id, []).append(user_id)
    return holders


def units_in_scope(user) -> QuerySet[Unit]:
    scope = scope_for(user)
    if not scope.oversees_units:
        return Unit.objects.none()
    return Unit.objects.filter(scope.unit_q())


def professionals_in_scope(user) -> QuerySet[Professional]:
    """People the user may see: themself, and the current staff of the units they oversee."""
    scope = scope_for(user)
    q = Q(pk__in=scope.professional_ids)
    if scope.is_city:
        q = Q()
    elif scope.oversees_units:
        q |= Q(pk__in=_current_staff_ids(scope))
    return Professional.objects.filter(q)


def _current_staff_ids(scope: Scope):
    from records.people.models import Employment

    return Employment.objects.filter(scope.unit_q("unit__"), ended_on__isnull=True).values("professional_id")


def may_see_full_id_number(user, professional: Professional) -> bool:
    """The person themself, their unit's reviewers and the HR bureaus over them, who match people to papers.

    Industry authorities review hours, not identities: they see the masked number.
    """
    from records.people.models import Employment

    scope = scope_for(user)
    if professional.pk in scope.professional_ids:
        return True
    if scope.is_city:
        return True
    without_authorities = replace(scope, authority_ids=frozenset())
    if not without_authorities.oversees_units:
        return False
    return Employment.objects.filter(
        without_authorities.unit_q("unit__"), professional=professional, ended_on__isnull=True
    ).exists()


def get_in_scope_or_404(queryset: QuerySet, **lookup):
    """Fetch one object from an already-scoped queryset; anything else is 404."""
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError):
        raise Http404("未找到。")


def role_required(*roles):
    """The page belongs to these roles; anyone else gets 404 (scope rule: never reveal what exists)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            scope = scope_for(request.user)
            if not any(scope.has(role) for role in roles):
                raise Http404("未找到。")
            request.scope = scope
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# Order matters: a user with several roles lands on the first one they hold.
HOME_URL_NAMES = {
    Role.CITY_HR: "records:city_home",
    Role.COUNTY_HR: "records:county_home",
    Role.AUTHORITY_REVIEWER: "records:authority_home",
    Role.UNIT_REVIEWER: "records:unit_home",
    Role.PROFESSIONAL: "records:my_home",
}


def role_homes(scope) -> list[tuple[str, str, str]]:
    """(role code, Chinese label, URL) for every role the scope holds, in landing order."""
    return [
        (role.value, role.label, reverse(url_name)) for role, url_name in HOME_URL_NAMES.items() if scope.has(role)
    ]


def own_unit_or_404(user, pk: int) -> Unit:
    """One of the units the user reviews for as its unit reviewer (its register, standard, progress); any
    other unit is 404, whoever oversees it."""
    return get_in_scope_or_404(Unit.objects.filter(pk__in=scope_for(user).unit_ids), pk=pk)
