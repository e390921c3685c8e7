"""China's official working days (rule 5 in docs/rules.md), as a pure value.

A working day is Monday–Friday minus statutory holidays plus the adjusted working weekends (调休补班).
The `holidays` library's `China` calendar knows both for every year whose State Council notice it ships;
the `WorkingDayOverride` table corrects it date by date and always wins. A year is *official* when its
arrangement is known: the library ships that year's notice, or city_hr marked it official
(`OfficialCalendarYear`) after entering the notice as overrides. A deadline that reaches into a year that
is not official is computed from the library's holidays and weekends and marked provisional.

`WorkingCalendar` holds arrays of working days over whole years, so that adding working days is two list
look-ups, not a day-by-day walk.
"""
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import holidays

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

    def review_due(self, filed_on: dt.date, days: int) -> Due:
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

    def last_working_day(self, on_or_before: dt.date) -> dt.date:
        """The latest working day not after `on_or_before` (the day itself when it is one)."""
        day = on_or_before
        while not self.is_working_day(day):
            day -= dt.timedelta(days=1)
        return day

    def subtract_working_days(self, end: dt.date, days: int) -> dt.date:
        """The day `days` working days before `end`: the working day from which `add_working_days` reaches
        `end` (when `end` is a working day) in `days` days. Zero days gives `end`."""
        if days < 0:
            raise ValueError("days must be zero or more")
        day = end
        for _ in range(days):
            day = self.last_working_day(day - dt.timedelta(days=1))
        return day

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
