"""Reads for the county, authority and city monitors of overdue reviews (rule 5 in docs/rules.md).

The tables read `OverdueSnapshot` (written by `audits.monitor.services.snapshot_refresh` every 15 minutes), so a
page costs as many rows as it shows units, whatever the number of claims. Before the day's first refresh the
backlog is read from the claims instead, since yesterday's figures do not count what fell due yesterday
(`_latest`). The drill-down to one unit's
overdue claims is live, through the unit's queue index. Scope: a county bureau sees its region's units,
an authority its own units, the city bureau everything; anything else is 404 before any figure is read.
"""
import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.http import Http404

from audits.calendar.selectors import current_calendar
from audits.monitor.models import OverdueSnapshot
from audits.review.rules import LEVELS, latest_safe_due
from audits.review.selectors import held_by_screening
from audits.review.services import overdue_q, waiting_statuses
from records.hours.models import Claim, RequirementPolicy
from records.hours.rules import year_end_notice_shown
from records.people.access import Scope
from records.people.models import IndustryAuthority, Region, Unit

CHART_DAYS = (30, 90)


def region_get(scope: Scope, pk: int) -> Region:
    if scope.is_city or pk in scope.region_ids:
        region = Region.objects.filter(pk=pk).first()
        if region is not None:
            return region
    raise Http404("未找到。")


def authority_get(scope: Scope, pk: int) -> IndustryAuthority:
    authority = IndustryAuthority.objects.select_related("region").filter(pk=pk).first()
    if authority is not None and (
        scope.is_city or pk in scope.authority_ids or authority.region_id in scope.region_ids
    ):
        return authority
    raise Http404("未找到。")


def unit_get(scope: Scope, pk: int) -> Unit:
    unit = Unit.objects.filter(scope.unit_q(), pk=pk).select_related("region", "authority").first()
    if unit is None:
        raise Http404("未找到。")
    return unit


@dataclass(frozen=True)
class Row:
    """One line of a monitor table: a unit, or a region's total on the city monitor.

    `on_time_rate`: share of this year's decisions made by their due date, in per cent (one decimal).
    """

    pk: int
    name: str
    pending: int
    overdue: int
    oldest_overdue_due_on: dt.date | None
    oldest_overdue_days: int | None  # working days since the oldest overdue due date
    decided: int
    decided_on_time: int
    authority_name: str = ""
    flagged: int = 0  # waiting on the city's screening decision, in neither pending nor overdue
    on_time_rate: Decimal | None = field(init=False)

    def __post_init__(self):
        rate = None
        if self.decided:
            rate = (Decimal(100 * self.decided_on_time) / self.decided).quantize(Decimal("0.1"), ROUND_HALF_UP)
        object.__setattr__(self, "on_time_rate", rate)  # computed once: a table reads it for every row


@dataclass(frozen=True)
class Table:
    rows: list[Row]
    as_of: dt.datetime | None  # when the figures were computed; None: no figures yet
    live_backlog: bool = False  # today's refresh has not run: pending and overdue are read from the claims

    @property
    def totals(self) -> Row:
        return _total(self.rows)


def working_days_late(due_dates, today: dt.date) -> dict[dt.date, int]:
    """For each due date: how many working days after it, up to and including today, have passed.

    One walk back from today over the calendar, however many dates are asked (a table shows hundreds).
    """
    calendar = current_calendar()
    wanted = sorted({d for d in due_dates if d is not None}, reverse=True)
    late, count, day = {}, 0, today
    for due in wanted:
        while day > due:
            count += calendar.is_working_day(day)
            day -= dt.timedelta(days=1)
        late[due] = count
    return late


class _Figures(NamedTuple):
    subject: int
    pending: int
    overdue: int
    oldest_overdue_due_on: dt.date | None
    decided: int
    decided_on_time: int
    computed_at: dt.datetime
    flagged: int


def _latest(snapshots: QuerySet, subject: str, today: dt.date, live_backlog) -> tuple[dict[int, _Figures], bool]:
    """The latest figures of each subject (`unit`, `region`), as plain tuples, and whether the backlog is live.

    Overdue depends on the date: figures written on an earlier day counted as overdue only what was due
    before that day. Until today's first refresh (or while the timers are down) the backlog — pending,
    overdue, oldest due date — is therefore read live from the claims (`live_backlog()`, by the due date);
    the year's decisions come from the latest figures of this year.
    """
    latest = snapshots.filter(date__lte=today).aggregate(d=Max("date"))["d"]
    figures = {}
    if latest is not None:
        rows = snapshots.filter(date=latest).values_list(subject, *_Figures._fields[1:])
        figures = {row[0]: _Figures(*row) for row in rows}
    if latest == today:
        return figures, False
    this_year = figures if latest is not None and latest.year == today.year else {}
    backlog = live_backlog()
    live = {}
    for pk in backlog.keys() | this_year.keys():
        pending, overdue, oldest, flagged = backlog.get(pk, NO_BACKLOG)
        earlier = this_year.get(pk)
        live[pk] = _Figures(pk, pending, overdue, oldest, earlier.decided if earlier else 0,
                            earlier.decided_on_time if earlier else 0, earlier.computed_at if earlier else None,
                            flagged)
    return live, True


NO_BACKLOG = (0, 0, None, 0)


def backlog_by(claims: QuerySet[Claim], subject: str,
               today: dt.date) -> dict[int, tuple[int, int, dt.date | None, int]]:
    """subject id (`unit_id`, `region_id`) → (pending, overdue, oldest overdue due date, held by a screening
    flag), by the due dates: one GROUP BY over the claims waiting on a level. A held claim waits on the city,
    so it counts in the last figure only."""
    held = held_by_screening()
    rows = (claims.filter(status__in=waiting_statuses()).values_list(subject)
            .annotate(pending=Count("id", filter=~held), overdue=Count("id", filter=overdue_q(today) & ~held),
                      oldest=Min("due_on", filter=overdue_q(today) & ~held), flagged=Count("id", filter=held))
            .order_by())
    return {pk: figures for pk, *figures in rows}


def _rows(units, figures: dict[int, _Figures], today: dt.date) -> list[Row]:
    late = working_days_late((f.oldest_overdue_due_on for f in figures.values()), today)
    none = _Figures(0, 0, 0, None, 0, 0, None, 0)
    rows = []
    for pk, name, authority_name in units:
        f = figures.get(pk, none)
        rows.append(Row(
            pk=pk, name=name, authority_name=authority_name or "", pending=f.pending, overdue=f.overdue,
            oldest_overdue_due_on=f.oldest_overdue_due_on, oldest_overdue_days=late.get(f.oldest_overdue_due_on),
            decided=f.decided, decided_on_time=f.decided_on_time, flagged=f.flagged,
        ))
    # Worst first: most overdue, then the longest waiting; quiet units after, by name.
    rows.sort(key=lambda r: (-r.overdue, r.oldest_overdue_due_on or dt.date.max, -r.pending, r.name))
    return rows


def _as_of(figures: dict[int, _Figures]) -> dt.datetime | None:
    return max((f.computed_at for f in figures.values() if f.computed_at), default=None)


def _table(units: QuerySet, snapshots: QuerySet, today: dt.date) -> Table:
    figures, live = _latest(snapshots.filter(unit__isnull=False), "unit", today,
                            lambda: backlog_by(Claim.objects.filter(unit__in=units), "unit_id", today))
    units = units.values_list("pk", "name", "authority__name").order_by()
    return Table(rows=_rows(units, figures, today), as_of=_as_of(figures), live_backlog=live)


def figures_version(*, today: dt.date, region: Region | None = None,
                    authority: IndustryAuthority | None = None) -> tuple | None:
    """What identifies the figures a monitor shows (None: no figures of today yet, so the backlog is live and
    the page is not cached). A refresh replaces today's rows, so their ids change: any one row of today,
    with its time, names the version."""
    snapshots = OverdueSnapshot.objects.filter(date=today)
    if authority is not None:
        snapshots = snapshots.filter(authority=authority)
    elif region is not None:
        snapshots = snapshots.filter(region=region)
    return snapshots.order_by("-date", "-pk").values_list("date", "computed_at", "pk").first()


def region_table(region: Region, *, today: dt.date) -> Table:
    """Every unit of the region with its backlog."""
    return _table(Unit.objects.filter(region=region), OverdueSnapshot.objects.filter(region=region), today)


def authority_table(authority: IndustryAuthority, *, today: dt.date) -> Table:
    return _table(Unit.objects.filter(authority=authority), OverdueSnapshot.objects.filter(authority=authority), today)


def city_table(*, today: dt.date) -> Table:
    """One row per region that has units: the counties, the zones and the city's own (市直) units."""
    figures, live = _latest(OverdueSnapshot.objects.filter(unit__isnull=True, authority__isnull=True), "region",
                            today, lambda: backlog_by(Claim.objects.all(), "region_id", today))
    regions = Region.objects.filter(Q(level=Region.Level.COUNTY) | Q(units__isnull=False)).distinct()
    regions = regions.order_by("code").values_list("pk", "name", "code")
    return Table(rows=_rows(((pk, name, "") for pk, name, _ in regions), figures, today), as_of=_as_of(figures),
                 live_backlog=live)


def _total(rows: list[Row]) -> Row:
    oldest = min((r for r in rows if r.oldest_overdue_due_on), key=lambda r: r.oldest_overdue_due_on, default=None)
    return Row(
        pk=0, name="合计", pending=sum(r.pending for r in rows), overdue=sum(r.overdue for r in rows),
        oldest_overdue_due_on=oldest and oldest.oldest_overdue_due_on,
        oldest_overdue_days=oldest and oldest.oldest_overdue_days,
        decided=sum(r.decided for r in rows), decided_on_time=sum(r.decided_on_time for r in rows),
        flagged=sum(r.flagged for r in rows),
    )


def overdue_history(*, today: dt.date, days: int, region: Region | None = None,
                    authority: IndustryAuthority | None = None) -> list[tuple[dt.date, int]]:
    """(date, overdue) for the last `days` days that have figures: a region's, an authority's or the city's."""
    since = today - dt.timedelta(days=days - 1)
    totals = OverdueSnapshot.objects.filter(date__range=(since, today), unit__isnull=True)
    if authority is not None:
        totals = totals.filter(authority=authority)
    else:
        totals = totals.filter(authority__isnull=True)
        if region is not None:
            totals = totals.filter(region=region)
    return list(totals.values_list("date").annotate(n=Sum("overdue")).order_by("date"))


@dataclass(frozen=True)
class Chart:
    """A server-rendered SVG line chart: coordinates in a `width` × `height` viewBox."""

    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_bottom: int
    points: str  # the polyline's "x,y x,y …"
    dots: list[tuple[float, float, dt.date, int]]
    y_ticks: list[tuple[float, int]]
    x_ticks: list[tuple[float, str]]
    days: int
    empty: bool


def line_chart(history: list[tuple[dt.date, int]], *, today: dt.date, days: int,
               width: int = 720, height: int = 220) -> Chart:
    """Lay out the history over the last `days` days; a day without figures is simply not drawn."""
    left, right, top, bottom = 44, 12, 12, 28
    since = today - dt.timedelta(days=days - 1)
    top_value = _nice_ceiling(max((n for _, n in history), default=0))

    def x(day: dt.date) -> float:
        return round(left + (day - since).days * (width - left - right) / max(days - 1, 1), 1)

    def y(value: int) -> float:
        return round(top + (height - top - bottom) * (1 - value / top_value), 1)

    dots = [(x(day), y(n), day, n) for day, n in history]
    step = max(days // 6, 1)
    x_ticks = [(x(since + dt.timedelta(days=k)), f"{(since + dt.timedelta(days=k)):%m-%d}")
               for k in range(0, days, step)]
    y_ticks = [(y(v), v) for v in range(0, top_value + 1, max(top_value // 4, 1))]
    return Chart(width=width, height=height, plot_left=left, plot_right=width - right, plot_bottom=height - bottom,
                 points=" ".join(f"{px},{py}" for px, py, _, _ in dots), dots=dots,
                 y_ticks=y_ticks, x_ticks=x_ticks, days=days, empty=not history)


def _nice_ceiling(value: int) -> int:
    """The smallest of 4, 8, 20, 40, 80, 200, … not below `value`: a top with four round gridlines."""
    scale = 1
    while True:
        for ceiling in (4 * scale, 8 * scale, 20 * scale):
            if ceiling >= value:
                return ceiling
        scale *= 10


def overdue_claims(unit: Unit, *, today: dt.date) -> QuerySet[Claim]:
    """The unit's overdue claims, the longest waiting first (live; through the (unit, status, due) index)."""
    return (
        Claim.objects.filter(overdue_q(today), ~held_by_screening(), unit=unit)
        .select_related("professional", "level2_authority", "level2_region")
        .only("title", "hours", "category", "status", "filed_on", "review_started_on", "due_on", "overdue_since",
              "professional__name", "level2_authority__name", "level2_region__name")
        .order_by("due_on", "pk")
    )


def year_end_at_risk(scope: Scope, *, today: dt.date) -> QuerySet[Claim] | None:
    """The claims of this year, in the units `scope` watches, that will miss the year's review close if
    nobody acts (`audits.review.rules.misses_review_close`), the earliest deadline first; None outside the
    days the year's closes are shown (`year_end_notice_shown`). The rule's threshold is one date per level,
    so the whole list is one query."""
    calendar = current_calendar()
    closes = RequirementPolicy.objects.closes_for(today.year, calendar)
    if not year_end_notice_shown(today, closes):
        return None
    at_risk = Q(pk__in=[])
    for level in LEVELS:
        safe = latest_safe_due(calendar, level, today=today, closes=closes)
        at_risk |= Q(status=level.waiting_status) & (Q() if safe is None else Q(due_on__gt=safe))
    return (
        Claim.objects.filter(at_risk, scope.unit_q("unit__"), year=closes.year)
        .select_related("professional", "unit", "level2_authority", "level2_region")
        .only("title", "hours", "status", "filed_on", "due_on", "professional__name", "unit__name",
              "level2_authority__name", "level2_region__name")
        .order_by("due_on", "pk")
    )
