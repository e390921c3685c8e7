"""The year-end close (issue 14, 确保参加继续教育的技术人员在年内全部完成审核工作).

2026: Thursday 31 December is its last working day of December, so its reviews close then, and its filing
closes at the end of Thursday 17 December, ten working days before (18, 21–25, 28–31 December). Every
deadline is the earlier of its 5 working days and the review close; the pages show both closes from
1 December; the monitors count the claims that will miss the review close if nobody acts.
"""
import datetime as dt
import re
from pathlib import Path

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from audits.calendar.rules import Due, WorkingCalendar
from audits.review.rules import LEVELS, level_due, misses_review_close
from audits.review.services import claim_submit, review_decide
from audits.trail.models import AuditEvent
from ce_portal.errors import DomainError
from records.certificates.services import certificate_content
from records.hours.models import Claim, RequirementPolicy
from records.hours.rules import (
    FILING_LEAD_WORKING_DAYS, ReviewClockReading, YearCloses, end_of_day, year_end_notice_shown,
)
from records.people.services import sync_staff_access
from tests.audits.review_helpers import open_all
from tests.factories import SHANGHAI, ClaimFactory
from tests.records.test_claims import draft

pytestmark = pytest.mark.django_db

D = dt.date
CALENDAR = WorkingCalendar()
CLOSES_2026 = YearCloses(2026, end_of_day(D(2026, 12, 17)), D(2026, 12, 31))


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def submitted(professional, now: dt.datetime, *, activity=(D(2026, 9, 21), D(2026, 9, 22))) -> Claim:
    with time_machine.travel(now, tick=False):
        claim = draft(professional, now=now, start_date=activity[0], end_date=activity[1])
        return claim_submit(actor=professional.user, claim_id=claim.pk, now=now)


def approve(claim: Claim, reviewer, now: dt.datetime) -> Claim:
    with time_machine.travel(now, tick=False):
        open_all(reviewer, claim, now)
        review_decide(claim_id=claim.pk, reviewer=reviewer, action="approve", now=now)
    claim.refresh_from_db()
    return claim


def set_reading(year: int, reading: str) -> None:
    RequirementPolicy.objects.for_year(year)
    RequirementPolicy.objects.filter(year=year).update(review_clock_reading=reading)


# --- the closes ----------------------------------------------------------------------------------------------

def test_filing_closes_as_many_working_days_before_the_review_close_as_the_levels_take():
    assert FILING_LEAD_WORKING_DAYS == sum(level.working_days for level in LEVELS)


def test_2026_closes_on_17_and_31_december_and_the_years_before_at_year_end_without_a_review_close():
    closes = RequirementPolicy.objects.closes_for(2026)
    assert (closes.filing, closes.review, closes.reading) == (at(2026, 12, 17, 23, 59, 59), D(2026, 12, 31),
                                                              ReviewClockReading.PER_LEVEL)
    # Filed in the close's last minute, both levels fit: 24 December at the unit, 31 December at level 2.
    assert CALENDAR.add_working_days(D(2026, 12, 17), 5) == D(2026, 12, 24)
    assert CALENDAR.add_working_days(D(2026, 12, 24), 5) == D(2026, 12, 31)
    earlier = RequirementPolicy.objects.closes_for(2025)
    assert (earlier.filing, earlier.review) == (at(2025, 12, 31, 23, 59, 59), None)


def test_the_review_close_follows_the_last_working_day_and_city_hr_may_set_both():
    # 2027: Friday 31 December, New Year's Eve, is the last working day the library knows.
    assert RequirementPolicy.objects.closes_for(2027).review == CALENDAR.last_working_day(D(2027, 12, 31))
    policy = RequirementPolicy.objects.for_year(2026)
    policy.review_closes_on = D(2026, 12, 25)
    policy.save()
    # The filing close follows the review close: 10 working days before Friday 25 December is 11 December.
    assert policy.closes().filing == at(2026, 12, 11, 23, 59, 59)
    policy.filing_closes_at = at(2026, 12, 4, 18)
    policy.full_clean()
    assert policy.closes().filing == at(2026, 12, 4, 18)


@pytest.mark.parametrize(("review_close", "filing_close", "errors"), [
    (D(2027, 1, 5), None, {"review_closes_on": ["审核截止日期须在 2026 年内，不能为 2027年01月05日。"]}),
    (D(2026, 12, 20), at(2026, 12, 21, 12), {"filing_closes_at": [
        "申报截止时间（2026年12月21日）须早于审核截止日期（2026年12月20日），否则最后提交的申报来不及审核。"]}),
    (D(2026, 12, 20), at(2026, 12, 20, 9), {"filing_closes_at": [
        "申报截止时间（2026年12月20日）须早于审核截止日期（2026年12月20日），否则最后提交的申报来不及审核。"]}),
    (None, at(2025, 12, 30, 18), {"filing_closes_at": ["申报截止时间须在 2026 年内，不能为 2025年12月30日。"]}),
])
def test_closes_outside_the_year_or_in_the_wrong_order_are_refused_in_chinese(review_close, filing_close, errors):
    policy = RequirementPolicy.objects.for_year(2026)
    policy.review_closes_on, policy.filing_closes_at = review_close, filing_close
    with pytest.raises(ValidationError) as refused:
        policy.full_clean()
    assert refused.value.message_dict == errors


# --- filing -------------------------------------------------------------------------------------------------

def test_filing_after_the_filing_close_is_refused_and_changes_nothing(alice):
    with time_machine.travel(at(2026, 12, 10, 9), tick=False):
        claim = draft(alice, now=at(2026, 12, 10, 9), start_date=D(2026, 12, 7), end_date=D(2026, 12, 8))
    late = at(2026, 12, 18, 0, 0, 0)
    with time_machine.travel(late, tick=False), pytest.raises(DomainError) as refused:
        claim_submit(actor=alice.user, claim_id=claim.pk, now=late)
    assert refused.value.code == "year_closed"
    assert refused.value.message.startswith("2026 年度学时申报已于 2026年12月17日 23:59:59 截止")
    claim.refresh_from_db()
    assert (claim.status, claim.filed_on, claim.due_on) == ("draft", None, None)


def test_the_last_second_before_the_filing_close_is_accepted_and_both_levels_fit(alice, ada):
    claim = submitted(alice, at(2026, 12, 17, 23, 59, 59))
    assert (claim.status, claim.due_on) == ("submitted", D(2026, 12, 24))
    claim = approve(claim, ada, at(2026, 12, 24, 16))
    assert (claim.status, claim.due_on, claim.due_provisional) == ("unit_approved", D(2026, 12, 31), False)


# --- deadlines capped by the review close -------------------------------------------------------------------

def test_a_level_2_started_late_is_due_on_the_review_close_not_in_january(alice, ada):
    claim = submitted(alice, at(2026, 12, 16, 10))
    assert claim.due_on == D(2026, 12, 23)
    # The unit decides late, on 28 December: five working days would run to 5 January 2027.
    assert CALENDAR.add_working_days(D(2026, 12, 28), 5) == D(2027, 1, 5)
    claim = approve(claim, ada, at(2026, 12, 28, 9))
    assert (claim.due_on, claim.due_provisional) == (D(2026, 12, 31), False)


@pytest.mark.parametrize(("started_on", "due"), [
    (D(2026, 12, 17), Due(D(2026, 12, 24), False)),  # fits: its own five days
    (D(2026, 12, 28), Due(D(2026, 12, 31), False)),  # across the close: the close
    (D(2026, 12, 31), Due(D(2026, 12, 31), False)),  # on the close itself
    (D(2027, 1, 4), CALENDAR.review_due(D(2027, 1, 4), 5)),  # after it (resubmitted in its window): full days
])
def test_the_due_date_is_the_earlier_of_five_working_days_and_the_review_close(started_on, due):
    assert level_due(CALENDAR, LEVELS[0], filed_on=started_on, started_on=started_on, closes=CLOSES_2026) == due


# --- the two readings of the review clock (docs/working-days.md) ---------------------------------------------

@pytest.mark.parametrize(("reading", "unit_decides", "level_2_due"), [
    # Filed Monday 28 September 2026; 1–7 October are off, Saturday 10 October is worked.
    (ReviewClockReading.PER_LEVEL, D(2026, 9, 30), D(2026, 10, 13)),
    (ReviewClockReading.PER_LEVEL, D(2026, 10, 10), D(2026, 10, 16)),
    (ReviewClockReading.FROM_FILING, D(2026, 9, 30), D(2026, 10, 10)),
    (ReviewClockReading.FROM_FILING, D(2026, 10, 10), D(2026, 10, 10)),
])
def test_each_reading_for_a_claim_filed_on_28_september_2026(alice, ada, reading, unit_decides, level_2_due):
    set_reading(2026, reading)
    claim = submitted(alice, at(2026, 9, 28, 10))
    assert claim.due_on == D(2026, 10, 10)
    claim = approve(claim, ada, dt.datetime.combine(unit_decides, dt.time(15), tzinfo=SHANGHAI))
    assert (claim.status, claim.review_started_on, claim.due_on) == ("unit_approved", unit_decides, level_2_due)


def test_city_hr_changes_the_reading_in_the_admin_audited_and_the_years_open_claims_are_re_dated(
        client, cheng, alice):
    waiting = ClaimFactory(professional=alice, year=2026, status="unit_approved", filed_on=D(2026, 9, 28),
                           review_started_on=D(2026, 9, 30), due_on=D(2026, 10, 13))
    other_year = ClaimFactory(professional=alice, year=2025, status="unit_approved", filed_on=D(2025, 12, 29),
                              review_started_on=D(2026, 1, 5), due_on=D(2026, 1, 12))
    policy = RequirementPolicy.objects.for_year(2026)
    sync_staff_access(user=cheng)
    client.force_login(cheng)
    with time_machine.travel(at(2026, 10, 9, 9), tick=False):
        response = client.post(reverse("admin:records_requirementpolicy_change", args=[policy.pk]), {
            "year": "2026", "total_hours": "90", "public_hours": "30", "professional_hours": "60",
            "filing_closes_at_0": "", "filing_closes_at_1": "", "review_closes_on": "",
            "review_clock_reading": "from_filing", "resubmission_working_days": "10", "late_push_grace_days": "15",
            "_save": "保存",
        }, follow=True)
    assert response.status_code == 200
    assert "2026 年度 1 条待审核申报的审核期限有变化" in response.content.decode()
    waiting.refresh_from_db()
    other_year.refresh_from_db()
    assert (waiting.due_on, other_year.due_on) == (D(2026, 10, 10), D(2026, 1, 12))
    change = AuditEvent.objects.get(action="policy.change")
    assert (change.actor, change.before["review_clock_reading"], change.after["review_clock_reading"]) == (
        cheng, "per_level", "from_filing")
    redate = AuditEvent.objects.get(action="claim.redate")
    assert redate.after["year"] == 2026
    assert redate.after["claims"] == [[waiting.pk, "2026-10-13", "2026-10-10"]]


def test_an_admin_edit_with_closes_in_the_wrong_order_is_refused_and_changes_nothing(client, cheng):
    policy = RequirementPolicy.objects.for_year(2026)
    sync_staff_access(user=cheng)
    client.force_login(cheng)
    response = client.post(reverse("admin:records_requirementpolicy_change", args=[policy.pk]), {
        "year": "2026", "total_hours": "90", "public_hours": "30", "professional_hours": "60",
        "filing_closes_at_0": "2026-12-30", "filing_closes_at_1": "18:00:00", "review_closes_on": "2026-12-29",
        "review_clock_reading": "per_level", "resubmission_working_days": "10", "late_push_grace_days": "15",
        "_save": "保存",
    })
    assert response.status_code == 200
    assert "须早于审核截止日期" in response.content.decode()
    policy.refresh_from_db()
    assert (policy.filing_closes_at, policy.review_closes_on) == (None, None)
    assert not AuditEvent.objects.filter(action="policy.change").exists()


# --- the closes on the pages --------------------------------------------------------------------------------

def test_the_notice_shows_from_1_december_until_the_review_close():
    assert not year_end_notice_shown(D(2026, 11, 30), CLOSES_2026)
    assert year_end_notice_shown(D(2026, 12, 1), CLOSES_2026)
    assert year_end_notice_shown(D(2026, 12, 31), CLOSES_2026)
    assert not year_end_notice_shown(D(2027, 1, 1), CLOSES_2026)
    assert not year_end_notice_shown(D(2025, 12, 1), YearCloses(2025, end_of_day(D(2025, 12, 31)), None))


@pytest.mark.parametrize("who, page", [
    ("alice", "records:my_home"), ("ada", "review:queue"), ("hank", "review:queue"), ("xin", "review:queue"),
])
def test_the_professionals_and_reviewers_pages_show_both_closes_from_1_december_not_on_30_november(
        request, client, alice, ada, hank, xin, who, page):
    person = request.getfixturevalue(who)
    client.force_login(getattr(person, "user", person))
    with time_machine.travel(at(2026, 11, 30, 10), tick=False):
        before = client.get(reverse(page)).content.decode()
    with time_machine.travel(at(2026, 12, 1, 10), tick=False):
        after = client.get(reverse(page)).content.decode()
    assert "审核截止" not in before and "data-year-end" not in before
    assert 'data-year-end="2026"' in after
    assert "申报截止：<time datetime=\"2026-12-17T23:59:59+08:00\">2026年12月17日 23:59</time>" in after
    assert "审核截止：<time datetime=\"2026-12-31\">2026年12月31日</time>" in after


def test_the_claim_page_shows_both_closes_too(client, alice):
    claim = submitted(alice, at(2026, 12, 2, 10))
    client.force_login(alice.user)
    with time_machine.travel(at(2026, 12, 2, 11), tick=False):
        page = client.get(reverse("records:claim_detail", args=[claim.pk])).content.decode()
    assert "审核截止：<time datetime=\"2026-12-31\">" in page


# --- the monitors: claims that will miss the review close ---------------------------------------------------

@pytest.fixture
def december_claims(alice):
    """Waiting claims of 2026 on Monday 21 December: the unit's deadline must leave level 2 its five working
    days before 31 December, i.e. be 24 December at the latest."""
    fits = ClaimFactory(professional=alice, year=2026, filed_on=D(2026, 12, 17), due_on=D(2026, 12, 24))
    too_late = ClaimFactory(professional=alice, year=2026, filed_on=D(2026, 12, 18), due_on=D(2026, 12, 25))
    at_level_2 = ClaimFactory(professional=alice, year=2026, status="unit_approved", filed_on=D(2026, 12, 10),
                              review_started_on=D(2026, 12, 21), due_on=D(2026, 12, 28))
    decided = ClaimFactory(professional=alice, year=2026, status="approved", filed_on=D(2026, 12, 18),
                           due_on=D(2026, 12, 25))
    last_year = ClaimFactory(professional=alice, year=2025, filed_on=D(2026, 12, 18), due_on=D(2026, 12, 25))
    return fits, too_late, at_level_2, decided, last_year


@pytest.mark.parametrize(("level", "due_on", "today", "misses"), [
    (1, D(2026, 12, 24), D(2026, 12, 21), False),
    (1, D(2026, 12, 25), D(2026, 12, 21), True),
    (2, D(2026, 12, 31), D(2026, 12, 21), False),
    (2, D(2026, 12, 28), D(2026, 12, 29), True),  # two working days left: whatever its deadline
    (1, D(2026, 12, 7), D(2026, 12, 1), False),
])
def test_what_misses_the_review_close(level, due_on, today, misses):
    assert misses_review_close(CALENDAR, LEVELS[level - 1], due_on=due_on, today=today,
                               closes=CLOSES_2026) is misses


def test_the_county_monitor_counts_the_claims_that_will_miss_the_review_close_and_lists_them(
        client, xin, xinhua, december_claims):
    fits, too_late, at_level_2, decided, last_year = december_claims
    client.force_login(xin)
    with time_machine.travel(at(2026, 12, 21, 10), tick=False):
        monitor = client.get(reverse("monitor:region", args=[xinhua.pk])).content.decode()
        listing = client.get(reverse("monitor:year_end")).content.decode()
    assert 'data-year-end-at-risk="1"' in monitor
    assert reverse("monitor:year_end") in monitor
    assert f'data-claim="{too_late.pk}"' in listing
    assert all(f'data-claim="{c.pk}"' not in listing for c in (fits, at_level_2, decided, last_year))
    # Two working days before the close, every claim of the year still waiting is at risk.
    with time_machine.travel(at(2026, 12, 29, 10), tick=False):
        monitor = client.get(reverse("monitor:region", args=[xinhua.pk])).content.decode()
    assert 'data-year-end-at-risk="3"' in monitor


def test_the_count_is_not_shown_before_1_december_nor_to_another_county(client, xin, ye, xinhua, yexian,
                                                                          december_claims):
    client.force_login(xin)
    with time_machine.travel(at(2026, 11, 30, 10), tick=False):
        assert "data-year-end-at-risk" not in client.get(reverse("monitor:region", args=[xinhua.pk])).content.decode()
    client.force_login(ye)
    with time_machine.travel(at(2026, 12, 21, 10), tick=False):
        assert 'data-year-end-at-risk="0"' in client.get(reverse("monitor:region", args=[yexian.pk])).content.decode()


# --- docs/working-days.md -----------------------------------------------------------------------------------

def test_the_reading_table_in_the_docs_is_what_the_calendar_gives():
    """Each row of the table of the two readings is what `level_due` gives for its claim, so the doc cannot
    drift from the calendar or the rule."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "working-days.md").read_text()
    rows = re.findall(r"^\| (per level|from filing) \| (\S+) \| (\S+) \| (\S+) \|$", doc, re.MULTILINE)
    assert len(rows) == 4
    readings = {"per level": ReviewClockReading.PER_LEVEL, "from filing": ReviewClockReading.FROM_FILING}
    filed_on = D(2026, 9, 28)
    for reading, level_1, decided, level_2 in rows:
        closes = YearCloses(2026, CLOSES_2026.filing, CLOSES_2026.review, readings[reading])
        decided_on = D.fromisoformat(decided)
        assert level_due(CALENDAR, LEVELS[0], filed_on=filed_on, started_on=filed_on,
                         closes=closes).on == D.fromisoformat(level_1)
        assert level_due(CALENDAR, LEVELS[1], filed_on=filed_on, started_on=decided_on,
                         closes=closes).on == D.fromisoformat(level_2)


def test_a_certificate_of_2026_stays_interim_until_the_platforms_close_after_hand_filing_closed(alice):
    assert certificate_content(alice, 2026, at(2026, 12, 20, 10))["interim"] is True
    assert certificate_content(alice, 2026, at(2026, 12, 31, 23, 59, 59))["interim"] is True
    assert certificate_content(alice, 2026, at(2027, 1, 1, 0, 0, 0))["interim"] is False


def test_the_admin_page_shows_the_closes_in_force_defaults_included(client, cheng):
    policy = RequirementPolicy.objects.for_year(2026)
    sync_staff_access(user=cheng)
    client.force_login(cheng)
    page = client.get(reverse("admin:records_requirementpolicy_change", args=[policy.pk])).content.decode()
    assert "申报截止：2026年12月17日 23:59:59；审核截止：2026年12月31日" in page


@pytest.mark.parametrize("end", [D(2026, 12, 31), D(2026, 10, 8), D(2026, 10, 10), D(2027, 1, 4), D(2025, 2, 5)])
@pytest.mark.parametrize("days", [0, 1, 5, 10])
def test_subtracting_working_days_undoes_adding_them(end, days):
    assert CALENDAR.is_working_day(end)
    start = CALENDAR.subtract_working_days(end, days)
    assert CALENDAR.is_working_day(start)
    assert CALENDAR.add_working_days(start, days) == end
