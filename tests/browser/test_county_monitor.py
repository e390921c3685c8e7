import datetime as dt

import pytest
import time_machine

from audits.monitor.tasks import refresh_overdue_snapshot
from audits.review.tasks import mark_overdue_claims
from ce_portal.clock import SHANGHAI
from tests.browser.conftest import log_in
from tests.factories import DEMO_PASSWORD, ClaimFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_county_hr_sees_an_overdue_claim_on_the_monitor(page, alice, bob, xin, unit_a):
    # tick=True: the clock starts at the frozen moment and runs on, so the browser's own timers still work.
    with time_machine.travel(dt.datetime(2025, 10, 15, 10, tzinfo=SHANGHAI), tick=True):
        ClaimFactory(professional=alice, title="院内急救技能培训", due_on=dt.date(2025, 10, 9))
        ClaimFactory(professional=bob, due_on=dt.date(2025, 10, 20))  # pending, not overdue
        assert mark_overdue_claims() == 1
        refresh_overdue_snapshot()

        log_in(page, "xin", DEMO_PASSWORD)
        page.goto("/monitor/")
        assert page.locator("h1").inner_text() == "新华区逾期审核监控"
        assert page.locator("[data-total=overdue]").inner_text() == "1 条"
        row = page.locator(f"tr[data-row='{unit_a.pk}']")
        assert row.locator("td").first.inner_text() == unit_a.name
        # 10, 11 (a worked Saturday), 13, 14, 15 Oct: five working days late.
        assert row.locator("td").nth(4).inner_text() == "5"
        assert page.locator("svg circle[data-day='2025-10-15']").get_attribute("data-overdue") == "1"

        row.locator("td[data-overdue] a").click()
        page.wait_for_load_state("networkidle")
        claims = page.locator("table[data-overdue-claims] tbody tr")
        assert claims.count() == 1
        assert "院内急救技能培训" in claims.first.inner_text()
        assert "2025-10-09" in claims.first.inner_text()
