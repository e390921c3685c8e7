"""Two reviewers decide the same claim at the same moment, in two real PostgreSQL transactions.

Each thread has its own database connection (Django's connections are per thread), so the row lock in
review_decide is what stands between them.
"""
import threading
import time

import pytest
from django.db import connection, connections, transaction

from audits.review.models import ReviewDecision
from audits.review.services import review_decide
from ce_portal.errors import DomainError
from records.hours.models import Claim
from records.hours.selectors import credited_hours
from records.people.models import Role
from tests.audits.review_helpers import NOW, at_level_2, claim_with_evidence, open_all
from tests.factories import UserFactory, grant

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ann(unit_a):
    """A second reviewer of 第一医院."""
    user = UserFactory(username="ann", first_name="第一医院审核员二")
    grant(user, Role.UNIT_REVIEWER, unit_a)
    return user


class Decider(threading.Thread):
    """Decides in its own connection; with `hold`, keeps its transaction open until `release` is set."""

    def __init__(self, claim, reviewer, action, *, start_line=None, hold=False):
        super().__init__(daemon=True)
        self.claim, self.reviewer, self.action = claim, reviewer, action
        self.start_line, self.hold = start_line, hold
        self.decided = threading.Event()
        self.release = threading.Event()
        self.outcome = None

    def run(self):
        try:
            if self.start_line:
                self.start_line.wait(timeout=10)
            with transaction.atomic():
                try:
                    self.outcome = review_decide(claim_id=self.claim.pk, reviewer=self.reviewer, action=self.action,
                                                 reason="材料不全", now=NOW)
                except DomainError as err:
                    self.outcome = err
                self.decided.set()
                if self.hold:
                    self.release.wait(timeout=10)
        finally:
            connections.close_all()


def released_together(claim, *decisions) -> list[Decider]:
    """Each (reviewer, action) decides the claim in a thread of its own, all let go at the same instant."""
    start_line = threading.Barrier(len(decisions))
    deciders = [Decider(claim, reviewer, action, start_line=start_line) for reviewer, action in decisions]
    for d in deciders:
        d.start()
    for d in deciders:
        d.join(15)
    return deciders


def sessions_waiting_for_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def wait_until(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_the_second_reviewer_waits_for_the_first_and_then_is_told_it_is_already_decided(alice, ada, ann):
    claim = claim_with_evidence(alice)
    open_all(ada, claim)
    open_all(ann, claim)
    first = Decider(claim, ada, "approve", hold=True)
    second = Decider(claim, ann, "reject")

    first.start()
    assert first.decided.wait(timeout=10)
    second.start()
    # The second transaction is blocked on the first one's row lock, not racing past it.
    wait_until(lambda: sessions_waiting_for_a_lock() == 1)
    assert not second.decided.is_set()
    first.release.set()
    first.join(10)
    second.join(10)

    assert isinstance(first.outcome, ReviewDecision)
    assert isinstance(second.outcome, DomainError)
    assert second.outcome.code == "already_decided"
    assert "已处理" in second.outcome.message or "不在您的审核环节" in second.outcome.message
    claim.refresh_from_db()
    assert (claim.status, claim.version) == ("unit_approved", 1)
    assert list(ReviewDecision.objects.values_list("reviewer__username", "action")) == [("ada", "approve")]


@pytest.mark.parametrize("round_", range(3))
def test_two_reviewers_released_together_yield_exactly_one_decision(round_, alice, ada, ann):
    claim = claim_with_evidence(alice)
    open_all(ada, claim)
    open_all(ann, claim)
    deciders = released_together(claim, (ada, "approve"), (ann, "return"))

    outcomes = [d.outcome for d in deciders]
    wins = [o for o in outcomes if isinstance(o, ReviewDecision)]
    losses = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(wins) == 1 and len(losses) == 1
    assert losses[0].code == "already_decided"
    assert ReviewDecision.objects.filter(claim=claim).count() == 1
    assert Claim.objects.get(pk=claim.pk).version == 1


def test_two_final_approvals_credit_the_hours_once(alice, hank, health_bureau):
    other = UserFactory(username="hank2")
    grant(other, Role.AUTHORITY_REVIEWER, health_bureau)
    claim = at_level_2(alice)
    open_all(hank, claim)
    open_all(other, claim)
    deciders = released_together(claim, (hank, "approve"), (other, "approve"))

    assert sum(isinstance(d.outcome, ReviewDecision) for d in deciders) == 1
    assert credited_hours(alice.pk, 2025) == (0, claim.hours)


def test_a_decision_made_outside_any_transaction_takes_its_own(alice, ada):
    """The decide page calls review_decide in autocommit (no ATOMIC_REQUESTS): its row lock needs the
    service's own transaction, or every single decision on PostgreSQL is a TransactionManagementError (500)."""
    claim = claim_with_evidence(alice)
    open_all(ada, claim)
    assert not connection.in_atomic_block
    decision = review_decide(claim_id=claim.pk, reviewer=ada, action="approve", now=NOW)
    assert Claim.objects.get(pk=claim.pk).status == decision.claim.status == "unit_approved"
