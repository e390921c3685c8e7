"""htmx on the review queue and the compliance list, in real Chromium: a change of filter or of page swaps the
table body in place (the window is not reloaded, the address follows); without JavaScript the same form loads
the filtered page."""
import re

import pytest
import time_machine
from playwright.sync_api import expect

from tests.audits.review_helpers import NOW, claim_with_evidence
from tests.browser.conftest import log_in
from tests.factories import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=True):
        yield


def swapped(response) -> bool:
    return response.request.headers.get("hx-request") == "true"


def open_page(page, path: str):
    page.goto(path)
    page.wait_for_load_state()  # htmx is set up
    # A full page load would make a new window object and lose this.
    page.evaluate("window.sameDocument = true")
    return page.locator("tbody[id] > tr").first.element_handle()


def test_a_filter_swaps_the_queues_rows_and_counts_in_place(page, alice, ada):
    public = [claim_with_evidence(alice, category="public", title=f"公需科目讲座第{n}期") for n in (1, 2)]
    for n in (1, 2, 3):
        claim_with_evidence(alice, title=f"专业科目研修班第{n}期")
    log_in(page, "ada", DEMO_PASSWORD)
    first_row = open_page(page, "/review/")
    page.locator("input[name=claim]").first.check()
    assert page.locator("#selected-count").inner_text() == "1"

    with page.expect_response(swapped) as response:
        page.select_option("select[name=category]", "public")

    assert response.value.status == 200
    expect(page.locator("#queue-rows tr[data-claim]")).to_have_count(2)
    assert sorted(int(pk) for pk in page.locator("#queue-rows tr[data-claim]").evaluate_all(
        "rows => rows.map(r => r.dataset.claim)")) == sorted(c.pk for c in public)
    assert page.evaluate("window.sameDocument") is True
    assert not first_row.evaluate("row => row.isConnected")  # the old body is gone, not hidden
    assert re.search(r"/review/\?.*category=public", page.url)
    # The counts are rewritten by the swap's own handlers, a moment after the rows: waited for, not raced.
    expect(page.locator("[data-count=total] strong")).to_have_text("2")
    expect(page.locator("#selected-count")).to_have_text("0")  # the ticked row left with its body


def test_the_queues_pages_are_swapped_too(page, alice, ada):
    claims = [claim_with_evidence(alice) for _ in range(51)]
    log_in(page, "ada", DEMO_PASSWORD)
    open_page(page, "/review/")
    expect(page.locator("#queue-rows tr[data-claim]")).to_have_count(50)

    with page.expect_response(swapped):
        page.get_by_role("link", name="下一页").click()

    expect(page.locator("#queue-rows tr[data-claim]")).to_have_count(1)
    assert page.locator("#queue-rows tr[data-claim]").get_attribute("data-claim") == str(max(c.pk for c in claims))
    assert "第 2 / 2 页" in page.locator("#queue-pages").inner_text()
    assert page.evaluate("window.sameDocument") is True
    assert page.url.endswith("page=2")


def test_choosing_a_county_swaps_the_list_and_offers_its_units(page, alice, bob, cheng, unit_a, unit_b):
    log_in(page, "cheng", DEMO_PASSWORD)
    open_page(page, "/compliance/")
    assert page.locator("select[name=unit]").count() == 0  # the city's units are too many for one list

    with page.expect_response(swapped):
        page.select_option("select[name=region]", label="新华区")

    expect(page.locator("select[name=unit]")).to_be_visible()
    assert set(page.locator("select[name=unit] option").all_inner_texts()) == {"全部", unit_a.name, unit_b.name}
    assert "新华区" in page.locator("h1").inner_text()
    assert page.evaluate("window.sameDocument") is True
    names = page.locator("#compliance-rows tr[data-professional] td:first-child").all_inner_texts()
    assert sorted(names) == sorted([alice.name, bob.name])


def test_without_javascript_the_filter_loads_the_filtered_page(browser, live_server, alice, ada):
    public = claim_with_evidence(alice, category="public")
    claim_with_evidence(alice)
    context = browser.new_context(java_script_enabled=False, locale="zh-CN", base_url=live_server.url)
    page = context.new_page()
    try:
        log_in(page, "ada", DEMO_PASSWORD)
        page.goto("/review/")
        page.select_option("select[name=category]", "public")
        with page.expect_navigation():
            page.get_by_role("button", name="筛选").click()
        assert "category=public" in page.url
        assert [row.get_attribute("data-claim") for row in page.locator("#queue-rows tr[data-claim]").all()] == [
            str(public.pk)]
    finally:
        context.close()
