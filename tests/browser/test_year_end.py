"""The year-end close in a browser (issue 14): the closes shown from 1 December, the monitor's at-risk count."""
import datetime as dt

import pytest
import time_machine

from ce_portal.clock import SHANGHAI
from tests.browser.conftest import log_in
from tests.factories import DEMO_PASSWORD, ClaimFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_county_hr_sees_the_closes_and_follows_the_at_risk_count_to_the_claim(page, alice, xin):
    # Monday 21 December 2026: the unit's deadline must be 24 December at the latest to leave level 2 its days.
    with time_machine.travel(dt.datetime(2026, 12, 21, 10, tzinfo=SHANGHAI), tick=True):
        ClaimFactory(professional=alice, year=2026, title="年终病历质量培训", filed_on=dt.date(2026, 12, 18),
                     due_on=dt.date(2026, 12, 25))
        ClaimFactory(professional=alice, year=2026, filed_on=dt.date(2026, 12, 17), due_on=dt.date(2026, 12, 24))

        log_in(page, "xin", DEMO_PASSWORD)
        page.goto("/monitor/")
        notice = page.locator("aside.year-end")
        assert "申报截止：2026年12月17日 23:59" in notice.inner_text()
        assert "审核截止：2026年12月31日" in notice.inner_text()
        count = page.locator("[data-year-end-at-risk]")
        assert count.inner_text() == "1 条"
        count.click()
        page.wait_for_load_state("networkidle")
        rows = page.locator("table[data-year-end-claims] tbody tr")
        assert rows.count() == 1
        assert "年终病历质量培训" in rows.first.inner_text() and "2026-12-25" in rows.first.inner_text()
