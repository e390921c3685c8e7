"""A third review level is one more description: a claim walks through it with the production services,
queues and timers, none of which names a level. (The production levels stay two: test_workflow.py.)"""
import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from audits.calendar.selectors import review_due
from audits.review.models import Notification, ReviewDecision
from audits.review.rules import LEVELS, ReviewerRoute, ReviewLevel
from audits.review.selectors import review_queue, review_queue_counts
from audits.review.services import claim_submit, mark_overdue, review_decide, send_due_reminders
from ce_portal.errors import DomainError
from records.hours.models import Claim
from records.hours.selectors import credited_hours
from tests.audits.review_helpers import open_all
from tests.factories import SHANGHAI, ClaimFactory, EvidenceFileFactory

pytestmark = pytest.mark.django_db

# The city bureau re-checks what the authority passed, within 3 working days: reviewed by city_hr of the city
# the claim's county belongs to.
CITY_REVIEW = ReviewLevel(3, "市人社局复核", "city_review",
                          (ReviewerRoute("city_region_ids", "region__parent_id"),), working_days=3)
THREE_LEVELS = (*LEVELS, CITY_REVIEW)

FILED = dt.datetime(2025, 9, 22, 9, 0, tzinfo=SHANGHAI)  # Monday


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


@pytest.fixture
def draft(alice):
    claim = ClaimFactory(professional=alice, status="draft", filed_on=None, review_started_on=None, due_on=None,
                         start_date=dt.date(2025, 9, 15), end_date=dt.date(2025, 9, 16))
    EvidenceFileFactory(claim=claim, submitted_at=None)
    return claim


def test_a_claim_walks_through_three_levels_each_with_its_own_deadline(draft, alice, ada, hank, cheng):
    with time_machine.travel(FILED, tick=False):
        claim = claim_submit(actor=alice.user, claim_id=draft.pk, now=FILED, levels=THREE_LEVELS)
    assert (claim.status, claim.due_on) == ("submitted", review_due(FILED.date(), 5).on)

    open_all(ada, claim, now=at(dt.date(2025, 9, 23)))
    review_decide(claim_id=claim.pk, reviewer=ada, action="approve", now=at(dt.date(2025, 9, 23)), levels=THREE_LEVELS)
    open_all(hank, claim, now=at(dt.date(2025, 9, 24)))
    review_decide(claim_id=claim.pk, reviewer=hank, action="approve", now=at(dt.date(2025, 9, 24)),
                  levels=THREE_LEVELS)
    claim.refresh_from_db()
    # Not approved yet: it waits on the city, 3 working days from the authority's approval.
    assert claim.status == "city_review"
    assert (claim.review_started_on, claim.due_on) == (dt.date(2025, 9, 24), review_due(dt.date(2025, 9, 24), 3).on)
    assert credited_hours(alice.pk, 2025) == (Decimal("0"), Decimal("0"))

    # The city's queue finds it at level 3 (and the production description would not: no such status there).
    city_queue = review_queue(cheng, today=dt.date(2025, 9, 25), levels=THREE_LEVELS)
    assert [(c.pk, c.queue_level) for c in city_queue] == [(claim.pk, 3)]
    assert review_queue_counts(cheng, today=dt.date(2025, 9, 25), levels=THREE_LEVELS)["total"] == 1
    assert not review_queue(cheng, today=dt.date(2025, 9, 25)).exists()

    # The authority has done its part: a second approval from it is refused as not its step.
    with pytest.raises(DomainError) as err:
        review_decide(claim_id=claim.pk, reviewer=hank, action="approve", now=at(dt.date(2025, 9, 25)),
                      levels=THREE_LEVELS)
    assert err.value.code == "already_decided"

    open_all(cheng, claim, now=at(dt.date(2025, 9, 25)))
    review_decide(claim_id=claim.pk, reviewer=cheng, action="approve", now=at(dt.date(2025, 9, 25)),
                  levels=THREE_LEVELS)
    claim.refresh_from_db()
    assert claim.status == "approved" and claim.decided_at == at(dt.date(2025, 9, 25))
    assert credited_hours(alice.pk, 2025) == (Decimal("0"), claim.hours)
    decisions = ReviewDecision.objects.filter(claim=claim).order_by("at")
    assert [(d.level, d.reviewer, d.on_time) for d in decisions] == [(1, ada, True), (2, hank, True), (3, cheng, True)]
    assert decisions[2].due_on == review_due(dt.date(2025, 9, 24), 3).on


def test_the_timers_flag_and_remind_at_the_third_level_too(alice, cheng):
    waiting = ClaimFactory(professional=alice, status="city_review", review_started_on=dt.date(2025, 9, 24),
                           due_on=dt.date(2025, 9, 29))
    marked = mark_overdue(today=dt.date(2025, 9, 30), now=at(dt.date(2025, 9, 30), 0), levels=THREE_LEVELS)
    assert marked.by_level == {1: 0, 2: 0, 3: 1}
    assert Claim.objects.get(pk=waiting.pk).overdue_since is not None

    due_soon = ClaimFactory(professional=alice, status="city_review", review_started_on=dt.date(2025, 9, 26),
                            due_on=dt.date(2025, 10, 9))
    assert send_due_reminders(today=dt.date(2025, 10, 9), now=at(dt.date(2025, 10, 9), 8), levels=THREE_LEVELS) == 1
    notice = Notification.objects.get(user=cheng)
    assert "市人社局复核 1 条" in notice.text and due_soon.due_on.isoformat() in notice.text
