"""Mark-overdue: a claim undecided after its due date (Asia/Shanghai) is flagged, never decided."""
import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection

from audits.calendar.selectors import review_due
from audits.review.rules import REVIEW_WORKING_DAYS
from audits.review.services import mark_overdue
from audits.review.tasks import mark_overdue_claims
from audits.trail.models import AuditEvent
from ce_portal.clock import SHANGHAI
from records.hours.models import Claim
from tests.factories import ClaimFactory


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def filed_before_national_day(alice):
    # Filed Friday 2025-09-26: Sunday 28 Sep is worked, 1–8 Oct are off, so the 5th working day is 10 Oct.
    assert review_due(dt.date(2025, 9, 26), REVIEW_WORKING_DAYS).on == dt.date(2025, 10, 10)
    return ClaimFactory(professional=alice, filed_on=dt.date(2025, 9, 26), due_on=dt.date(2025, 10, 10))


@pytest.mark.django_db
def test_a_claim_is_not_overdue_at_the_end_of_its_due_date(filed_before_national_day):
    with time_machine.travel(at(2025, 10, 10, 23, 59), tick=False):
        assert mark_overdue_claims() == 0
    filed_before_national_day.refresh_from_db()
    assert filed_before_national_day.overdue_since is None


@pytest.mark.django_db
def test_it_flags_a_claim_the_day_after_its_due_date_and_leaves_it_in_the_queue(filed_before_national_day):
    with time_machine.travel(at(2025, 10, 11, 0, 5), tick=False):
        assert mark_overdue_claims() == 1
    claim = Claim.objects.get(pk=filed_before_national_day.pk)
    assert claim.overdue_since == at(2025, 10, 11, 0, 5)
    assert claim.status == Claim.Status.SUBMITTED  # never approved automatically
    assert claim.decided_at is None
    event = AuditEvent.objects.get(action="claim.mark_overdue")
    assert event.after == {"today": "2025-10-11", "by_level": {"1": 1, "2": 0}}


@pytest.mark.django_db
def test_the_day_boundary_is_shanghai_midnight_not_utc(filed_before_national_day):
    # 2025-10-10 20:00 UTC is already 11 Oct 04:00 in Shanghai.
    with time_machine.travel(dt.datetime(2025, 10, 10, 20, 0, tzinfo=dt.timezone.utc), tick=False):
        assert mark_overdue_claims() == 1


@pytest.mark.django_db
def test_running_twice_changes_nothing(filed_before_national_day):
    with time_machine.travel(at(2025, 10, 11, 0, 5), tick=False):
        mark_overdue_claims()
    with time_machine.travel(at(2025, 10, 11, 0, 20), tick=False):
        assert mark_overdue_claims() == 0
    filed_before_national_day.refresh_from_db()
    assert filed_before_national_day.overdue_since == at(2025, 10, 11, 0, 5)
    assert AuditEvent.objects.filter(action="claim.mark_overdue").count() == 1


@pytest.mark.django_db
def test_it_catches_up_on_everything_that_fell_due_while_it_was_down(alice, bob):
    due_while_down = [
        ClaimFactory(professional=alice, due_on=dt.date(2025, 10, 10)),
        ClaimFactory(professional=bob, due_on=dt.date(2025, 10, 13)),
        ClaimFactory(professional=bob, status="unit_approved", review_started_on=dt.date(2025, 10, 6),
                     due_on=dt.date(2025, 10, 14)),
    ]
    due_today = ClaimFactory(professional=alice, due_on=dt.date(2025, 10, 15))
    already_decided = ClaimFactory(professional=alice, status="approved", due_on=dt.date(2025, 10, 13))
    returned = ClaimFactory(professional=bob, status="returned", due_on=dt.date(2025, 10, 10))

    # The last run was on 10 Oct; the worker comes back on 15 Oct.
    with time_machine.travel(at(2025, 10, 15, 9, 30), tick=False):
        assert mark_overdue(today=dt.date(2025, 10, 15), now=at(2025, 10, 15, 9, 30)).by_level[1] == 2
    flagged = set(Claim.objects.filter(overdue_since__isnull=False).values_list("pk", flat=True))
    assert flagged == {c.pk for c in due_while_down}
    assert due_today.pk not in flagged and already_decided.pk not in flagged and returned.pk not in flagged


@pytest.mark.django_db
def test_a_level2_claim_is_judged_by_the_deadline_of_level_2(bob):
    late_at_level2 = ClaimFactory(professional=bob, status="unit_approved", review_started_on=dt.date(2025, 10, 9),
                                  due_on=dt.date(2025, 10, 16))
    result = mark_overdue(today=dt.date(2025, 10, 16), now=at(2025, 10, 16, 1))
    assert result.total == 0  # level 1 was late, but the claim now waits on level 2, due today
    result = mark_overdue(today=dt.date(2025, 10, 17), now=at(2025, 10, 17, 1))
    assert result.by_level == {1: 0, 2: 1}
    late_at_level2.refresh_from_db()
    assert late_at_level2.overdue_since == at(2025, 10, 17, 1)


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_flag_each_claim_once(alice):
    claims = ClaimFactory.create_batch(40, professional=alice, due_on=dt.date(2025, 10, 10))
    results, barrier = [], threading.Barrier(2)

    def run(minute):
        try:
            barrier.wait()
            results.append(mark_overdue(today=dt.date(2025, 10, 11), now=at(2025, 10, 11, 0, minute)).total)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(m,)) for m in (5, 6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == len(claims)
    assert Claim.objects.filter(overdue_since__isnull=True).count() == 0


def test_the_beat_schedule_names_registered_tasks_in_shanghai_time(settings):
    from ce_portal.celery import app

    schedule = settings.CELERY_BEAT_SCHEDULE
    app.loader.import_default_modules()  # what a worker does at start: every part's tasks.py is registered
    assert {entry["task"] for entry in schedule.values()} <= set(app.tasks)
    assert app.conf.timezone == "Asia/Shanghai"
    after_midnight = schedule["mark-overdue-after-midnight"]["schedule"]
    assert (after_midnight.hour, after_midnight.minute) == ({0}, {5})
    assert schedule["mark-overdue"]["schedule"].minute == {0, 15, 30, 45}
    assert (schedule["due-reminders"]["schedule"].hour, schedule["overdue-digest"]["schedule"].hour) == ({8}, {8})
