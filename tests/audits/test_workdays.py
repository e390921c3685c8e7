"""Working days and review deadlines (rule 5): real 2023–2026 arrangements, properties, overrides, caching."""
import datetime as dt

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audits.calendar import selectors as workdays
from audits.calendar.models import OfficialCalendarYear, WorkingDayOverride
from audits.calendar.rules import LIBRARY_OFFICIAL_YEARS, Due, WorkingCalendar
from audits.calendar.selectors import add_working_days, is_working_day, review_due
from audits.review.rules import REVIEW_WORKING_DAYS
from ce_portal.clock import SHANGHAI
from records.hours.models import RequirementPolicy

D = dt.date
CALENDAR = WorkingCalendar()  # library only: the pure tests need no database
# The first year whose notice the installed library does not ship (2027 with holidays 0.109); tests that
# need an unpublished year use it, so a library upgrade moves them instead of breaking them.
UNPUBLISHED = max(LIBRARY_OFFICIAL_YEARS) + 1


@pytest.fixture
def celery_eager():
    """Run enqueued tasks inline (the app reads Django's settings once, so set its own config)."""
    from ce_portal.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


# (filed on, due on) — each row crosses or touches a holiday of the State Council's notice for that year.
REAL_DEADLINES = [
    # Rule 5's example (docs/rules.md): Sunday 28 Sep is worked, 1–8 Oct are off.
    (D(2025, 9, 26), D(2025, 10, 10)),
    # 2023
    (D(2022, 12, 30), D(2023, 1, 9)),  # New Year: 31 Dec – 2 Jan off
    (D(2023, 1, 20), D(2023, 2, 1)),  # Spring Festival: 21–27 Jan off, Sat 28 and Sun 29 Jan worked
    (D(2023, 1, 23), D(2023, 2, 1)),  # filed on a holiday (初二)
    (D(2023, 1, 28), D(2023, 2, 2)),  # filed on a make-up Saturday
    (D(2023, 4, 3), D(2023, 4, 11)),  # Qingming: Wed 5 Apr off
    (D(2023, 4, 21), D(2023, 4, 27)),  # Labour Day: Sun 23 Apr worked
    (D(2023, 4, 27), D(2023, 5, 8)),  # 29 Apr – 3 May off, Sat 6 May worked
    (D(2023, 6, 21), D(2023, 6, 29)),  # Dragon Boat: 22–24 Jun off, Sun 25 Jun worked
    (D(2023, 9, 28), D(2023, 10, 11)),  # Mid-Autumn + National Day: 29 Sep – 6 Oct off, 7–8 Oct worked
    # 2024
    (D(2023, 12, 29), D(2024, 1, 8)),  # New Year: Mon 1 Jan off
    (D(2024, 2, 2), D(2024, 2, 8)),  # Spring Festival: Sun 4 Feb worked
    (D(2024, 2, 8), D(2024, 2, 21)),  # 除夕 9 Feb is a working day; 10–17 Feb off; Sun 18 Feb worked
    (D(2024, 4, 3), D(2024, 4, 11)),  # Qingming: 4–6 Apr off, Sun 7 Apr worked
    (D(2024, 4, 26), D(2024, 5, 7)),  # Labour Day: Sun 28 Apr worked, 1–5 May off
    (D(2024, 5, 11), D(2024, 5, 17)),  # filed on a make-up Saturday
    (D(2024, 6, 7), D(2024, 6, 17)),  # Dragon Boat: Mon 10 Jun off
    (D(2024, 9, 12), D(2024, 9, 20)),  # Mid-Autumn: Sat 14 Sep worked, 15–17 Sep off
    (D(2024, 9, 27), D(2024, 10, 10)),  # National Day: Sun 29 Sep worked, 1–7 Oct off
    (D(2024, 10, 3), D(2024, 10, 12)),  # filed on a holiday; Sat 12 Oct worked
    # 2025
    (D(2024, 12, 31), D(2025, 1, 8)),  # New Year: Wed 1 Jan off
    (D(2025, 1, 24), D(2025, 2, 7)),  # Spring Festival: Sun 26 Jan worked, 28 Jan – 4 Feb off
    (D(2025, 2, 8), D(2025, 2, 14)),  # filed on a make-up Saturday
    (D(2025, 4, 3), D(2025, 4, 11)),  # Qingming: 4–6 Apr off
    (D(2025, 4, 25), D(2025, 5, 6)),  # Labour Day: Sun 27 Apr worked, 1–5 May off
    (D(2025, 5, 30), D(2025, 6, 9)),  # Dragon Boat: 31 May – 2 Jun off
    (D(2025, 9, 28), D(2025, 10, 11)),  # filed on a make-up Sunday; Sat 11 Oct worked
    (D(2025, 10, 3), D(2025, 10, 14)),  # filed on a holiday
    # 2026
    (D(2025, 12, 31), D(2026, 1, 8)),  # New Year: 1–3 Jan off, Sun 4 Jan worked
    (D(2026, 2, 13), D(2026, 2, 27)),  # Spring Festival: Sat 14 Feb worked, 15–23 Feb off
    (D(2026, 2, 25), D(2026, 3, 3)),  # Sat 28 Feb worked
    (D(2026, 4, 3), D(2026, 4, 13)),  # Qingming: 4–6 Apr off
    (D(2026, 4, 30), D(2026, 5, 11)),  # Labour Day: 1–5 May off, Sat 9 May worked
    (D(2026, 6, 18), D(2026, 6, 26)),  # Dragon Boat: 19–21 Jun off
    (D(2026, 9, 18), D(2026, 9, 24)),  # Sun 20 Sep worked
    (D(2026, 9, 24), D(2026, 10, 9)),  # Mid-Autumn 25–27 Sep, National Day 1–7 Oct off
    (D(2026, 9, 30), D(2026, 10, 13)),  # Sat 10 Oct worked
    (D(2026, 12, 24), D(2026, 12, 31)),
]


@pytest.mark.parametrize(("filed_on", "due_on"), REAL_DEADLINES, ids=[str(f) for f, _ in REAL_DEADLINES])
def test_real_deadlines(filed_on, due_on):
    assert CALENDAR.review_due(filed_on, REVIEW_WORKING_DAYS) == Due(due_on, False)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2023, 1, 28), True), (D(2023, 1, 23), False), (D(2024, 2, 9), True), (D(2024, 2, 18), True),
        (D(2024, 5, 3), False), (D(2025, 10, 8), False), (D(2025, 10, 11), True), (D(2026, 2, 23), False),
        (D(2026, 1, 4), True), (D(2026, 1, 5), True), (D(2026, 3, 7), False),
    ],
)
def test_is_working_day_table(day, working):
    assert CALENDAR.is_working_day(day) is working


def test_every_day_2023_to_2026_agrees_with_chinesecalendar():
    """An independent data set (chinesecalendar) as a cross-check of the library we build on."""
    day = D(2023, 1, 1)
    disagreements = []
    while day <= D(2026, 12, 31):
        if CALENDAR.is_working_day(day) != chinese_calendar.is_workday(day):
            disagreements.append(day)
        day += dt.timedelta(days=1)
    assert disagreements == []


def test_late_december_reaches_into_a_provisional_year():
    """Until 2027's notice is out, New Year's Day is still skipped and the deadline says it may move."""
    provisional = 2027 not in LIBRARY_OFFICIAL_YEARS
    assert CALENDAR.review_due(D(2026, 12, 28), REVIEW_WORKING_DAYS) == Due(D(2027, 1, 5), provisional)
    assert CALENDAR.review_due(D(2026, 12, 25), REVIEW_WORKING_DAYS) == Due(D(2027, 1, 4), provisional)


def test_deadlines_counting_days_of_an_unpublished_year_are_provisional():
    assert not CALENDAR.is_official(UNPUBLISHED)
    assert CALENDAR.review_due(D(UNPUBLISHED - 1, 12, 28), REVIEW_WORKING_DAYS).provisional
    assert CALENDAR.review_due(D(UNPUBLISHED, 6, 1), REVIEW_WORKING_DAYS).provisional
    # Filed on the last day of a published year: only the next year's days are counted.
    assert CALENDAR.review_due(D(UNPUBLISHED - 1, 12, 31), REVIEW_WORKING_DAYS).provisional
    assert not CALENDAR.review_due(D(UNPUBLISHED - 1, 12, 1), REVIEW_WORKING_DAYS).provisional
    assert not CALENDAR.review_due(D(UNPUBLISHED - 1, 12, 31), 0).provisional  # nothing counted


def test_a_year_city_hr_marked_official_is_not_provisional():
    calendar = WorkingCalendar(official_years=[UNPUBLISHED])
    assert calendar.is_official(UNPUBLISHED)
    assert not calendar.review_due(D(UNPUBLISHED - 1, 12, 31), REVIEW_WORKING_DAYS).provisional


def test_provisional_years_use_the_librarys_holidays_and_weekends():
    assert not CALENDAR.is_working_day(D(2027, 1, 1))  # Friday, statutory holiday
    assert not CALENDAR.is_working_day(D(2027, 10, 1))
    assert not CALENDAR.is_working_day(D(2027, 1, 2))  # Saturday
    assert CALENDAR.is_working_day(D(2027, 1, 4))


def test_start_never_counts():
    assert CALENDAR.add_working_days(D(2025, 9, 26), 1) == D(2025, 9, 28)  # a Friday: next is Sunday 28
    assert CALENDAR.add_working_days(D(2025, 10, 1), 1) == D(2025, 10, 9)  # a holiday
    assert CALENDAR.add_working_days(D(2025, 10, 1), 0) == D(2025, 10, 1)
    with pytest.raises(ValueError):
        CALENDAR.add_working_days(D(2025, 10, 1), -1)


def test_dates_outside_the_initial_span_widen_it():
    calendar = WorkingCalendar()
    assert calendar.add_working_days(D(2040, 12, 28), 5) > D(2040, 12, 31)
    assert calendar.add_working_days(D(2015, 2, 17), 1) == D(2015, 2, 25)  # 2015 Spring Festival 18–24 Feb
    assert calendar.add_working_days(D(2025, 1, 1), 2000) > D(2032, 1, 1)
    assert calendar.review_due(D(2015, 2, 17), REVIEW_WORKING_DAYS) == Due(D(2015, 3, 2), False)  # Sat 28 Feb worked
    assert not calendar.is_working_day(D(2010, 10, 1))


dates = st.dates(min_value=D(2001, 1, 1), max_value=D(2060, 12, 31))
counts = st.integers(min_value=0, max_value=400)
# Built over the whole range up front, so no example pays for widening (and trips hypothesis's deadline).
WIDE = WorkingCalendar(span=range(2001, 2066))


@given(start=dates, days=st.integers(min_value=1, max_value=60))
def test_the_due_date_is_a_working_day_with_exactly_that_many_before_it(start, days):
    due = WIDE.add_working_days(start, days)
    assert WIDE.is_working_day(due)
    between = [start + dt.timedelta(n) for n in range(1, (due - start).days + 1)]
    assert sum(WIDE.is_working_day(day) for day in between) == days


@given(start=dates, a=counts, b=counts)
def test_adding_is_associative(start, a, b):
    assert WIDE.add_working_days(start, a + b) == WIDE.add_working_days(
        WIDE.add_working_days(start, a), b
    )


@given(start=dates, a=counts, b=counts)
def test_more_days_never_give_an_earlier_date(start, a, b):
    low, high = sorted([a, b])
    assert WIDE.add_working_days(start, low) <= WIDE.add_working_days(start, high)


@given(earlier=dates, later=dates, days=st.integers(min_value=1, max_value=30))
def test_a_later_filing_never_gets_an_earlier_deadline(earlier, later, days):
    earlier, later = sorted([earlier, later])
    assert WIDE.review_due(earlier, days).on <= WIDE.review_due(later, days).on


@settings(max_examples=30, deadline=None)  # each example builds a calendar
@given(day=st.dates(min_value=D(2023, 1, 1), max_value=D(2026, 12, 31)), working=st.booleans())
def test_an_override_wins_over_the_library(day, working):
    assert WorkingCalendar(overrides={day: working}).is_working_day(day) is working


# --- The process's calendar, backed by the database ----------------------------------------------------------


@pytest.fixture(autouse=True)
def own_process_calendar(monkeypatch):
    """Each test gets a process calendar of its own, so edits a test rolls back never reach another test."""
    monkeypatch.setattr(workdays, "_process_calendar", workdays._ProcessCalendar())


def test_module_functions_use_the_library_by_default(db):
    assert review_due(D(2025, 9, 26), REVIEW_WORKING_DAYS) == Due(D(2025, 10, 10), False)
    assert add_working_days(D(2025, 9, 26), 1) == D(2025, 9, 28)
    assert is_working_day(D(2025, 9, 28))


def test_an_override_changes_the_answer_at_once_in_the_same_process(db):
    assert review_due(D(2025, 9, 26), REVIEW_WORKING_DAYS).on == D(2025, 10, 10)  # primes the process's calendar
    override = WorkingDayOverride.objects.create(date=D(2025, 10, 9), is_working=False, note="测试：临时放假")
    assert not is_working_day(D(2025, 10, 9))
    assert review_due(D(2025, 9, 26), REVIEW_WORKING_DAYS).on == D(2025, 10, 11)
    override.is_working = True
    override.save()
    assert review_due(D(2025, 9, 26), REVIEW_WORKING_DAYS).on == D(2025, 10, 10)
    WorkingDayOverride.objects.create(date=D(2025, 10, 4), is_working=True, note="测试：补班")
    assert review_due(D(2025, 9, 26), REVIEW_WORKING_DAYS).on == D(2025, 10, 9)
    WorkingDayOverride.objects.filter(date=D(2025, 10, 4)).get().delete()
    assert review_due(D(2025, 9, 26), REVIEW_WORKING_DAYS).on == D(2025, 10, 10)


def test_marking_a_year_official_clears_the_provisional_flag(db, cheng):
    filed_on = D(UNPUBLISHED - 1, 12, 28)
    before = review_due(filed_on, REVIEW_WORKING_DAYS)
    assert before.provisional
    OfficialCalendarYear.objects.create(year=UNPUBLISHED, source="国务院办公厅放假安排通知", marked_by=cheng)
    assert review_due(filed_on, REVIEW_WORKING_DAYS) == Due(before.on, False)


def test_other_processes_notice_a_committed_edit_within_a_second(db, django_capture_on_commit_callbacks):
    other = workdays._ProcessCalendar()  # another web or worker process
    assert other.get().review_due(D(2025, 9, 26), REVIEW_WORKING_DAYS).on == D(2025, 10, 10)
    with django_capture_on_commit_callbacks(execute=True):
        WorkingDayOverride.objects.create(date=D(2025, 10, 9), is_working=False)
    assert other.get().review_due(D(2025, 9, 26), REVIEW_WORKING_DAYS).on == D(2025, 10, 10)  # within its second: not yet
    other._checked_at -= workdays.RECHECK_SECONDS
    assert other.get().review_due(D(2025, 9, 26), REVIEW_WORKING_DAYS).on == D(2025, 10, 11)
    assert workdays.fresh_calendar().review_due(D(2025, 9, 26), REVIEW_WORKING_DAYS).on == D(2025, 10, 11)


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_edit_does_not_linger(celery_eager):
    class Boom(Exception):
        pass

    from django.db import transaction

    assert review_due(D(2025, 9, 26), REVIEW_WORKING_DAYS).on == D(2025, 10, 10)
    with pytest.raises(Boom), transaction.atomic():
        WorkingDayOverride.objects.create(date=D(2025, 10, 9), is_working=False)
        assert review_due(D(2025, 9, 26), REVIEW_WORKING_DAYS).on == D(2025, 10, 11)  # its own transaction sees the edit
        raise Boom
    assert review_due(D(2025, 9, 26), REVIEW_WORKING_DAYS).on == D(2025, 10, 10)
    WorkingDayOverride.objects.create(date=D(2025, 10, 9), is_working=False)  # committed (autocommit)
    assert review_due(D(2025, 9, 26), REVIEW_WORKING_DAYS).on == D(2025, 10, 11)


# --- Recomputing stored provisional deadlines ----------------------------------------------------------------


def _provisional_claims(alice):
    from tests.factories import ClaimFactory

    # The year's reviews closed on 23 December (its policy): these claims came in after it (resubmitted in
    # their window), so no close caps their deadlines and they count into the unpublished year.
    RequirementPolicy.objects.for_year(UNPUBLISHED - 1)
    RequirementPolicy.objects.filter(year=UNPUBLISHED - 1).update(
        review_closes_on=D(UNPUBLISHED - 1, 12, 23),
        filing_closes_at=dt.datetime(UNPUBLISHED - 1, 12, 9, 23, 59, 59, tzinfo=SHANGHAI))
    filed_on = D(UNPUBLISHED - 1, 12, 28)
    level1 = review_due(filed_on, REVIEW_WORKING_DAYS)
    assert level1.provisional
    waiting = ClaimFactory(professional=alice, year=UNPUBLISHED - 1, filed_on=filed_on, due_on=level1.on,
                           due_provisional=True)
    approved_on = D(UNPUBLISHED - 1, 12, 30)
    at_level2 = ClaimFactory(
        professional=alice, year=UNPUBLISHED - 1, filed_on=D(UNPUBLISHED - 1, 12, 21), status="unit_approved",
        review_started_on=approved_on, due_on=review_due(approved_on, REVIEW_WORKING_DAYS).on, due_provisional=True,
    )
    settled = ClaimFactory(professional=alice, filed_on=D(2025, 9, 26), due_on=D(2025, 10, 10))
    return waiting, at_level2, settled


def test_recompute_applies_a_published_arrangement_once(db, alice, cheng):
    from audits.review.tasks import recompute_due_dates

    waiting, at_level2, settled = _provisional_claims(alice)
    assert recompute_due_dates() == 0  # nothing new is known yet
    # The State Council's notice is out: 4 January is a holiday too, and the year is official.
    WorkingDayOverride.objects.create(date=D(UNPUBLISHED, 1, 4), is_working=False, source="国务院办公厅通知")
    OfficialCalendarYear.objects.create(year=UNPUBLISHED, source="国务院办公厅通知", marked_by=cheng)
    assert recompute_due_dates() == 2
    waiting.refresh_from_db()
    at_level2.refresh_from_db()
    assert (waiting.due_on, waiting.due_provisional) == (review_due(waiting.filed_on, REVIEW_WORKING_DAYS).on, False)
    assert waiting.due_on == CALENDAR.add_working_days(waiting.filed_on, 6)  # one day later than before
    assert (at_level2.due_on, at_level2.due_provisional) == (review_due(at_level2.review_started_on, REVIEW_WORKING_DAYS).on, False)
    assert recompute_due_dates() == 0  # idempotent
    settled_before = (settled.due_on, settled.updated_at)
    settled.refresh_from_db()
    assert (settled.due_on, settled.updated_at) == settled_before


def test_recompute_keeps_a_deadline_provisional_while_its_year_is_unpublished(db, alice):
    from audits.review.tasks import recompute_due_dates

    waiting, at_level2, _ = _provisional_claims(alice)
    WorkingDayOverride.objects.create(date=D(UNPUBLISHED, 1, 4), is_working=False, note="提前录入")
    assert recompute_due_dates() == 2
    waiting.refresh_from_db()
    at_level2.refresh_from_db()
    assert waiting.due_provisional and at_level2.due_provisional
    assert waiting.due_on == CALENDAR.add_working_days(waiting.filed_on, 6)


def test_saving_an_official_year_enqueues_the_recompute(db, alice, cheng, celery_eager,
                                                        django_capture_on_commit_callbacks):
    waiting, at_level2, _ = _provisional_claims(alice)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        OfficialCalendarYear.objects.create(year=UNPUBLISHED, source="国务院办公厅通知", marked_by=cheng)
    assert len(callbacks) == 3  # the calendar's version bump, then the claims' task and the training plans'
    waiting.refresh_from_db()
    at_level2.refresh_from_db()
    assert not waiting.due_provisional and not at_level2.due_provisional
