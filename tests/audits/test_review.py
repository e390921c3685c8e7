"""review_decide: every review move through the service, by the right and the wrong people."""
import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from audits.calendar.selectors import review_due
from audits.review.models import ReviewDecision
from audits.review.rules import REVIEW_WORKING_DAYS
from audits.review.services import evidence_opened, review_decide
from audits.trail.models import AuditEvent
from ce_portal.errors import DomainError, NotFound
from records.hours.models import Claim
from records.hours.selectors import credited_hours
from records.people.models import Role
from tests.audits.review_helpers import NOW, at_level_2, claim_with_evidence, open_all
from tests.factories import SHANGHAI, ProfessionalFactory, UnitFactory, UserFactory, grant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def decide(claim, reviewer, action, reason="", now=NOW, **kwargs):
    return review_decide(claim_id=claim.pk, reviewer=reviewer, action=action, reason=reason, now=now, **kwargs)


def refused(claim, reviewer, action, reason="", **kwargs) -> DomainError:
    before = Claim.objects.values().get(pk=claim.pk)
    decisions = ReviewDecision.objects.count()
    with pytest.raises(DomainError) as err:
        decide(claim, reviewer, action, reason, **kwargs)
    # A refusal changes nothing.
    assert Claim.objects.values().get(pk=claim.pk) == before
    assert ReviewDecision.objects.count() == decisions
    return err.value


@pytest.fixture
def city_unit(city):
    return UnitFactory(name="平顶山市第一人民医院", region=city, authority=None)


@pytest.fixture
def dora(city_unit):
    return ProfessionalFactory(name="赵多拉", unit=city_unit)


# --- level 1 ----------------------------------------------------------------------------------------------


def test_unit_reviewer_approves_and_level_2_is_due_five_working_days_later_across_national_day(alice, ada):
    claim = claim_with_evidence(alice)
    open_all(ada, claim)

    decision = decide(claim, ada, "approve")

    claim.refresh_from_db()
    assert claim.status == "unit_approved"
    assert claim.review_started_on == dt.date(2025, 9, 30)
    # 1–8 October are off and Saturday 11 October is worked: 9, 10, 11, 13, 14.
    assert claim.due_on == dt.date(2025, 10, 14) == review_due(dt.date(2025, 9, 30), REVIEW_WORKING_DAYS).on
    assert claim.due_provisional is False
    assert claim.version == 1
    assert claim.decided_at is None
    assert (decision.level, decision.action, decision.reviewer, decision.on_time) == (1, "approve", ada, True)
    event = AuditEvent.objects.filter(action="claim.approve").get()
    assert (event.actor, event.object_id, event.before["status"], event.after["status"]) == (
        ada, str(claim.pk), "submitted", "unit_approved")


@pytest.mark.parametrize("action, status", [("reject", "rejected"), ("return", "returned")])
def test_unit_reviewer_rejects_or_returns_with_a_reason(alice, ada, action, status):
    claim = claim_with_evidence(alice)

    decision = decide(claim, ada, action, reason="  证书与活动名称不符  ")

    claim.refresh_from_db()
    assert claim.status == status
    assert decision.reason == "证书与活动名称不符"
    assert (claim.decided_at is not None) == (action == "reject")  # a returned claim may come back
    assert AuditEvent.objects.filter(action=f"claim.{action}", object_id=str(claim.pk)).exists()


@pytest.mark.parametrize("action", ["reject", "return"])
def test_reject_and_return_without_a_reason_change_nothing(alice, ada, action):
    claim = claim_with_evidence(alice)
    assert refused(claim, ada, action, reason="   ").code == "reason_required"


def test_approval_needs_every_current_file_opened_by_this_reviewer(alice, ada, hank):
    claim = claim_with_evidence(alice, files=2)
    first, second = claim.evidence.all()
    evidence_opened(user=ada, evidence=first, now=NOW)
    evidence_opened(user=hank, evidence=second, now=NOW)  # someone else's look does not count

    err = refused(claim, ada, "approve")
    assert err.code == "evidence_not_viewed"
    assert "有 1 份佐证材料您尚未查看" in err.message

    evidence_opened(user=ada, evidence=second, now=NOW)
    decide(claim, ada, "approve")


def test_a_superseded_file_need_not_be_opened(alice, ada):
    claim = claim_with_evidence(alice, files=2)
    old = claim.evidence.first()
    old.removed_at = NOW
    old.save()
    open_all(ada, claim)
    decide(claim, ada, "approve")


def test_a_claim_without_evidence_cannot_be_approved(alice, ada):
    claim = claim_with_evidence(alice, files=0)
    assert refused(claim, ada, "approve").code == "no_evidence"


def test_a_decision_after_the_due_date_is_recorded_late_and_clears_the_overdue_flag(alice, ada):
    claim = claim_with_evidence(alice, due_on=dt.date(2025, 9, 29), overdue_since=NOW - dt.timedelta(hours=20))
    open_all(ada, claim)

    decision = decide(claim, ada, "approve")

    claim.refresh_from_db()
    assert decision.on_time is False
    assert claim.overdue_since is None


def test_a_decision_late_on_the_due_date_is_on_time(alice, ada):
    claim = claim_with_evidence(alice, due_on=dt.date(2025, 9, 30))
    open_all(ada, claim)
    late_evening = dt.datetime(2025, 9, 30, 23, 59, tzinfo=SHANGHAI)
    assert decide(claim, ada, "approve", now=late_evening).on_time is True


def test_a_page_older_than_the_claim_is_refused_as_already_decided(alice, ada):
    claim = claim_with_evidence(alice, version=3)
    open_all(ada, claim)
    err = refused(claim, ada, "approve", expected_version=2)
    assert err.code == "already_decided"
    decide(claim, ada, "approve", expected_version=3)


def test_an_unknown_action_is_refused(alice, ada):
    claim = claim_with_evidence(alice)
    assert refused(claim, ada, "submit").code == "invalid_action"


# --- who may act ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["alice", "bob", "xin", "ye", "cheng", "carol_reviewer"])
def test_anyone_but_the_unit_and_level_2_reviewers_gets_not_found(request, alice, who):
    if who == "carol_reviewer":
        user = UserFactory(username="cr")
        grant(user, Role.UNIT_REVIEWER, request.getfixturevalue("unit_c"))
    else:
        fixture = request.getfixturevalue(who)
        user = getattr(fixture, "user", fixture)
    claim = claim_with_evidence(alice)
    # xin is 新华区's HR bureau, but 第一医院 has an industry authority: hank reviews it, not xin.
    assert isinstance(refused(claim, user, "reject", reason="理由"), NotFound)


def test_the_level_2_reviewer_cannot_act_before_the_unit(alice, hank):
    claim = claim_with_evidence(alice)
    open_all(hank, claim)
    assert refused(claim, hank, "approve").code == "already_decided"


def test_the_unit_reviewer_cannot_act_at_level_2(alice, ada):
    claim = at_level_2(alice)
    open_all(ada, claim)
    assert refused(claim, ada, "approve").code == "already_decided"


def test_a_draft_is_invisible_to_reviewers(alice, ada):
    claim = claim_with_evidence(alice, status="draft", filed_on=None)
    assert isinstance(refused(claim, ada, "reject", reason="理由"), NotFound)


# --- level 2 ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("person, reviewer, outsiders", [
    ("alice", "hank", ["xin", "cheng"]),  # unit with an industry authority → the authority
    ("bob", "xin", ["hank", "ye", "cheng"]),  # no authority → the county's HR bureau
    ("dora", "cheng", ["xin", "hank"]),  # a city-level unit without authority → the city's HR bureau
])
def test_level_2_goes_to_the_authority_else_the_county_else_the_city(request, person, reviewer, outsiders):
    claim = at_level_2(request.getfixturevalue(person))
    reviewer = request.getfixturevalue(reviewer)
    for outsider in outsiders:
        assert isinstance(refused(claim, request.getfixturevalue(outsider), "return", reason="请补充"), NotFound)
    open_all(reviewer, claim)

    decision = decide(claim, reviewer, "approve")

    claim.refresh_from_db()
    assert (claim.status, decision.level, decision.on_time) == ("approved", 2, True)
    assert claim.decided_at == NOW


def test_final_approval_credits_the_year_once(alice, hank):
    claim = at_level_2(alice, hours=Decimal("12.5"), category="public", year=2025)
    open_all(hank, claim)

    decide(claim, hank, "approve")

    assert credited_hours(alice.pk, 2025) == (Decimal("12.5"), Decimal("0"))
    assert refused(claim, hank, "approve").code == "already_decided"
    assert credited_hours(alice.pk, 2025) == (Decimal("12.5"), Decimal("0"))


def test_unit_approval_credits_nothing(alice, ada):
    claim = claim_with_evidence(alice)
    open_all(ada, claim)
    decide(claim, ada, "approve")
    assert credited_hours(alice.pk, 2025) == (Decimal("0"), Decimal("0"))


@pytest.mark.parametrize("action, status", [("reject", "rejected"), ("return", "returned")])
def test_level_2_rejects_or_returns_with_a_reason_and_credits_nothing(bob, xin, action, status):
    claim = at_level_2(bob)
    assert refused(claim, xin, action).code == "reason_required"

    decide(claim, xin, action, reason="学时与证书不符")

    claim.refresh_from_db()
    assert claim.status == status
    assert credited_hours(bob.pk, 2025) == (Decimal("0"), Decimal("0"))


def test_a_level_2_decision_after_its_due_date_is_late(bob, xin):
    claim = at_level_2(bob, due_on=dt.date(2025, 9, 29))
    assert decide(claim, xin, "return", reason="请补充考勤").on_time is False


def test_a_reviewer_at_both_levels_acts_at_the_level_the_claim_waits_on(alice, ada, health_bureau):
    grant(ada, Role.AUTHORITY_REVIEWER, health_bureau)
    claim = claim_with_evidence(alice)
    open_all(ada, claim)
    assert decide(claim, ada, "approve").level == 1
    assert decide(claim, ada, "approve").level == 2


def test_a_returned_claim_resubmitted_starts_a_new_level_1_deadline(alice, ada):
    from audits.review.services import claim_resubmit

    claim = claim_with_evidence(alice)
    open_all(ada, claim)
    decide(claim, ada, "return", reason="请补充考勤记录")
    returned_version = Claim.objects.get(pk=claim.pk).version
    resubmitted_at = dt.datetime(2025, 10, 9, 9, 0, tzinfo=SHANGHAI)

    claim_resubmit(actor=alice.user, claim_id=claim.pk, now=resubmitted_at)

    claim.refresh_from_db()
    assert (claim.status, claim.filed_on) == ("submitted", dt.date(2025, 10, 9))
    assert claim.due_on == review_due(dt.date(2025, 10, 9), REVIEW_WORKING_DAYS).on == dt.date(2025, 10, 15)  # Sat 11 Oct is worked
    # A page opened before the resubmission does not decide the new round unseen.
    assert refused(claim, ada, "approve", expected_version=returned_version).code == "already_decided"
    decision = decide(claim, ada, "approve", now=resubmitted_at, expected_version=claim.version)
    assert (decision.level, decision.on_time) == (1, True)
