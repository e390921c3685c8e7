"""A unit's 学时认定标准 (issue 13): how it counts hours per activity kind, its own shorter review time limit,
and an approval over the standard that needs the reviewer's reason (rule 8 in docs/rules.md)."""
import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from audits.calendar.selectors import current_calendar, review_due
from audits.review.models import UnitStandard
from audits.review.rules import LEVELS, level_working_days, unit_standard_problems
from audits.review.services import claim_submit, due_dates_recompute, review_batch, review_decide, unit_standard_save
from audits.trail.models import AuditEvent
from ce_portal.errors import DomainError, NotFound
from records.hours.models import ActivityKind, Claim
from records.hours.rules import StandardMethod, StandardRule, standard_allowance, standard_fit
from tests.audits.review_helpers import claim_with_evidence, open_all
from tests.certificate_data import approved_claim
from tests.factories import SHANGHAI
from tests.records.test_claims import FRIDAY, draft

pytestmark = pytest.mark.django_db

D = Decimal
LABELS = dict(ActivityKind.choices)
HALF_DAYS = StandardRule("face_to_face", StandardMethod.PER_HALF_DAY, D("2"))
LECTURE_CAP = StandardRule("lecture", StandardMethod.YEARLY_CAP, D("20"))


@pytest.mark.parametrize("rule, start, end, used, allowed", [
    (HALF_DAYS, dt.date(2025, 9, 22), dt.date(2025, 9, 22), D("0"), D("4")),
    (HALF_DAYS, dt.date(2025, 9, 22), dt.date(2025, 9, 23), D("0"), D("8")),
    (StandardRule("workshop", StandardMethod.PER_ACTIVITY, D("6")), dt.date(2025, 9, 22), dt.date(2025, 9, 26),
     D("0"), D("6")),
    (LECTURE_CAP, dt.date(2025, 9, 22), dt.date(2025, 9, 22), D("15"), D("5")),
    (LECTURE_CAP, dt.date(2025, 9, 22), dt.date(2025, 9, 22), D("25"), D("0")),
])
def test_the_hours_each_kind_of_rule_allows(rule, start, end, used, allowed):
    assert standard_allowance(rule, start=start, end=end, used_in_year=used) == allowed


def test_a_claim_fits_up_to_the_allowance_and_no_further():
    day = dt.date(2025, 9, 22)
    assert standard_fit(HALF_DAYS, start=day, end=day, claimed=D("4")).fits
    over = standard_fit(HALF_DAYS, start=day, end=day, claimed=D("4.5"))
    assert not over.fits and "超出 0.5 学时" in over.text and "每半天最多 2 学时" in over.text


@pytest.mark.parametrize("days, rules, code", [
    (6, [], "review_days_over_notice"),
    (0, [], "review_days_over_notice"),
    (5, [StandardRule("face_to_face", StandardMethod.PER_HALF_DAY, D("5.5"))], "standard_over_notice"),
    (5, [StandardRule("lecture", StandardMethod.YEARLY_CAP, D("0"))], "standard_amount_not_positive"),
    (5, [StandardRule("lecture", StandardMethod.YEARLY_CAP, D("2.25"))], "standard_amount_step"),
    (5, [StandardRule("lecture", "per_minute", D("2"))], "standard_method_unknown"),
    (5, [StandardRule("party", StandardMethod.PER_ACTIVITY, D("2"))], "standard_kind_unknown"),
])
def test_a_standard_beyond_the_notice_or_malformed_is_refused(days, rules, code):
    assert [p.code for p in unit_standard_problems(days, rules, LABELS)] == [code]


def test_a_good_standard_has_no_problem():
    assert unit_standard_problems(3, [HALF_DAYS, LECTURE_CAP], LABELS) == []


def test_only_the_units_own_level_is_shortened_and_never_lengthened():
    unit_level, level_2 = LEVELS
    assert level_working_days(unit_level, 2) == 2
    assert level_working_days(unit_level, None) == 5
    assert level_working_days(unit_level, 9) == 5
    assert level_working_days(level_2, 2) == 5


def test_the_service_refuses_six_days_and_changes_nothing(ada, unit_a):
    with pytest.raises(DomainError) as refused:
        unit_standard_save(actor=ada, unit=unit_a, review_working_days=6, rules=[HALF_DAYS], now=FRIDAY)
    assert refused.value.code == "review_days_over_notice"
    assert "不得超过 5 个工作日" in refused.value.message
    assert not UnitStandard.objects.exists()


def test_another_units_reviewer_cannot_set_it(unit_a, unit_b):
    from tests.factories import UserFactory, grant
    from records.people.models import Role

    bella = UserFactory(username="bella")
    grant(bella, Role.UNIT_REVIEWER, unit_b)
    with pytest.raises(NotFound):
        unit_standard_save(actor=bella, unit=unit_a, review_working_days=3, rules=[], now=FRIDAY)
    assert not UnitStandard.objects.exists()


def test_the_page_saves_the_standard_audited_and_shows_a_chinese_error_above_the_notice(client, ada, unit_a):
    client.force_login(ada)
    url = reverse("review:unit_standard", args=[unit_a.pk])
    with time_machine.travel(FRIDAY, tick=False):
        refused = client.post(url, {"review_working_days": "6", "face_to_face_method": "per_half_day",
                                    "face_to_face_amount": "2"})
        assert refused.status_code == 200
        assert "本单位审核时限不能超过 5 个工作日（通知规定的上限）。" in refused.content.decode()
        assert not UnitStandard.objects.exists()
        half_day_over = client.post(url, {"review_working_days": "3", "face_to_face_method": "per_half_day",
                                          "face_to_face_amount": "6"})
        assert "面授培训：每半天最多 5 学时" in half_day_over.content.decode()
        missing = client.post(url, {"review_working_days": "3", "lecture_method": "yearly_cap"})
        assert "学术讲座：已选择认定方式，请填写学时数。" in missing.content.decode()
        assert not UnitStandard.objects.exists()
        saved = client.post(url, {"review_working_days": "3", "face_to_face_method": "per_half_day",
                                  "face_to_face_amount": "2", "lecture_method": "yearly_cap", "lecture_amount": "20"})
    assert saved.status_code == 302
    standard = UnitStandard.objects.get(unit=unit_a)
    assert standard.review_working_days == 3
    assert {item.rule for item in standard.items.all()} == {HALF_DAYS, LECTURE_CAP}
    event = AuditEvent.objects.get(action="unit_standard.save")
    assert event.before is None and event.after["items"]["lecture"] == ["yearly_cap", "20.0"]


def test_the_units_shorter_limit_sets_the_level_1_due_date_and_a_later_change_moves_no_running_one(alice, ada, unit_a):
    unit_standard_save(actor=ada, unit=unit_a, review_working_days=2, rules=[], now=FRIDAY)
    claim = claim_submit(actor=alice.user, claim_id=draft(alice).pk, now=FRIDAY)
    # Friday 26 September 2025: Sunday 28 is worked, so two working days later is Monday 29 (not 10 October).
    assert claim.due_on == review_due(dt.date(2025, 9, 26), 2).on == dt.date(2025, 9, 29)
    assert claim.review_working_days == 2
    # The unit goes back to the notice's 5 days: a deadline already running stays, even when re-dated.
    unit_standard_save(actor=ada, unit=unit_a, review_working_days=5, rules=[], now=FRIDAY)
    due_dates_recompute(calendar=current_calendar(), today=FRIDAY.date())
    claim.refresh_from_db()
    assert claim.due_on == dt.date(2025, 9, 29)
    later = claim_submit(actor=alice.user, claim_id=draft(alice).pk, now=FRIDAY)
    assert later.due_on == dt.date(2025, 10, 10)


def test_the_authoritys_level_keeps_the_notices_days_whatever_the_units(alice, ada, unit_a):
    unit_standard_save(actor=ada, unit=unit_a, review_working_days=1, rules=[], now=FRIDAY)
    claim = claim_submit(actor=alice.user, claim_id=draft(alice).pk, now=FRIDAY)
    open_all(ada, claim)
    review_decide(claim_id=claim.pk, reviewer=ada, action="approve", now=NOW)
    claim.refresh_from_db()
    assert claim.status == "unit_approved" and claim.review_working_days == 5
    assert claim.due_on == review_due(NOW.date(), 5).on


def test_without_a_standard_the_notices_five_days_apply(alice):
    claim = claim_submit(actor=alice.user, claim_id=draft(alice).pk, now=FRIDAY)
    assert claim.due_on == dt.date(2025, 10, 10)


@pytest.fixture
def over_standard(alice, ada, unit_a):
    """16 hours claimed for a two-day course where the unit counts at most 2 hours a half day (8 hours)."""
    unit_standard_save(actor=ada, unit=unit_a, review_working_days=5, rules=[HALF_DAYS], now=FRIDAY)
    claim = claim_with_evidence(alice, kind="face_to_face", hours=D("16"))
    open_all(ada, claim)
    return claim


NOW = dt.datetime(2025, 9, 30, 10, 0, tzinfo=SHANGHAI)


def test_approving_over_the_standard_needs_a_reason(over_standard, ada):
    with pytest.raises(DomainError) as refused:
        review_decide(claim_id=over_standard.pk, reviewer=ada, action="approve", now=NOW)
    assert refused.value.code == "over_standard_reason_required"
    assert "可认定 8 学时" in refused.value.message and "说明依据" in refused.value.message
    over_standard.refresh_from_db()
    assert over_standard.status == "submitted" and not over_standard.decisions.exists()

    decision = review_decide(claim_id=over_standard.pk, reviewer=ada, action="approve", now=NOW,
                             reason="两天均为全天实操培训，按实际学时认定。")
    assert decision.reason == "两天均为全天实操培训，按实际学时认定。"
    assert Claim.objects.get(pk=over_standard.pk).status == "unit_approved"


def test_batch_approval_refuses_a_claim_over_the_standard_and_passes_one_within_it(over_standard, alice, ada):
    within = claim_with_evidence(alice, kind="face_to_face", hours=D("8"))
    open_all(ada, within)
    result = review_batch(claim_ids=[over_standard.pk, within.pk], reviewer=ada, action="approve", now=NOW,
                          reason="批量通过")
    assert [item.claim_id for item in result.decided] == [within.pk]
    assert [(item.claim_id, item.code) for item in result.refused] == [(over_standard.pk, "over_standard_batch")]
    assert Claim.objects.get(pk=over_standard.pk).status == "submitted"


def test_the_authority_is_not_held_by_the_units_standard(over_standard, ada, hank):
    review_decide(claim_id=over_standard.pk, reviewer=ada, action="approve", now=NOW, reason="按实际学时认定")
    open_all(hank, over_standard)
    review_decide(claim_id=over_standard.pk, reviewer=hank, action="approve", now=NOW)
    assert Claim.objects.get(pk=over_standard.pk).status == "approved"


def test_a_yearly_cap_counts_the_persons_credited_claims_of_the_kind(alice, ada, unit_a):
    unit_standard_save(actor=ada, unit=unit_a, review_working_days=5, rules=[LECTURE_CAP], now=FRIDAY)
    approved_claim(alice, hours="15", kind="lecture", days=2)
    claim = claim_with_evidence(alice, kind="lecture", hours=D("6"), start_date=dt.date(2025, 9, 22),
                                end_date=dt.date(2025, 9, 22))
    open_all(ada, claim)
    with pytest.raises(DomainError) as refused:
        review_decide(claim_id=claim.pk, reviewer=ada, action="approve", now=NOW)
    assert refused.value.code == "over_standard_reason_required" and "可认定 5 学时" in refused.value.message


def test_the_reviewers_page_says_whether_the_hours_fit(client, over_standard, ada):
    client.force_login(ada)
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("review:claim", args=[over_standard.pk])).content.decode()
    assert 'data-standard-fit="over"' in page and "超出 8 学时" in page


def test_the_claim_form_shows_the_units_standard_for_each_kind(client, alice, ada, unit_a):
    unit_standard_save(actor=ada, unit=unit_a, review_working_days=5, rules=[HALF_DAYS, LECTURE_CAP], now=FRIDAY)
    client.force_login(alice.user)
    with time_machine.travel(FRIDAY, tick=False):
        page = client.get(reverse("records:claim_new")).content.decode()
    assert '<li data-kind="face_to_face">面授培训：每半天最多 2 学时</li>' in page
    assert '<li data-kind="lecture">学术讲座：每人每年累计最多 20 学时</li>' in page
    assert "js/claim_standard.js" in page
