"""已逾期 follows the due date and the calendar, not the timer's flag (issue 12, case 9).

At 08:00 the day's first monitor refresh and the mark-overdue run may not have happened yet (or the timers
are down): a claim due yesterday is overdue all the same, on the monitors and on the claim's own pages.
"""
import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from audits.monitor.services import snapshot_refresh
from ce_portal.clock import SHANGHAI
from records.hours.rules import review_overdue
from tests.factories import ClaimFactory

TODAY = dt.date(2025, 10, 15)  # a Wednesday
MORNING = dt.datetime(2025, 10, 15, 8, tzinfo=SHANGHAI)
LAST_NIGHT = dt.datetime(2025, 10, 14, 23, 55, tzinfo=SHANGHAI)


def test_overdue_is_the_day_after_the_due_date_while_a_reviewer_holds_it():
    assert not review_overdue("submitted", TODAY, TODAY)  # deciding on the due date is on time
    assert review_overdue("submitted", TODAY - dt.timedelta(days=1), TODAY)
    assert review_overdue("unit_approved", dt.date(2025, 10, 1), TODAY)
    assert not review_overdue("approved", dt.date(2025, 10, 1), TODAY)
    assert not review_overdue("returned", dt.date(2025, 10, 1), TODAY)
    assert not review_overdue("draft", None, TODAY)


@pytest.fixture
def due_yesterday_and_before(alice):
    """unit_a: one claim overdue since 14 Oct, one due on 14 Oct (overdue from today), one due next week."""
    ClaimFactory(professional=alice, due_on=dt.date(2025, 10, 13))
    due_yesterday = ClaimFactory(professional=alice, title="昨日到期的申报", due_on=dt.date(2025, 10, 14))
    ClaimFactory(professional=alice, due_on=dt.date(2025, 10, 21))
    with time_machine.travel(LAST_NIGHT, tick=False):
        snapshot_refresh(today=LAST_NIGHT.date(), now=LAST_NIGHT)  # the day's last figures, yesterday
    return due_yesterday


@pytest.mark.django_db
def test_before_the_mornings_refresh_the_county_monitor_counts_by_the_due_dates(
        client, due_yesterday_and_before, xin, unit_a):
    client.force_login(xin)
    with time_machine.travel(MORNING, tick=False):
        response = client.get(reverse("monitor:home"), follow=True)
    assert response.status_code == 200
    table = response.context["table"]
    row = next(r for r in table.rows if r.pk == unit_a.pk)
    assert (row.pending, row.overdue, row.oldest_overdue_due_on) == (3, 2, dt.date(2025, 10, 13))
    assert table.totals.overdue == 2
    assert table.live_backlog
    assert "待审核与逾期数为实时数据" in response.content.decode()


@pytest.mark.django_db
def test_after_the_mornings_refresh_the_figures_are_todays_snapshot(client, due_yesterday_and_before, xin, unit_a):
    with time_machine.travel(MORNING, tick=False):
        snapshot_refresh(today=TODAY, now=MORNING)
        client.force_login(xin)
        table = client.get(reverse("monitor:home"), follow=True).context["table"]
    assert not table.live_backlog
    assert next(r for r in table.rows if r.pk == unit_a.pk).overdue == 2


@pytest.mark.django_db
def test_the_city_monitor_before_the_refresh_counts_the_countys_overdue_by_date(
        client, due_yesterday_and_before, cheng, xinhua):
    client.force_login(cheng)
    with time_machine.travel(MORNING, tick=False):
        table = client.get(reverse("monitor:city")).context["table"]
    assert next(r for r in table.rows if r.pk == xinhua.pk).overdue == 2


@pytest.mark.django_db
def test_a_claim_due_yesterday_shows_overdue_before_the_timer_flags_it(
        client, due_yesterday_and_before, alice, ada):
    claim = due_yesterday_and_before
    assert claim.overdue_since is None
    with time_machine.travel(MORNING, tick=False):
        client.force_login(alice.user)
        mine = client.get(reverse("records:claim_detail", args=[claim.pk])).content.decode()
        client.force_login(ada)
        review = client.get(reverse("review:claim", args=[claim.pk])).content.decode()
    assert "已逾期" in mine
    assert "已逾期" in review


@pytest.mark.django_db
def test_a_claim_due_today_is_not_overdue_on_its_page(client, alice):
    claim = ClaimFactory(professional=alice, due_on=TODAY)
    client.force_login(alice.user)
    with time_machine.travel(MORNING, tick=False):
        page = client.get(reverse("records:claim_detail", args=[claim.pk])).content.decode()
    assert "2025-10-15" in page
    assert "已逾期" not in page
