"""Every role's main pages in real Chromium under the portal's Content-Security-Policy: the browser reports no
violation (no inline script, handler or style is left to block), and htmx still swaps the review queue's rows
(issue 11, finding 5)."""
import pytest
import time_machine
from playwright.sync_api import expect

from audits.monitor.tasks import refresh_overdue_snapshot
from tests.audits.review_helpers import NOW, at_level_2, claim_with_evidence
from tests.browser.conftest import log_in
from tests.factories import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Recorded from the document's start, before any page script runs (Playwright adds it outside the page's CSP).
LISTEN = """window.cspViolations = [];
document.addEventListener("securitypolicyviolation",
    e => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));"""

PAGES = {
    None: ["/login/", "/register/", "/verify/", "/api/docs/"],
    "alice": ["/me/", "/me/years/2025/", "/me/claims/new/", "/me/certificates/", "claim:alice"],
    "ada": ["/unit/", "/review/", "/unit/staff/import/", "/unit/staff/transfer/", "/certificates/bundles/",
            "review:alice", "/plans/"],
    "hank": ["/authority/", "/review/", "/monitor/", "/plans/review/"],
    "xin": ["/county/", "/review/", "/monitor/", "/compliance/", "/plans/filings/", "/plans/inspection/"],
    "cheng": ["/city/", "/screening/", "/monitor/city/", "/compliance/", "/admin/"],
}


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def world(alice, bob, ada, hank, xin, cheng):
    """A little of everything the pages show: claims at both levels, a monitor figure."""
    claims = {"alice": claim_with_evidence(alice, title="院内急救技能培训")}
    at_level_2(alice, title="医学新进展研修班")
    at_level_2(bob, title="项目管理研修班")
    refresh_overdue_snapshot()
    return claims


@pytest.fixture
def watched(page):
    page.add_init_script(LISTEN)
    console = []
    page.on("console", lambda message: console.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.console_csp = console
    return page


def violations(page) -> list[str]:
    return page.evaluate("window.cspViolations") + page.console_csp


def visit(page, path: str):
    response = page.goto(path)
    page.wait_for_load_state("networkidle")
    assert response.status == 200, path
    assert "script-src 'self'" in response.headers["content-security-policy"], path


@pytest.mark.parametrize("username", list(PAGES), ids=lambda name: name or "anonymous")
def test_each_roles_main_pages_run_under_the_policy_without_a_violation(watched, world, username):
    if username:
        log_in(watched, username, DEMO_PASSWORD)
    for path in PAGES[username]:
        kind, _, owner = path.partition(":")
        if owner:
            path = {"claim": f"/me/claims/{world[owner].pk}/", "review": f"/review/claims/{world[owner].pk}/"}[kind]
        visit(watched, path)
        if path == "/api/docs/":  # Swagger UI built its page from the separately served start-up script
            expect(watched.locator(".swagger-ui .information-container")).to_be_visible()
        assert violations(watched) == [], path


def test_the_review_queues_filter_still_swaps_its_rows_under_the_policy(watched, alice, ada):
    public = claim_with_evidence(alice, category="public", title="公需科目讲座")
    claim_with_evidence(alice, title="专业科目研修班")
    log_in(watched, "ada", DEMO_PASSWORD)
    visit(watched, "/review/")
    watched.evaluate("window.sameDocument = true")
    expect(watched.locator("#queue-rows tr[data-claim]")).to_have_count(2)

    with watched.expect_response(lambda response: response.request.headers.get("hx-request") == "true"):
        watched.select_option("select[name=category]", "public")

    expect(watched.locator("#queue-rows tr[data-claim]")).to_have_count(1)
    assert watched.locator("#queue-rows tr[data-claim]").get_attribute("data-claim") == str(public.pk)
    assert watched.evaluate("window.sameDocument") is True
    assert violations(watched) == []
