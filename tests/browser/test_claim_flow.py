"""A professional files a claim with a PDF on a phone-sized screen and sees it under review with its due date."""
import datetime as dt

import pytest
import time_machine

from records.hours.models import Claim
from tests.browser.conftest import fill_research_claim, log_in
from tests.factories import DEMO_PASSWORD, MINIMAL_PDF, SHANGHAI

# transactional: the live server thread must see committed data (tests/conftest.py restores reference data).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Friday 26 September 2025: due on 10 October (28 Sep is a working Sunday; 1–8 October are off).
FRIDAY = dt.datetime(2025, 9, 26, 10, 0, tzinfo=SHANGHAI)


def test_a_professional_files_a_claim_with_a_pdf_and_sees_it_under_review(phone, alice, ada, tmp_path):
    # ada reviews alice's unit: the claim goes to the unit itself (without her, the county would stand in).
    certificate = tmp_path / "结业证书.pdf"
    certificate.write_bytes(MINIMAL_PDF)
    # tick=True: the clock runs on from Friday morning in every thread, the live server's included.
    with time_machine.travel(FRIDAY, tick=True):
        log_in(phone, "alice", DEMO_PASSWORD)
        assert phone.url.endswith("/me/")
        assert "0 / 90 学时" in phone.locator("#progress").inner_text()

        phone.click("text=申报学时")
        fill_research_claim(phone, title="急诊急救新技术研修班", content="心肺复苏新指南、创伤急救", start="2025-09-22",
                            end="2025-09-23", hours="16", evidence=certificate)
        phone.click("button[name=action][value=submit]")
        phone.wait_for_load_state("networkidle")

        assert "/me/claims/" in phone.url
        assert phone.locator("[data-status]").inner_text() == "待单位审核"
        assert "单位应于 2025年10月10日 前完成审核" in phone.locator(".messages").inner_text()
        assert "结业证书.pdf" in phone.locator("[data-evidence]").inner_text()

        phone.click("text=← 返回我的继续教育")
        row = phone.locator("#under-review tr[data-claim]")
        assert row.count() == 1
        cells = row.inner_text()
        assert "急诊急救新技术研修班" in cells and "待单位审核" in cells and "2025-10-10" in cells
        # Nothing is credited until both levels approve.
        assert "0 / 90 学时" in phone.locator("#progress").inner_text()
        # Usable on a phone: the page is no wider than the screen.
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    claim = Claim.objects.get()
    assert (claim.status, claim.year, claim.due_on, claim.provider_base.name) == (
        "submitted", 2025, dt.date(2025, 10, 10), "平顶山工业职业技术学院")
    evidence = claim.evidence.get()
    assert evidence.original_name == "结业证书.pdf" and evidence.content_type == "application/pdf"
    assert evidence.submitted_at is not None
