"""China's official working days and review deadlines (DESIGN.md §2 rule 5).

A working day is Monday–Friday minus statutory holidays plus the adjusted working weekends (调休补班).
The `holidays` library's `China` calendar knows both for every year whose State Council notice it ships;
the `WorkingDayOverride` table corrects it date by date and always wins. A year is *official* when its
arrangement is known: the library ships that year's notice, or city_hr marked it official
(`OfficialCalendarYear`) after entering the notice as overrides. A deadline that reaches into a year that
is not official is computed from the library's holidays (statutory days and its estimated days in lieu)
and weekends, and is marked provisional; it is recomputed when the year becomes official.

`WorkingCalendar` is a pure value: arrays of working days over a span of whole years, so that adding
working days is two list look-ups, not a day-by-day walk. The module-level functions use one calendar per
process, loaded lazily from the database; see `_ProcessCalendar` for how it notices edits.
"""
import datetime as dt
import logging
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import holidays
from django.core.cache import cache
from django.db import connection, transaction

from .models import OfficialCalendarYear, WorkingDayOverride

logger = logging.getLogger(__name__)

# Years whose State Council notice the installed library ships: its substituted days (调休) are keyed by year.
LIBRARY_OFFICIAL_YEARS = frozenset(holidays.China(years=2000).special_public_holidays)

# The span a fresh calendar covers; a date outside it widens the span on first use.
DEFAULT_SPAN = range(2020, 2031)
_MAX_YEAR = dt.MAXYEAR


@dataclass(frozen=True, slots=True)
class Due:
    on: dt.date
    provisional: bool  # the count crossed a year whose official arrangement is not yet known


@dataclass(frozen=True, slots=True)
class _Tables:
    """Day k of the span is ordinal first + k; working day j is the j-th working day of the span."""

    first: int
    lo: int
    hi: int
    working: bytes  # working[k]: is day k a working day
    next_index: list  # next_index[k]: j of the first working day strictly after day k
    next_unofficial: list  # next_unofficial[k]: ordinal of the first day after day k in a year not official
    work_ords: list  # work_ords[j]: ordinal of working day j
    dues: list  # dues[j]: Due(working day j, provisional=False), built once so a look-up allocates nothing
    provisional_dues: list  # the same with provisional=True


class WorkingCalendar:
    """Working days from the library plus overrides; `official_years` are the years city_hr marked official."""

    def __init__(self, *, overrides: Mapping[dt.date, bool] | None = None, official_years: Iterable[int] = (),
                 span: range = DEFAULT_SPAN):
        self._overrides = dict(overrides or {})
        self._official = LIBRARY_OFFICIAL_YEARS | frozenset(official_years)
        years = [span.start, span.stop - 1, *(d.year for d in self._overrides)]
        self._tables = _build(min(years), max(years), self._overrides, self._official)

    def is_official(self, year: int) -> bool:
        return year in self._official

    def is_working_day(self, day: dt.date) -> bool:
        t = self._tables
        k = day.toordinal() - t.first
        if not 0 <= k < len(t.working):
            t = self._widen(day.year, day.year)
            k = day.toordinal() - t.first
        return bool(t.working[k])

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The `days`-th working day after `start`; `start` itself never counts. Zero days gives `start`."""
        return self.review_due(start, days).on

    def review_due(self, filed_on: dt.date, days: int = 5) -> Due:
        """Provisional when a day counted (after the filing day, up to the due date) is in a year not official."""
        if days > 0:
            t = self._tables
            k = filed_on.toordinal() - t.first
            if 0 <= k < len(t.next_index):
                j = t.next_index[k] + days - 1
                if j < len(t.work_ords):
                    return t.provisional_dues[j] if t.next_unofficial[k] <= t.work_ords[j] else t.dues[j]
        elif days == 0:
            return Due(filed_on, False)
        else:
            raise ValueError("days must be zero or more")
        # Outside the span or past its last working day: widen by enough years (≈250 working days a year).
        self._widen(filed_on.year, filed_on.year + days // 200 + 1)
        return self.review_due(filed_on, days)

    def _widen(self, lo: int, hi: int) -> _Tables:
        t = self._tables
        lo, hi = min(lo, t.lo), min(max(hi, t.hi), _MAX_YEAR - 1)
        # One year past what was asked, so a count starting late in December finds its days in January.
        self._tables = _build(lo, hi + 1, self._overrides, self._official)
        return self._tables


def _build(lo: int, hi: int, overrides: Mapping[dt.date, bool], official: frozenset) -> _Tables:
    # A substituted working weekend can be listed under the following year (e.g. a late-December
    # Saturday worked for a New Year bridge), hence the library is asked for one year more.
    library = holidays.China(years=range(lo, min(hi + 2, _MAX_YEAR + 1)))
    days_off = set(library.keys())
    weekend_workdays = set(library.weekend_workdays)
    first = dt.date(lo, 1, 1).toordinal()
    last = dt.date(hi, 12, 31).toordinal()
    size = last - first + 1
    working = bytearray(size)
    for k in range(size):
        day = dt.date.fromordinal(first + k)
        is_working = overrides.get(day)
        if is_working is None:
            is_working = day in weekend_workdays if day.weekday() >= 5 else day not in days_off
        working[k] = is_working
    work_ords = [first + k for k in range(size) if working[k]]
    next_index = [0] * size
    next_unofficial = [0] * size
    following = len(work_ords)  # scanning backwards: j of the first working day after day k
    unofficial = last + 1  # beyond the span: a count reaching it widens the span first
    for k in range(size - 1, -1, -1):
        next_index[k] = following
        next_unofficial[k] = unofficial
        if working[k]:
            following -= 1
        if dt.date.fromordinal(first + k).year not in official:
            unofficial = first + k
    days = [dt.date.fromordinal(o) for o in work_ords]
    return _Tables(
        first=first, lo=lo, hi=hi, working=bytes(working), next_index=next_index, next_unofficial=next_unofficial,
        work_ords=work_ords, dues=[Due(d, False) for d in days], provisional_dues=[Due(d, True) for d in days],
    )


# --- The process's calendar -------------------------------------------------------------------------------

VERSION_CACHE_KEY = "ce_portal:workdays:version"
RECHECK_SECONDS = 1.0


class _ProcessCalendar:
    """One calendar per process, rebuilt when overrides or official years change.

    Deadlines are computed in bulk (hundreds of thousands a second), so the hot path must not touch the
    network: the shared version stamp (Django's cache, i.e. Redis in production, so every web and worker
    process sees it) is read at most once per RECHECK_SECONDS. A per-request middleware would miss Celery
    tasks and commands, which compute most deadlines. So: the process that saves an edit sees it at once
    (the signal drops its calendar), other processes within a second, and the recompute task forces a check.

    Until the editing transaction ends, this process answers from a calendar that includes the edit (the
    transaction reads its own writes); once it has ended the calendar is rebuilt from committed rows, so a
    rolled-back edit does not linger. One process serves one request at a time (sync gunicorn workers,
    prefork Celery), so the editing transaction is told apart by its outermost atomic block.
    """

    def __init__(self):
        self._calendar: WorkingCalendar | None = None
        self._version = None
        self._checked_at = 0.0
        self._edit_block = None  # outermost atomic block of an edit not yet committed

    def get(self) -> WorkingCalendar:
        calendar = self._calendar
        if calendar is not None and self._edit_block is None and time.monotonic() - self._checked_at < RECHECK_SECONDS:
            return calendar
        return self._refresh()

    def fresh(self) -> WorkingCalendar:
        self._checked_at = 0.0
        return self._refresh()

    def _refresh(self) -> WorkingCalendar:
        if self._edit_block is not None:
            blocks = connection.atomic_blocks
            if blocks and blocks[0] is self._edit_block:
                if self._calendar is None:
                    self._calendar = _load()
                return self._calendar
            # The editing transaction is over without the commit hook running: it was rolled back.
            self._edit_block = None
            self._calendar = None
        if self._calendar is not None and time.monotonic() - self._checked_at < RECHECK_SECONDS:
            return self._calendar
        # The stamp before the rows: an edit committed in between costs one more reload, never a stale calendar.
        version = self._shared_version()
        self._checked_at = time.monotonic()
        if self._calendar is None or version != self._version:
            self._calendar = _load()
            self._version = version
        return self._calendar

    def _shared_version(self):
        try:
            return cache.get(VERSION_CACHE_KEY)
        except Exception:  # a cache outage must not stop deadlines; keep the version we have and retry later
            logger.warning("working-day calendar: cannot read the version stamp", exc_info=True)
            return self._version

    def edited(self) -> None:
        """An override or official year was saved or deleted in the current transaction."""
        self._calendar = None
        blocks = connection.atomic_blocks
        self._edit_block = blocks[0] if blocks else None
        # robust: the edit is committed whatever happens to the stamp; a failure is logged, not raised.
        transaction.on_commit(self._committed, robust=True)

    def _committed(self) -> None:
        cache.set(VERSION_CACHE_KEY, uuid.uuid4().hex, timeout=None)
        self._edit_block = None
        self._calendar = None


def _load() -> WorkingCalendar:
    return WorkingCalendar(
        overrides=dict(WorkingDayOverride.objects.values_list("date", "is_working")),
        official_years=OfficialCalendarYear.objects.values_list("year", flat=True),
    )


_process_calendar = _ProcessCalendar()


def current_calendar() -> WorkingCalendar:
    """The calendar in force for this process (for bulk callers that want to skip the per-call check)."""
    return _process_calendar.get()


def fresh_calendar() -> WorkingCalendar:
    """The calendar after checking the shared version now (for jobs enqueued right after an edit)."""
    return _process_calendar.fresh()


def calendar_edited() -> None:
    _process_calendar.edited()


def is_working_day(day: dt.date) -> bool:
    return _process_calendar.get().is_working_day(day)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The `days`-th working day after `start` (`start` itself never counts, working day or not)."""
    return _process_calendar.get().add_working_days(start, days)


def review_due(filed_on: dt.date, days: int = 5) -> Due:
    """Due date of a review `days` working days after `filed_on`; a decision on that date is on time.

    Filed Friday 2025-09-26 → due 2025-10-10 (Sunday 28 Sep is worked; 1–8 Oct are off).
    """
    return _process_calendar.get().review_due(filed_on, days)
