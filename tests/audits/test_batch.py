"""review_batch: many claims in one action; approval only for claims whose evidence this reviewer opened."""
import pytest
import time_machine

from audits.review.models import ReviewDecision
from audits.review.services import MAX_BATCH, evidence_opened, review_batch
from audits.trail.models import AuditEvent
from ce_portal.errors import DomainError
from records.hours.models import Claim
from tests.audits.review_helpers import NOW, claim_with_evidence, open_all

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def batch(reviewer, claims, action="approve", reason=""):
    ids = [c if isinstance(c, int) else c.pk for c in claims]
    return review_batch(claim_ids=ids, reviewer=reviewer, action=action, reason=reason, now=NOW, ip="10.0.0.9")


def statuses(*claims):
    return [Claim.objects.get(pk=c.pk).status for c in claims]


def test_it_approves_the_viewed_claims_and_refuses_the_unviewed_one(alice, ada):
    seen1, seen2, unseen = (claim_with_evidence(alice) for _ in range(3))
    open_all(ada, seen1)
    open_all(ada, seen2)

    result = batch(ada, [unseen, seen1, seen2])

    assert statuses(seen1, seen2, unseen) == ["unit_approved", "unit_approved", "submitted"]
    assert [i.claim_id for i in result.decided] == sorted([seen1.pk, seen2.pk])
    [refusal] = result.refused
    assert (refusal.claim_id, refusal.code) == (unseen.pk, "evidence_not_viewed")
    assert refusal.message.startswith("有 1 份佐证材料您尚未查看")
    decisions = ReviewDecision.objects.filter(batch_id=result.batch_id)
    assert sorted(decisions.values_list("claim_id", flat=True)) == sorted([seen1.pk, seen2.pk])


def test_it_counts_the_files_not_yet_opened(alice, ada):
    claim = claim_with_evidence(alice, files=3)
    evidence_opened(user=ada, evidence=claim.evidence.first(), now=NOW)
    [refusal] = batch(ada, [claim]).refused
    assert refusal.message.startswith("有 2 份佐证材料您尚未查看")


def test_a_file_opened_by_another_reviewer_does_not_count(alice, ada, hank):
    claim = claim_with_evidence(alice)
    open_all(hank, claim)
    [refusal] = batch(ada, [claim]).refused
    assert refusal.code == "evidence_not_viewed"
    assert statuses(claim) == ["submitted"]


def test_claims_outside_the_scope_and_decided_ones_are_refused_each_with_its_reason(alice, bob, ada):
    mine = claim_with_evidence(alice)
    decided = claim_with_evidence(alice, status="approved")
    not_mine = claim_with_evidence(bob)
    open_all(ada, mine)
    open_all(ada, decided)

    result = batch(ada, [mine, decided, not_mine, 987654])

    assert [i.claim_id for i in result.decided] == [mine.pk]
    reasons = {i.claim_id: (i.code, i.message) for i in result.refused}
    assert reasons[decided.pk][0] == "already_decided"
    assert reasons[not_mine.pk] == ("not_found", "未找到该申报。")
    assert reasons[987654] == ("not_found", "未找到该申报。")  # absent looks the same as not yours
    assert statuses(not_mine) == ["submitted"]


@pytest.mark.parametrize("action", ["reject", "return"])
def test_batch_reject_or_return_without_a_reason_refuses_the_whole_batch(alice, ada, action):
    claims = [claim_with_evidence(alice) for _ in range(2)]
    with pytest.raises(DomainError) as err:
        batch(ada, claims, action=action, reason=" ")
    assert err.value.code == "reason_required"
    assert statuses(*claims) == ["submitted", "submitted"]
    assert not AuditEvent.objects.filter(action__startswith="review.batch").exists()


@pytest.mark.parametrize("action, status", [("reject", "rejected"), ("return", "returned")])
def test_batch_reject_or_return_needs_no_opened_evidence(alice, ada, action, status):
    claims = [claim_with_evidence(alice) for _ in range(2)]
    result = batch(ada, claims, action=action, reason="材料不清晰")
    assert len(result.decided) == 2
    assert statuses(*claims) == [status, status]
    assert set(ReviewDecision.objects.values_list("reason", flat=True)) == {"材料不清晰"}


def test_one_batch_event_and_one_event_per_decided_claim(alice, ada):
    seen, unseen = claim_with_evidence(alice), claim_with_evidence(alice)
    open_all(ada, seen)

    result = batch(ada, [seen, unseen])

    event = AuditEvent.objects.get(action="review.batch_approve")
    assert (event.actor, event.object_type, event.object_id, event.ip) == (
        ada, "review_batch", str(result.batch_id), "10.0.0.9")
    assert event.after["decided"] == [seen.pk]
    assert event.after["refused"][0]["claim"] == unseen.pk
    assert AuditEvent.objects.filter(action="claim.approve").count() == 1


def test_an_empty_or_oversized_batch_or_unknown_action_is_refused(alice, ada):
    for claims, action, code in [([], "approve", "empty_batch"),
                                 (list(range(1, MAX_BATCH + 2)), "approve", "batch_too_large"),
                                 ([1], "withdraw", "invalid_action")]:
        with pytest.raises(DomainError) as err:
            batch(ada, claims, action=action)
        assert err.value.code == code


def test_duplicate_ids_are_decided_once(alice, ada):
    claim = claim_with_evidence(alice)
    open_all(ada, claim)
    result = batch(ada, [claim, claim])
    assert len(result.items) == 1
    assert ReviewDecision.objects.count() == 1
