"""A unit without a reviewer is no dead end (issue 12, case 1).

Claims filed at a unit nobody reviews go to the HR bureau of its region, which stands in at level 1 with its
decisions recorded as its own; the person is told at filing, the county's desk lists such units, and the
county (or the city) appoints and removes a unit's reviewers in the portal, audited.
"""
import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from audits.review.models import ReviewDecision
from audits.review.services import claim_submit
from audits.trail.models import AuditEvent
from ce_portal.clock import SHANGHAI
from records.hours.models import Claim
from records.people.models import Role, RoleMembership
from tests.audits.review_helpers import open_all
from tests.records.test_claims import draft

FRIDAY = dt.datetime(2025, 9, 26, 10, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(FRIDAY, tick=False):
        yield


@pytest.mark.django_db
def test_a_claim_at_a_unit_without_reviewer_goes_to_the_county_which_decides_it(client, bob, xin, unit_b, xinhua):
    # 华兴科技 (unit_b) has staff (bob) and no reviewer.
    client.force_login(bob.user)
    claim = draft(bob)
    response = client.post(reverse("records:claim_submit", args=[claim.pk]), follow=True)
    assert "尚未设置审核员，本申报由新华区人社局代行单位审核" in response.content.decode()
    claim.refresh_from_db()
    assert (claim.status, claim.unit, claim.level1_region) == ("submitted", unit_b, xinhua)

    client.force_login(xin)
    desk = client.get(reverse("records:county_home")).content.decode()
    assert 'id="without-reviewer"' in desk and unit_b.name in desk
    queue = client.get(reverse("review:queue")).content.decode()
    assert claim.title in queue
    assert client.get(reverse("review:claim", args=[claim.pk])).status_code == 200
    open_all(xin, claim, now=FRIDAY)
    response = client.post(reverse("review:decide", args=[claim.pk]),
                           {"action": "approve", "reason": "", "version": claim.version})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == "unit_approved"
    decision = ReviewDecision.objects.get(claim=claim)
    assert (decision.level, decision.reviewer) == (1, xin)


@pytest.mark.django_db
def test_a_unit_with_a_reviewer_keeps_its_claims_to_itself(alice, ada, xin):
    claim = claim_submit(actor=alice.user, claim_id=draft(alice).pk, now=FRIDAY)
    assert claim.level1_region is None


@pytest.mark.django_db
def test_the_county_appoints_a_reviewer_from_the_units_staff_and_it_is_audited(client, bob, xin, unit_b):
    client.force_login(xin)
    page = client.get(reverse("review:unit_reviewers", args=[unit_b.pk]))
    assert page.status_code == 200 and "该单位目前没有审核员" in page.content.decode()
    response = client.post(reverse("review:unit_reviewers", args=[unit_b.pk]), {"professional": bob.pk}, follow=True)
    assert "为华兴科技有限公司的审核员" in response.content.decode()
    membership = RoleMembership.objects.get(role=Role.UNIT_REVIEWER, unit=unit_b)
    assert membership.user == bob.user
    assert AuditEvent.objects.get(action="unit_reviewer.appoint").actor == xin
    # From now on the unit's claims are the unit's.
    carl = claim_submit(actor=bob.user, claim_id=draft(bob).pk, now=FRIDAY)
    assert carl.level1_region is None


@pytest.mark.django_db
def test_only_the_units_staff_with_an_account_may_be_appointed(client, xin, unit_b, bob, alice):
    client.force_login(xin)
    response = client.post(reverse("review:unit_reviewers", args=[unit_b.pk]), {"professional": alice.pk})
    assert response.status_code == 200
    assert "所选人员不是本单位在职且已开通账号的人员" in response.content.decode()
    assert not RoleMembership.objects.filter(role=Role.UNIT_REVIEWER, unit=unit_b).exists()


@pytest.mark.django_db
def test_removing_the_last_reviewer_asks_first_and_hands_the_waiting_claims_to_the_county(
        client, alice, ada, xin, unit_a, xinhua):
    claim = claim_submit(actor=alice.user, claim_id=draft(alice).pk, now=FRIDAY)
    membership = RoleMembership.objects.get(role=Role.UNIT_REVIEWER, unit=unit_a)
    client.force_login(xin)
    url = reverse("review:unit_reviewer_remove", args=[unit_a.pk, membership.pk])
    confirm = client.get(url).content.decode()
    assert "最后一名审核员" in confirm
    assert RoleMembership.objects.filter(pk=membership.pk).exists()
    response = client.post(url, follow=True)
    assert "1 条待单位审核的申报改由本局代行审核" in response.content.decode()
    assert not RoleMembership.objects.filter(pk=membership.pk).exists()
    claim.refresh_from_db()
    assert claim.level1_region == xinhua
    assert AuditEvent.objects.get(action="unit_reviewer.remove").after == {"claims_taken_over_by_bureau": 1}


@pytest.mark.django_db
def test_another_county_and_the_unit_itself_cannot_manage_reviewers(client, ye, ada, unit_a):
    for user in (ye, ada):
        client.force_login(user)
        assert client.get(reverse("review:unit_reviewers", args=[unit_a.pk])).status_code in (403, 404)
    assert RoleMembership.objects.filter(role=Role.UNIT_REVIEWER, unit=unit_a).count() == 1
