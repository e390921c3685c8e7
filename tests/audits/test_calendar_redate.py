"""A correction of the calendar re-dates the open claims it touches, in an official year too (issue 12, case 7).

2026 is an official year (its arrangement is published). Marking Wednesday 2026-12-30 a holiday moves a level-1
deadline of 2026-12-31 (review started Thursday 24 December) to Monday 2027-01-04 — provisional, as 2027's
arrangement is not published — in the same transaction as the edit, audited, and city_hr reads how many moved.
"""
import datetime as dt

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse

from audits.calendar import selectors as workdays
from audits.calendar.models import WorkingDayOverride
from audits.trail.models import AuditEvent
from ce_portal.clock import SHANGHAI
from records.hours.models import RequirementPolicy
from records.people.services import sync_staff_access
from tests.factories import ClaimFactory

D = dt.date


@pytest.fixture(autouse=True)
def own_process_calendar(monkeypatch):
    """Edits these tests roll back must not reach the calendar other tests use."""
    monkeypatch.setattr(workdays, "_process_calendar", workdays._ProcessCalendar())


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 12, 28, 10, tzinfo=SHANGHAI), tick=False):
        yield


@pytest.fixture
def city_admin(client, cheng):
    sync_staff_access(user=cheng)
    client.force_login(cheng)
    return client


@pytest.fixture
def claims(alice):
    # 2026's reviews closed on 23 December (its policy): these claims came in after it (resubmitted in their
    # window), so no close caps their deadlines and the calendar alone moves them.
    RequirementPolicy.objects.update_or_create(year=2026, defaults={
        "review_closes_on": D(2026, 12, 23), "filing_closes_at": dt.datetime(2026, 12, 9, 23, 59, 59, tzinfo=SHANGHAI)})
    touched = ClaimFactory(professional=alice, year=2026, filed_on=D(2026, 12, 24), due_on=D(2026, 12, 31))
    # Started after the changed day: its count does not cross it.
    later = ClaimFactory(professional=alice, year=2026, filed_on=D(2026, 12, 30), due_on=D(2027, 1, 7),
                         due_provisional=True)
    # Due before the changed day: unaffected.
    earlier = ClaimFactory(professional=alice, year=2026, filed_on=D(2026, 12, 18), due_on=D(2026, 12, 25))
    decided = ClaimFactory(professional=alice, year=2026, filed_on=D(2026, 12, 24), due_on=D(2026, 12, 31),
                           status="approved")
    return touched, later, earlier, decided


def test_marking_a_day_off_in_an_official_year_re_dates_the_open_claims_it_touches(city_admin, cheng, claims):
    touched, later, earlier, decided = claims
    before = {c.pk: c.due_on for c in claims}
    response = city_admin.post(reverse("admin:audits_workingdayoverride_add"), {
        "date": "2026-12-30", "note": "市政府临时放假", "source": "市政府通知", "_save": "保存",
    })
    assert response.status_code == 302
    for claim in claims:
        claim.refresh_from_db()
    assert (touched.due_on, touched.due_provisional) == (D(2027, 1, 4), True)
    assert [c.due_on for c in (later, earlier, decided)] == [before[c.pk] for c in (later, earlier, decided)]
    assert "1 条待审核申报的审核期限有变化" in " ".join(str(m) for m in get_messages(response.wsgi_request))
    event = AuditEvent.objects.get(action="claim.redate")
    assert event.actor == cheng
    assert event.after["moved"] == 1
    assert event.after["claims"] == [[touched.pk, "2026-12-31", "2027-01-04"]]


def test_undoing_the_correction_moves_the_deadline_back(city_admin, claims):
    touched = claims[0]
    override = WorkingDayOverride.objects.create(date=D(2026, 12, 30), is_working=False)
    workdays.calendar_edited()
    city_admin.post(reverse("admin:audits_workingdayoverride_change", args=[override.pk]), {
        "date": "2026-12-30", "is_working": "on", "note": "更正：照常上班", "source": "", "_save": "保存",
    })
    touched.refresh_from_db()
    assert (touched.due_on, touched.due_provisional) == (D(2026, 12, 31), False)


def test_a_deadline_moved_past_today_clears_the_overdue_flag(city_admin, alice):
    # Due Thursday 24 Dec and flagged; the city declares 24 Dec a day off after the fact.
    flagged = ClaimFactory(professional=alice, year=2026, filed_on=D(2026, 12, 17), due_on=D(2026, 12, 24),
                           overdue_since=dt.datetime(2026, 12, 25, 0, 5, tzinfo=SHANGHAI))
    city_admin.post(reverse("admin:audits_workingdayoverride_add"), {
        "date": "2026-12-24", "note": "补休", "source": "市政府通知", "_save": "保存",
    })
    flagged.refresh_from_db()
    assert flagged.due_on == D(2026, 12, 25)
    assert flagged.overdue_since is not None  # 25 Dec is past on the 28th: still overdue

    still_open = ClaimFactory(professional=alice, year=2026, filed_on=D(2026, 12, 21), due_on=D(2026, 12, 28),
                              overdue_since=dt.datetime(2026, 12, 28, 0, 5, tzinfo=SHANGHAI))
    city_admin.post(reverse("admin:audits_workingdayoverride_add"), {
        "date": "2026-12-28", "note": "临时放假", "source": "市政府通知", "_save": "保存",
    })
    still_open.refresh_from_db()
    assert still_open.due_on > D(2026, 12, 28)
    assert still_open.overdue_since is None


def test_an_edit_that_moves_nothing_says_so(city_admin, claims):
    response = city_admin.post(reverse("admin:audits_workingdayoverride_add"), {
        "date": "2027-03-01", "note": "无关日期", "source": "测试", "_save": "保存",
    })
    assert "没有待审核申报的审核期限因此改变" in " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert not AuditEvent.objects.filter(action="claim.redate").exists()
