"""Reads for the compliance lists (rule 10 in docs/rules.md): who met a year's requirement, per unit, industry
authority, county and the city — what title evaluation (职称评审), appointment and annual assessment look up.

Whose list a person is on: the unit they worked for in that year, i.e. of their employments that overlap the
year the one that started last — the unit a certificate of that year names
(`selectors_certificates.employment_of_year`). Who moved in July is on the new unit's list; who left in June
and joined nobody, on the old one's. So each person is on exactly one unit's list of a year, and a
reviewer's past-year list still shows the people who have left since.

Hours are the kept credited totals (`PersonYearTotal`); a person without a row has 0/0 and is not compliant.
Whether a row is compliant is `records.rules.assess`. Counting and filtering by compliance must happen in
SQL (a county has 20,000 people), so `compliant_q` states the same three inequalities on the annotated
hours; tests/records/test_compliance.py holds the two to one table of edge cases.
"""
import datetime as dt
import hashlib
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from functools import cached_property
from operator import attrgetter
from typing import NamedTuple

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import (
    BooleanField, Count, DecimalField, Exists, ExpressionWrapper, F, FilteredRelation, OuterRef, Q, QuerySet, Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from ce_portal.clock import SHANGHAI
from ce_portal.errors import DomainError, NotFound
from records.hours.models import RequirementPolicy
from records.hours.rules import YearHours, year_hours, year_on_record
from records.hours.selectors import credited_hours
from records.people.access import Scope, may_see_full_id_number, scope_for, units_in_scope
from records.people.models import Employment, IndustryAuthority, Professional, Region, Role, Unit
from records.people.rules import mask_id_number, normalize_id_number, validate_id_number
from records.people.selectors import id_number_q, professional_by_id_number

OVERSEERS = (Role.UNIT_REVIEWER, Role.AUTHORITY_REVIEWER, Role.COUNTY_HR, Role.CITY_HR)


HOURS = DecimalField(max_digits=8, decimal_places=1)


ZERO_HOURS = Value(Decimal("0"), output_field=HOURS)


TENTH = Decimal("0.1")


def _overlaps(year: int, prefix: str = "") -> Q:
    return Q(**{f"{prefix}started_on__lte": dt.date(year, 12, 31)}) & (
        Q(**{f"{prefix}ended_on__isnull": True}) | Q(**{f"{prefix}ended_on__gte": dt.date(year, 1, 1)})
    )


def year_employments(year: int) -> QuerySet[Employment]:
    """Each person's one employment of the year: the latest-starting of those overlapping it."""
    later = Employment.objects.filter(_overlaps(year), professional_id=OuterRef("professional_id")).filter(
        Q(started_on__gt=OuterRef("started_on")) | Q(started_on=OuterRef("started_on"), pk__gt=OuterRef("pk"))
    )
    return Employment.objects.filter(_overlaps(year)).filter(~Exists(later))


def with_year_hours(employments: QuerySet[Employment], year: int) -> QuerySet[Employment]:
    """Annotate `public_hours`, `professional_hours`, `total_hours` of the year (LEFT JOIN: none is 0)."""
    return employments.annotate(
        year_total=FilteredRelation("professional__year_totals", condition=Q(professional__year_totals__year=year)),
    ).annotate(
        public_hours=Coalesce(F("year_total__public_hours"), ZERO_HOURS, output_field=HOURS),
        professional_hours=Coalesce(F("year_total__professional_hours"), ZERO_HOURS, output_field=HOURS),
    ).annotate(total_hours=F("public_hours") + F("professional_hours"), no_record=no_record_expression(year))


def no_record_q(year: int) -> Q | None:
    """`year_on_record` as a filter on the rows `with_year_hours` annotates: None when no row of the year
    can be on record (a year before the portal held any)."""
    if year < settings.RECORDS_SINCE:
        return None
    registered_after = dt.datetime(year + 1, 1, 1, tzinfo=SHANGHAI)
    return Q(professional__created_at__gte=registered_after, year_total__isnull=True)


def no_record_expression(year: int):
    q = no_record_q(year)
    return Value(True) if q is None else ExpressionWrapper(q, output_field=BooleanField())


def compliant_q(requirement) -> Q:
    """`assess(...).compliant` as a filter on the hours `with_year_hours` annotates."""
    return Q(
        public_hours__gte=requirement.public,
        professional_hours__gte=requirement.professional,
        total_hours__gte=requirement.total,
    )


# A backstop: should some future write move hours or staff without adding any row `data_version` looks
# at, the figures are at most this stale.
COUNTS_TTL = 600


VERSION_MODELS = ("records.PlatformRecord", "records.PersonYearTotal", "records.Claim", "records.Employment",
                  "audits.AuditEvent", "admin.LogEntry")


def data_version() -> str:
    """The highest id of every table whose new rows can move a compliance count, in one round trip of
    backward primary-key index look-ups. Hours are credited with a new platform record, or with a claim's
    decision or a revocation, which the audit trail records; staff change by new employments (a transfer
    ends one and opens another) or audited services; anything else goes through the admin's log."""
    tables = [apps.get_model(label)._meta.db_table for label in VERSION_MODELS]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT max(id) FROM {table})" for table in tables))
        return ".".join(str(value) for value in cursor.fetchone())


def _scope_key(scope: Scope) -> tuple:
    return sorted(scope.unit_ids), sorted(scope.authority_ids), sorted(scope.region_ids), scope.is_city


def filter_choices(user, *, region_id: int | None, unit_id: int | None, version: str) -> dict:
    """The list's filter options as (pk, name) pairs: counties for the city, then the units (of the chosen
    county, for the city, whose thousands of units would not fit one list) and the industry authorities over
    the user's units. An empty list: no such filter for this user.

    Read through the cache with the list's `version` (`data_version()`): a new unit is audited and an admin's
    edit logged, so a new or renamed unit moves it. A county's 300 units cost more to read than the page's
    rows."""
    scope = scope_for(user)
    key = "compliance-choices:" + hashlib.sha256(
        f"{_scope_key(scope)}|{region_id}|{unit_id}|{version}".encode()).hexdigest()
    choices = cache.get(key)
    if choices is None:
        choices = _filter_choices(user, scope, region_id=region_id, unit_id=unit_id)
        cache.set(key, choices, COUNTS_TTL)
    return choices


def _filter_choices(user, scope: Scope, *, region_id: int | None, unit_id: int | None) -> dict:
    units = units_in_scope(user)
    regions = Region.objects.none()
    if scope.is_city:
        regions = Region.objects.filter(Q(level=Region.Level.COUNTY) | Q(units__isnull=False)).distinct()
    elif len(scope.region_ids) > 1:
        regions = Region.objects.filter(pk__in=scope.region_ids)
    if region_id is not None:
        units = units.filter(region_id=region_id)
    authorities = IndustryAuthority.objects.none()
    if scope.is_city or scope.region_ids:
        authorities = IndustryAuthority.objects.filter(units__in=units).distinct()
    elif len(scope.authority_ids) > 1:
        authorities = IndustryAuthority.objects.filter(pk__in=scope.authority_ids)
    unit_choices = []
    if not scope.is_city or region_id is not None:
        unit_choices = list(units.order_by("name", "pk").values_list("pk", "name"))
    return {
        "region_choices": list(regions.order_by("code").values_list("pk", "name")),
        "authority_choices": list(authorities.order_by("name").values_list("pk", "name")),
        "unit_choices": unit_choices if len(unit_choices) > 1 or unit_id else [],
    }


COLUMNS = (
    "professional_id", "professional__name", "professional__id_number", "unit_id", "unit__name", "unit__region_id",
    "unit__region__name", "unit__authority__name", "public_hours", "professional_hours", "no_record",
)


# Through the (region, name) index of units: the first page reads its first few units, not the county.
ORDER = ("unit__region_id", "unit__name", "unit_id", "professional__name", "professional_id")


class ComplianceRow(NamedTuple):
    """One person on a year's list: who, where, and their year's hours."""

    professional_id: int
    name: str
    id_number: str  # as this viewer may see it: masked for industry authorities
    unit_id: int
    unit_name: str
    region_name: str
    authority_name: str
    hours: YearHours

    # The row's figures under the names its HTML and the exports read. attrgetter is C: the city's
    # export reads these 200,000 times each.
    public = property(attrgetter("hours.public"))
    professional = property(attrgetter("hours.professional"))
    total = property(attrgetter("hours.total"))
    no_record: bool = False  # 无记录: the portal holds nothing for this person's year (`year_on_record`)

    @property
    def compliant(self) -> bool:
        return not self.no_record and self.hours.compliant

    @property
    def state(self) -> str:
        return "no_record" if self.no_record else ("compliant" if self.hours.compliant else "not_compliant")

    @property
    def shortfall(self) -> str:
        return "" if self.no_record else self.hours.shortfall


def sees_full_id_numbers(scope: Scope, unit_id: int, region_id: int) -> bool:
    """`scoping.may_see_full_id_number` for a row of a year's list: the city, the county of the row's unit and
    the unit's own reviewers match people to papers and see the full number; industry authorities review
    hours, not identities. On a past year's list this is the unit of that year, whoever employs the person now."""
    return scope.is_city or unit_id in scope.unit_ids or region_id in scope.region_ids


def full_id_numbers_q(scope: Scope) -> Q:
    """`sees_full_id_numbers` as a filter on employments: the rows whose ID number this viewer sees whole."""
    if scope.is_city:
        return Q()
    return Q(unit_id__in=scope.unit_ids) | Q(unit__region_id__in=scope.region_ids)


@dataclass(frozen=True)
class Counts:
    total: int
    compliant: int
    no_record: int = 0

    @property
    def non_compliant(self) -> int:
        return self.total - self.compliant - self.no_record


@dataclass(frozen=True)
class Filters:
    year: int
    unit_id: int | None = None
    region_id: int | None = None
    authority_id: int | None = None
    compliant: bool | None = None
    no_record: bool = False  # only the rows the portal holds nothing for (无记录)
    search: str = ""  # part of a name; an ID number is looked up once (`compliance_person_find`), then `person`
    person: int | None = None  # a professional's id: an ID number never goes into the page's address

    def as_params(self) -> dict:
        return asdict(self)


@dataclass
class ComplianceList:
    """A year's list in the user's scope. Sliced (a Paginator does) or iterated, it gives `ComplianceRow`s
    whose flags come from `assess`; `counts` covers every filter but compliance, for the figures on top."""

    filters: Filters
    policy: RequirementPolicy
    scope: Scope
    base: QuerySet = field(repr=False)  # every filter but compliance

    @cached_property
    def full_id_numbers(self) -> bool:
        """Does the list show some ID number whole (and a download of it carry full numbers)?"""
        return self.base.filter(full_id_numbers_q(self.scope)).exists()

    @cached_property
    def queryset(self) -> QuerySet:
        rows = self.base
        if self.filters.no_record:
            rows = rows.filter(no_record=True)
        elif self.filters.compliant is not None:
            rows = rows.filter(no_record=False)
            wanted = compliant_q(self.policy)
            rows = rows.filter(wanted if self.filters.compliant else ~wanted)
        return rows.order_by(*ORDER).values_list(*COLUMNS)

    @cached_property
    def version(self) -> str:
        """`data_version()`, read once for everything this page caches."""
        return data_version()

    @cached_property
    def units(self) -> list[tuple[int, int, int]]:
        """(unit id, people, compliant) of every unit on the list, in list order: the figures on top, and the
        index by which a page, however deep, reads only the one or two units it shows.

        Read through the cache: this costs a scan of a county's 20,000 people (≈ 150–250 ms on a busy
        machine), a page of 50 rows a few ms. The key is what the query is made of (scope, filters but
        compliance, the policy's numbers) plus `data_version()`, so any new credit, decision, employment or
        admin edit makes the next page count afresh."""
        policy = self.policy
        made_of = (_scope_key(self.scope), replace(self.filters, compliant=None, no_record=False), policy.total,
                   policy.public, policy.professional, settings.RECORDS_SINCE)
        key = "compliance-units:" + hashlib.sha256(f"{made_of}|{self.version}".encode()).hexdigest()
        units = cache.get(key)
        if units is None:
            units = self.unit_figures()
            cache.set(key, units, COUNTS_TTL)
        return units

    def unit_figures(self) -> list[tuple[int, int, int]]:
        """`units`, from the database."""
        return list(
            self.base.order_by().values("unit_id")
            .annotate(people=Count("pk"), compliant=Count("pk", filter=Q(no_record=False) & compliant_q(self.policy)),
                      no_record_people=Count("pk", filter=Q(no_record=True)))
            .order_by(*ORDER[:3]).values_list("unit_id", "people", "compliant", "no_record_people")
        )

    @cached_property
    def counts(self) -> Counts:
        return Counts(total=sum(people for _, people, _, _ in self.units),
                      compliant=sum(compliant for _, _, compliant, _ in self.units),
                      no_record=sum(none for _, _, _, none in self.units))

    def count(self) -> int:
        """What a Paginator shows: the counts already read, not another scan."""
        return sum(size for _, size in self._sizes())

    def _sizes(self):
        """(unit id, rows on this list) in list order."""
        for unit_id, people, compliant, no_record in self.units:
            if self.filters.no_record:
                yield unit_id, no_record
            elif self.filters.compliant is None:
                yield unit_id, people
            else:
                yield unit_id, compliant if self.filters.compliant else people - compliant - no_record

    def __getitem__(self, index: slice) -> list[ComplianceRow]:
        """Rows start..stop-1, read from the units that hold them only (a deep page's OFFSET would otherwise
        walk every row before it)."""
        start, stop = index.start or 0, index.stop
        window, seen, skip = [], 0, 0
        for unit_id, size in self._sizes():
            if seen + size > start and size:
                if not window:
                    skip = start - seen
                window.append(unit_id)
            seen += size
            if seen >= stop:
                break
        if not window:
            return []
        rows = self.queryset.filter(unit_id__in=window)[skip:skip + stop - start]
        return [self._row(values) for values in rows]

    def iterator(self, chunk_size: int = 5_000):
        for values in self.queryset.iterator(chunk_size=chunk_size):
            yield self._row(values)

    def _row(self, values) -> ComplianceRow:
        pid, name, id_number, unit_id, unit_name, region_id, region_name, authority_name, public, prof, none = values
        if not sees_full_id_numbers(self.scope, unit_id, region_id):
            id_number = mask_id_number(id_number)
        # One decimal place, as stored: SQLite's COALESCE hands back 32 where PostgreSQL gives 32.0.
        public, prof = public.quantize(TENTH), prof.quantize(TENTH)
        return ComplianceRow(pid, name, id_number, unit_id, unit_name, region_name, authority_name or "",
                             year_hours(self.filters.year, public, prof, self.policy), bool(none))


def list_years(today: dt.date) -> list[int]:
    """Years a list can be asked for, newest first: from this year back to the first year with a policy."""
    first = RequirementPolicy.objects.order_by("year").values_list("year", flat=True).first() or today.year
    return list(range(today.year, min(first, today.year) - 1, -1))


def policy_of(year: int) -> RequirementPolicy:
    try:
        return RequirementPolicy.objects.for_year(year)
    except RequirementPolicy.DoesNotExist:
        raise DomainError(f"{year} 年度没有学时要求政策，无法判断是否达标。", code="no_policy", field="year")


def _require_overseer(scope: Scope) -> None:
    if not any(scope.has(role) for role in OVERSEERS):
        raise NotFound("未找到。")


def unit_filter_get(user, pk: int) -> Unit:
    unit = units_in_scope(user).filter(pk=pk).select_related("region", "authority").first()
    if unit is None:
        raise NotFound("未找到该单位。")
    return unit


def region_filter_get(scope: Scope, pk: int) -> Region:
    region = Region.objects.filter(pk=pk).first()
    if region is None or not (scope.is_city or pk in scope.region_ids):
        raise NotFound("未找到该区域。")
    return region


def authority_filter_get(user, pk: int) -> IndustryAuthority:
    """An authority the user oversees, or one over some of the user's units (a county filtering by 卫健委)."""
    scope = scope_for(user)
    authority = IndustryAuthority.objects.filter(pk=pk).first()
    if authority is None or not (
        scope.is_city or pk in scope.authority_ids or units_in_scope(user).filter(authority_id=pk).exists()
    ):
        raise NotFound("未找到该行业主管部门。")
    return authority


def compliance_list(user, *, year: int, unit_id: int | None = None, region_id: int | None = None,
                    authority_id: int | None = None, compliant: bool | None = None, no_record: bool = False,
                    search: str = "", person: int | None = None) -> ComplianceList:
    """The year's people in the user's scope with their hours and flag, in county, unit and name order.

    A unit, region or authority outside the scope is NotFound (404), never an empty list.
    """
    scope = scope_for(user)
    _require_overseer(scope)
    filters = Filters(year=year, unit_id=unit_id, region_id=region_id, authority_id=authority_id,
                      compliant=compliant, no_record=no_record, search=search.strip(), person=person)
    policy = policy_of(year)
    rows = year_employments(year).filter(scope.unit_q("unit__"))
    if unit_id is not None:
        rows = rows.filter(unit=unit_filter_get(user, unit_id))
    if region_id is not None:
        rows = rows.filter(unit__region=region_filter_get(scope, region_id))
    if authority_id is not None:
        rows = rows.filter(unit__authority=authority_filter_get(user, authority_id))
    if filters.search:
        rows = rows.filter(professional__name__contains=filters.search)
    if filters.person is not None:
        rows = rows.filter(professional_id=filters.person)
    return ComplianceList(filters=filters, policy=policy, scope=scope, base=with_year_hours(rows, year))


def compliance_person_find(user, *, year: int, id_number: str) -> int | None:
    """The id of the person with this (valid) ID number on the user's list of the year, or None. Only rows
    the viewer sees whole are found: a hit on a masked row would confirm the number."""
    scope = scope_for(user)
    _require_overseer(scope)
    rows = (year_employments(year).filter(scope.unit_q("unit__")).filter(full_id_numbers_q(scope))
            .filter(id_number_q(id_number, "professional__")))
    return rows.values_list("professional_id", flat=True).first()


def list_label(user, filters: Filters) -> str:
    """What a list covers, for its title: the narrowest filter, else the user's scope."""
    if filters.unit_id is not None:
        return unit_filter_get(user, filters.unit_id).name
    if filters.authority_id is not None:
        return authority_filter_get(user, filters.authority_id).name
    scope = scope_for(user)
    if filters.region_id is not None:
        return region_filter_get(scope, filters.region_id).name
    if scope.is_city:
        return "全市"
    names = [str(m.scope_object) for m in scope.memberships if m.role in OVERSEERS]
    return "、".join(dict.fromkeys(names))


@dataclass(frozen=True)
class PersonCompliance:
    professional: Professional
    unit: Unit | None  # whose list the person is on that year
    policy: RequirementPolicy
    hours: YearHours
    on_record: bool = True  # False: 无记录, the portal holds nothing for this person's year

    @property
    def state(self) -> str:
        if not self.on_record:
            return "no_record"
        return "compliant" if self.hours.compliant else "not_compliant"


def person_compliance(user, *, id_number: str, year: int, today: dt.date) -> PersonCompliance:
    """Was this person compliant in `year`, with which hours? Visible to whoever has the person on their list
    of that year, or as current staff (a unit checks a newcomer's past years before appointing them), and
    sees their ID number whole: never to an industry authority."""
    scope = scope_for(user)
    _require_overseer(scope)
    id_number = normalize_id_number(id_number)
    try:
        validate_id_number(id_number)
    except ValidationError as error:
        raise DomainError(error.messages[0], code=error.code, field="id_number")
    if year > today.year:
        raise DomainError(f"{year} 年尚未开始，没有该年度的学时。", code="year_in_future", field="year")
    policy = policy_of(year)
    professional = professional_by_id_number(id_number)
    if professional is None:
        raise NotFound("未找到该人员。")
    employment = year_employments(year).filter(professional=professional).select_related("unit").first()
    # Answered only to those who see the number whole, on the year's list or as the person's current overseers:
    # to an industry authority, which sees it masked, any answer would confirm it. So it gets nobody's 404.
    on_year_list = employment is not None and sees_full_id_numbers(scope, employment.unit_id,
                                                                    employment.unit.region_id)
    if not on_year_list and not may_see_full_id_number(user, professional):
        raise NotFound("未找到该人员。")
    public, prof = credited_hours(professional.pk, year)
    on_record = year_on_record(year, records_since=settings.RECORDS_SINCE,
                               registered_on=timezone.localdate(professional.created_at),
                               has_hours=professional.year_totals.filter(year=year).exists())
    return PersonCompliance(professional=professional, unit=employment.unit if employment else None, policy=policy,
                            hours=year_hours(year, public, prof, policy), on_record=on_record)


# --- a unit's progress view -------------------------------------------------------------------------------

class ProgressRow(NamedTuple):
    professional_id: int
    name: str
    hours: YearHours

    @property
    def missing(self) -> Decimal:
        return self.hours.assessment.hours_needed


def unit_progress(unit_id: int, *, year: int, behind_only: bool = False) -> list[ProgressRow]:
    """The unit's people of the year (the same people as its compliance list) with their credited hours
    against the year's requirement, the furthest behind first (`assess`; ties by name). A unit holds at most
    a few thousand people: sorted here, by the one rule, rather than by an SQL copy of it."""
    requirement = policy_of(year)
    rows = with_year_hours(year_employments(year).filter(unit_id=unit_id), year).values_list(
        "professional_id", "professional__name", "public_hours", "professional_hours")
    progress = [ProgressRow(pid, name, year_hours(year, public, professional, requirement))
                for pid, name, public, professional in rows]
    if behind_only:
        progress = [row for row in progress if not row.hours.compliant]
    return sorted(progress, key=lambda row: (-row.missing, row.name, row.professional_id))
