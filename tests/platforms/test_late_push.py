"""Hours completed before the year's close but pushed after it are not lost (issue 12, case 3).

A record's year is the year of its completion (Beijing time). During the grace days after the close (15 by
default, `RequirementPolicy.late_push_grace_days`) a record completed before the close is registered and
credited to its year, and the person's ledger marks it as pushed late; after them, the close applies.
"""
import datetime as dt
from decimal import Decimal as D

import pytest

from records.hours.models import PlatformRecord, RequirementPolicy
from records.hours.rules import platform_record_year_refusal
from records.hours.selectors import credited_hours
from tests.platforms.helpers import SHANGHAI, client_for, post, record_for

pytestmark = pytest.mark.usefixtures("frozen")

CLOSE = dt.datetime(2025, 12, 31, 23, 59, 59, tzinfo=SHANGHAI)
LATE_EVENING = "2025-12-31T23:30:00+08:00"


def moment(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def results_of(response) -> list[tuple]:
    return [(r["status"], r.get("code")) for r in response.json()["results"]]


def test_the_grace_covers_records_completed_before_the_close_only():
    completed = moment(2025, 12, 31, 23, 30)
    assert platform_record_year_refusal(2025, completed, moment(2026, 1, 1, 0, 20), filing_close=CLOSE) is None
    assert platform_record_year_refusal(2025, completed, moment(2026, 1, 15, 23, 59), filing_close=CLOSE) is None
    assert platform_record_year_refusal(2025, completed, moment(2026, 1, 16, 0, 0),
                                        filing_close=CLOSE).code == "year_closed"
    # A policy close before the year's end: a record completed after it is not "completed before the close".
    early_close = moment(2025, 12, 20)
    assert platform_record_year_refusal(2025, moment(2025, 12, 25), moment(2025, 12, 26),
                                        filing_close=early_close).code == "year_closed"
    assert platform_record_year_refusal(2025, completed, moment(2026, 1, 3), filing_close=CLOSE,
                                        grace_days=0).code == "year_closed"


def test_a_record_completed_at_2330_on_31_december_and_pushed_at_0020_is_registered_to_its_year(
        client, alice, public_token, frozen):
    frozen.move_to(moment(2026, 1, 1, 0, 20))
    response = post(client_for(public_token), {"records": [record_for(alice, 1, completed_at=LATE_EVENING)]})
    assert results_of(response) == [("created", None)]
    row = PlatformRecord.objects.get(external_id="EXT-1")
    assert row.year == 2025
    assert credited_hours(alice.pk, 2025) == (D("2"), D("0"))

    client.force_login(alice.user)
    page = client.get("/me/years/2025/", follow=True).content.decode()
    assert "截止后补推送" in page


def test_the_year_is_the_completions_in_beijing_time(alice, public_platform, public_token, frozen):
    public_platform.years_approved = [2025, 2026]
    public_platform.save()
    frozen.move_to(moment(2026, 1, 2, 9))
    # 16:30 UTC on 31 December is 00:30 on 1 January in Beijing: a 2026 record, open.
    response = post(client_for(public_token), {"records": [record_for(alice, 1, completed_at="2025-12-31T16:30:00Z")]})
    assert results_of(response) == [("created", None)]
    assert PlatformRecord.objects.get(external_id="EXT-1").year == 2026


def test_after_the_grace_days_the_close_applies(alice, public_token, frozen):
    frozen.move_to(moment(2026, 1, 16, 0, 0, 1))
    response = post(client_for(public_token), {"records": [record_for(alice, 1, completed_at=LATE_EVENING)]})
    assert results_of(response) == [("rejected", "year_closed")]
    assert not PlatformRecord.objects.exists()


def test_the_policy_sets_the_grace_days(alice, public_token, frozen):
    RequirementPolicy.objects.update_or_create(year=2025, defaults={"late_push_grace_days": 3})
    frozen.move_to(moment(2026, 1, 4, 9))
    response = post(client_for(public_token), {"records": [record_for(alice, 1, completed_at=LATE_EVENING)]})
    assert results_of(response) == [("rejected", "year_closed")]


def test_a_record_pushed_before_the_close_is_not_marked_late(client, alice, public_token, frozen):
    frozen.move_to(moment(2025, 12, 31, 23, 45))
    post(client_for(public_token), {"records": [record_for(alice, 1, completed_at=LATE_EVENING)]})
    client.force_login(alice.user)
    page = client.get("/me/years/2025/", follow=True).content.decode()
    assert "公需科目课程1" in page
    assert "截止后补推送" not in page


def test_from_2026_platform_records_are_taken_until_the_review_close_after_hand_filing_has_closed(
        client, alice, public_platform, public_token, frozen):
    """2026's filing closes on 17 December for hand claims, which need their reviews; a platform record,
    credited on arrival, is taken until the end of the review close, 31 December, and its grace runs from
    there (issue 14)."""
    public_platform.years_approved = [2026]
    public_platform.save()
    frozen.move_to(moment(2026, 12, 20, 22))
    response = post(client_for(public_token), {"records": [record_for(alice, 1, completed_at="2026-12-20T21:00:00+08:00")]})
    assert results_of(response) == [("created", None)]
    frozen.move_to(moment(2027, 1, 1, 0, 20))
    response = post(client_for(public_token), {"records": [record_for(alice, 2, completed_at="2026-12-31T23:30:00+08:00")]})
    assert results_of(response) == [("created", None)]
    assert sorted(PlatformRecord.objects.values_list("external_id", "year")) == [("EXT-1", 2026), ("EXT-2", 2026)]
    client.force_login(alice.user)
    page = client.get("/me/years/2026/", follow=True).content.decode()
    assert page.count("截止后补推送") == 1
