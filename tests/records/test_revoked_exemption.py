"""A revoked make-up exemption does not leave its claims quietly approvable (issue 12, case 6).

The claim records the exemption it was filed under. Once city_hr revokes it, the reviewer sees it on the
claim, cannot approve it in a batch, and approves it alone only with a stated reason (or returns or rejects
it); the person is told which of their claims are affected.
"""
import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from audits.review.models import Notification
from audits.review.services import claim_submit, review_batch, review_decide
from ce_portal.clock import SHANGHAI
from ce_portal.errors import DomainError
from records.hours.models import MakeUpExemption
from records.people.services import sync_staff_access
from tests.audits.review_helpers import open_all
from tests.records.test_claims import draft

GRANTED = dt.datetime(2026, 2, 2, 9, tzinfo=SHANGHAI)
FILED = dt.datetime(2026, 2, 3, 10, tzinfo=SHANGHAI)  # 2025 is closed: only the exemption opens it
REVOKED = dt.datetime(2026, 2, 4, 10, tzinfo=SHANGHAI)


@pytest.fixture
def filed_under_exemption(alice, cheng):
    exemption = MakeUpExemption.objects.create(professional=alice, year=2025, reason="因公援外一年", granted_by=cheng,
                                               expires_at=dt.datetime(2026, 3, 31, tzinfo=SHANGHAI))
    claim = draft(alice, now=FILED)
    claim = claim_submit(actor=alice.user, claim_id=claim.pk, now=FILED)
    return claim, exemption


@pytest.mark.django_db
def test_the_claim_records_the_exemption_it_was_filed_under(filed_under_exemption, alice):
    claim, exemption = filed_under_exemption
    assert claim.filed_under_exemption == exemption
    # A claim of an open year relies on nothing.
    open_year = claim_submit(actor=alice.user, claim_id=draft(alice, now=FILED, start_date=dt.date(2026, 1, 12),
                                                                   end_date=dt.date(2026, 1, 13)).pk, now=FILED)
    assert open_year.filed_under_exemption is None


def _revoke_in_the_admin(client, cheng, exemption):
    sync_staff_access(user=cheng)
    client.force_login(cheng)
    with time_machine.travel(REVOKED, tick=False):
        return client.post(reverse("admin:records_makeupexemption_change", args=[exemption.pk]),
                           {"revoke_reason": "援外任务提前结束，豁免理由不再成立", "_save": "保存"}, follow=True)


@pytest.mark.django_db
def test_after_revocation_the_reviewer_sees_it_and_approves_only_alone_with_a_reason(
        client, filed_under_exemption, alice, ada, cheng):
    claim, exemption = filed_under_exemption
    response = _revoke_in_the_admin(client, cheng, exemption)
    assert "1 条申报仍在审核中" in response.content.decode()

    notice = Notification.objects.get(user=alice.user, kind="exemption_revoked")
    assert claim.title in notice.text

    client.force_login(ada)
    with time_machine.travel(REVOKED, tick=False):
        page = client.get(reverse("review:claim", args=[claim.pk])).content.decode()
    assert "被市人社局撤销" in page

    open_all(ada, claim, now=REVOKED)
    batch = review_batch(claim_ids=[claim.pk], reviewer=ada, action="approve", reason="已核实", now=REVOKED)
    assert [item.code for item in batch.refused] == ["exemption_revoked_batch"]
    with pytest.raises(DomainError) as refused:
        review_decide(claim_id=claim.pk, reviewer=ada, action="approve", now=REVOKED)
    assert refused.value.code == "exemption_revoked_reason_required"
    claim.refresh_from_db()
    assert claim.status == "submitted"

    review_decide(claim_id=claim.pk, reviewer=ada, action="approve", reason="活动在豁免撤销前已完成并经核实", now=REVOKED)
    claim.refresh_from_db()
    assert claim.status == "unit_approved"
    assert claim.decisions.get().reason == "活动在豁免撤销前已完成并经核实"


@pytest.mark.django_db
def test_a_valid_exemption_changes_nothing_for_the_reviewer(filed_under_exemption, ada):
    claim, _ = filed_under_exemption
    open_all(ada, claim, now=REVOKED)
    batch = review_batch(claim_ids=[claim.pk], reviewer=ada, action="approve", now=REVOKED)
    assert not batch.refused
