"""The calendar in force: one `WorkingCalendar` per process, loaded lazily from the database and rebuilt
when overrides or official years change (see `_ProcessCalendar` for how every process notices an edit).

`review_due` is what review deadlines are computed with; a deadline reaching into a year whose official
arrangement is not yet known is provisional and recomputed when it becomes known
(audits.review.tasks.recompute_due_dates).
"""
import datetime as dt
import logging
import time
import uuid

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from audits.calendar.models import OfficialCalendarYear, WorkingDayOverride
from audits.calendar.rules import Due, WorkingCalendar

logger = logging.getLogger(__name__)


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


def review_due(filed_on: dt.date, days: int) -> Due:
    """Due date of a review `days` working days after `filed_on`; a decision on that date is on time.

    Filed Friday 2025-09-26 → due 2025-10-10 (Sunday 28 Sep is worked; 1–8 Oct are off).
    """
    return _process_calendar.get().review_due(filed_on, days)


@receiver(post_save, sender=WorkingDayOverride, dispatch_uid="workdays_override_saved")
@receiver(post_delete, sender=WorkingDayOverride, dispatch_uid="workdays_override_deleted")
@receiver(post_save, sender=OfficialCalendarYear, dispatch_uid="workdays_official_year_saved")
@receiver(post_delete, sender=OfficialCalendarYear, dispatch_uid="workdays_official_year_deleted")
def working_calendar_changed(**kwargs):
    """An edit to the calendar: drop this process's calendar and tell the others once it is committed."""
    calendar_edited()
