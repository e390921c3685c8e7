"""Issue 14 where a person clicks: a form's errors open on a summary that leads to each field, and the
review queue and the monitor read on a 390 px phone."""
import datetime as dt

import pytest
import time_machine

from tests.audits.review_helpers import NOW, claim_with_evidence
from tests.browser.conftest import log_in
from records.hours.models import Claim
from tests.factories import DEMO_PASSWORD, MINIMAL_PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=True):
        yield


def one_line(page, selector: str) -> bool:
    """The element's text takes exactly one line: its content box is one line-height high."""
    return page.eval_on_selector(selector, """el => {
        const s = getComputedStyle(el);
        const content = el.clientHeight - parseFloat(s.paddingTop) - parseFloat(s.paddingBottom);
        return Math.abs(content - parseFloat(s.lineHeight)) < 2;
    }""")


def test_the_claim_form_opens_on_its_error_summary_and_each_link_reaches_its_field(page, alice):
    log_in(page, "alice", DEMO_PASSWORD)
    page.goto("/me/claims/new/")
    page.fill("#id_title", "")
    page.fill("#id_content", "")
    page.click("main button[type=submit][value=draft]")
    page.wait_for_load_state("networkidle")

    summary = page.locator("[data-error-summary]")
    assert summary.get_attribute("role") == "alert"
    heading = summary.locator("h2").inner_text()
    links = summary.locator("a")
    assert heading == f"请修改以下 {summary.locator('li').count()} 处错误" and links.count() >= 2
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")

    summary.locator("a[href='#id_title']").click()
    assert page.evaluate("document.activeElement.id") == "id_title"
    summary.locator("a[href='#id_content']").click()
    assert page.evaluate("document.activeElement.id") == "id_content"


def test_a_chosen_file_survives_a_form_error_and_goes_with_the_claim(page, alice, ada, tmp_path):
    certificate = tmp_path / "结业证书.pdf"
    certificate.write_bytes(MINIMAL_PDF)
    log_in(page, "alice", DEMO_PASSWORD)
    page.goto("/me/claims/new/")
    page.select_option("#id_kind", label="研修班")
    page.check("input[name=category][value=professional]")
    page.fill("#id_content", "心肺复苏新指南、创伤急救")
    page.fill("#id_provider_name", "平顶山学院")
    page.fill("#id_start_date", "2025-09-22")
    page.fill("#id_end_date", "2025-09-23")
    page.fill("#id_hours", "16")
    page.fill("#id_result", "合格")
    page.set_input_files("#id_evidence", str(certificate))
    page.click("main button[type=submit][value=submit]")  # 活动名称 left empty
    page.wait_for_load_state("networkidle")

    assert "请修改以下 1 处错误" in page.locator("[data-error-summary]").inner_text()
    assert "已上传：结业证书.pdf" in page.locator("[data-staged]").inner_text()
    page.fill("#id_title", "急诊急救新技术研修班")  # and no file chosen again
    page.click("main button[type=submit][value=submit]")
    page.wait_for_load_state("networkidle")

    assert "/me/claims/" in page.url and "结业证书.pdf" in page.locator("[data-evidence]").inner_text()
    claim = Claim.objects.get()
    assert claim.status == "submitted" and claim.evidence.get().original_name == "结业证书.pdf"


def test_on_a_phone_the_queue_is_a_list_of_cards_and_nothing_wraps_a_character_per_line(phone, alice, ada):
    for n in (1, 2):
        claim_with_evidence(alice, title=f"急诊急救新技术与临床实践研修班第{n}期", due_on=NOW.date() - dt.timedelta(days=7))
    log_in(phone, "ada", DEMO_PASSWORD)
    phone.goto("/review/")
    rows = phone.locator("tr[data-claim]")
    assert rows.count() == 2
    assert rows.first.evaluate("tr => getComputedStyle(tr).display") == "block"
    assert phone.locator("table.queue thead").evaluate("h => h.getBoundingClientRect().height") <= 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert one_line(phone, "main button[type=submit].primary")
    assert one_line(phone, "#select-approvable")
    assert one_line(phone, "tr[data-claim] .tag-overdue")  # 已逾期


def test_on_a_phone_the_monitor_chart_labels_stay_readable(phone, xin, xinhua):
    log_in(phone, "xin", DEMO_PASSWORD)
    phone.goto(f"/monitor/region/{xinhua.pk}/")
    heights = phone.eval_on_selector_all(".chart svg text", "ts => ts.map(t => t.getBoundingClientRect().height)")
    assert heights and min(heights) >= 12  # px on the screen, not in the chart's units
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert one_line(phone, "[data-monitor-table] th")
