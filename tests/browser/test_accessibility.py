"""axe-core (WCAG 2.1 A and AA rules) on every page each role can reach by following links, in real Chromium:
no serious or critical violation anywhere (issue 14).

Each role starts at its home and follows every same-origin link in the header's navigation and in `main`,
GET only; the key forms are also opened in their error state, the confirmation pages before a destructive
action too, and the role homes are checked once more at a phone's width. axe's script is injected with
Playwright's `page.evaluate`, which the page's Content-Security-Policy does not govern, so the pages run under
their real policy.

Run it alone: `.venv/bin/pytest -q tests/browser/test_accessibility.py` (with DATABASE_URL, REDIS_URL and
CHROMIUM_PATH as for the other browser tests).
"""
import datetime as dt
import re
from collections import Counter, deque
from urllib.parse import urldefrag, urlsplit

import pytest
import time_machine
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Error as PlaywrightError

from audits.monitor.services import snapshot_refresh
from audits.review.services import review_decide
from audits.screening.models import ScreeningFlag
from audits.screening.services import screening_run
from records.certificates.services import certificate_bundle_request, certificate_obtain, certificate_render
from records.people.services import professional_register, transfer_request
from tests.audits.review_helpers import at_level_2, claim_with_evidence, open_all
from tests.browser.conftest import log_in
from tests.certificate_data import make_compliant
from tests.factories import DEMO_PASSWORD, SHANGHAI, ClaimFactory, EvidenceFileFactory
from tests.records.people import new_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOW = dt.datetime(2025, 11, 3, 10, tzinfo=SHANGHAI)
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
BLOCKING_IMPACTS = {"serious", "critical"}
PAGES_PER_ROLE = 80
# Pages that differ only by a record's number are one page to axe: three of each are enough.
SAME_PATTERN = 3
SKIPPED_PATHS = re.compile(r"^/(?:logout/|admin/|api/)|\.(?:csv|xlsx|pdf|zip)$|/zip$|/file$|/status$")
PHONE = {"width": 390, "height": 844}

ROLE_HOMES = {
    None: ["/login/", "/providers/", "/register/", "/verify/", "certificate"],
    "alice": ["/me/"],
    "ada": ["/unit/"],
    "hank": ["/authority/"],
    "xin": ["/county/"],
    "cheng": ["/city/"],
}
# Some of the pages each crawl must have found by following links: a crawl that stopped early passes nothing.
REACHED = {
    None: {"/login/", "/register/"},
    "alice": {"/me/claims/new/", "/me/certificates/", "/me/years/2024/", "/notifications/"},
    "ada": {"/review/", "/unit/staff/add/", "/unit/staff/transfer/", "/certificates/bundles/", "/compliance/"},
    "hank": {"/review/", "/monitor/", "/compliance/"},
    "xin": {"/review/", "/monitor/", "/units/new/", "/compliance/"},
    "cheng": {"/screening/", "/monitor/city/", "/units/new/", "/compliance/"},
}


@pytest.fixture
def world(alice, bob, carol, ada, hank, xin, ye, cheng, unit_a):
    """Every list has rows: claims waiting at both levels and past due, a returned claim, a draft, screening
    flags, two days of monitor figures, a rendered certificate and a unit's bundle of them, a registration and
    a 调入 request waiting."""
    with time_machine.travel(NOW, tick=False):
        professional_register(id_number=new_id_number(1), name="赵新人", phone="13800000001",
                              password=DEMO_PASSWORD, unit=unit_a, today=NOW.date())
        transfer_request(id_number=bob.id_number, name=bob.name, to_unit=unit_a, on=NOW.date(), actor=ada,
                         today=NOW.date())
        make_compliant(alice, year=2024)
        certificate = certificate_obtain(professional=alice, year=2024, now=NOW, actor=alice.user)
        certificate_render(certificate_id=certificate.pk, now=NOW)
        certificate_bundle_request(actor=ada, unit_id=unit_a.pk, year=2024, now=NOW)
        waiting = claim_with_evidence(alice, title="院内急救技能培训", due_on=dt.date(2025, 10, 20))
        claim_with_evidence(bob, title="项目管理研修班", due_on=dt.date(2025, 10, 20))
        at_level_2(alice, title="医学新进展研修班")
        ClaimFactory(professional=alice, status="draft", title="护理质量管理培训", filed_on=None, due_on=None)
        returned = claim_with_evidence(alice, title="临床路径管理培训")
        open_all(ada, returned, now=NOW)
        review_decide(claim_id=returned.pk, reviewer=ada, action="return", reason="请补充培训机构盖章的证明", now=NOW)
        scan = EvidenceFileFactory(claim=ClaimFactory(professional=bob, title="急救技能复训")).sha256
        EvidenceFileFactory(claim=ClaimFactory(professional=carol, title="急救技能复训"), sha256=scan)
        screening_run(now=NOW)
        for day in (dt.date(2025, 10, 31), NOW.date()):
            snapshot_refresh(today=day, now=NOW)
    flag = ScreeningFlag.objects.order_by("pk").first()
    return {"certificate": f"/verify/{certificate.serial}", "review": f"/review/claims/{waiting.pk}/",
            "flag": f"/screening/{flag.pk}/"}


def pattern(url: str) -> str:
    return re.sub(r"\d+", "#", url)


def links(page, origin: str) -> list[str]:
    hrefs = page.eval_on_selector_all("main a[href], header nav a[href]", "links => links.map(a => a.href)")
    found = []
    for href in hrefs:
        url = urldefrag(href).url
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" == origin and not SKIPPED_PATHS.search(parts.path):
            found.append(url)
    return found


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def blocking_violations(page, axe: Axe) -> list[str]:
    results = axe.run(page, options=AXE_OPTIONS).response
    return [
        f"{local(page.url)} [{v['impact']}] {v['id']}: {', '.join(' '.join(node['target']) for node in v['nodes'])}"
        for v in results["violations"] if v["impact"] in BLOCKING_IMPACTS
    ]


def crawl(page, starts: list[str], origin: str, axe: Axe) -> tuple[list[str], list[str]]:
    """Every page reachable from `starts`, axe run on each; returns (the pages' paths, violations)."""
    queue = deque(origin + start for start in starts)
    queued, per_pattern, visited, found = set(queue), Counter(), [], []
    while queue and len(visited) < PAGES_PER_ROLE:
        url = queue.popleft()
        try:
            response = page.goto(url)
        except PlaywrightError as error:
            if "Download is starting" in str(error):  # evidence files and such: not a page
                continue
            raise
        page.wait_for_load_state("networkidle")
        assert response.status < 400, f"{local(url)} answered {response.status}"
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        visited.append(local(url))
        found += blocking_violations(page, axe)
        for link in links(page, origin):
            if link in queued or per_pattern[pattern(link)] >= SAME_PATTERN:
                continue
            queued.add(link)
            per_pattern[pattern(link)] += 1
            queue.append(link)
    return visited, found


# The key forms, sent empty: (page, the button that sends the form).
EMPTY_FORMS = {
    None: [("/login/", "main button[type=submit]"), ("/register/", "main button.primary[type=submit]")],
    "alice": [("/me/claims/new/", "main button[type=submit][value=submit]")],
    "ada": [("/unit/staff/add/", "main button[type=submit]"), ("review", "main .decision-return button[type=submit]")],
    "xin": [("/units/new/", "main button[type=submit]")],
    "cheng": [("flag", "main button[type=submit]")],
}

# What a mistyped address or certificate number gets: (path, status).
ERROR_PAGES = {None: [("/verify/?serial=abc", 200), ("/verify/2025-AAAA-BBBB-CCCC", 404), ("/no-such-page/", 404)]}


def error_states(page, username, world, axe: Axe) -> list[str]:
    """The key forms as a person who got them wrong sees them, and the pages of a wrong address."""
    found = []
    for path, status in ERROR_PAGES.get(username, []):
        assert page.goto(path).status == status, path
        found += blocking_violations(page, axe)
    for path, button in EMPTY_FORMS.get(username, []):
        page.goto(world.get(path, path))
        page.click(button)
        page.wait_for_load_state("networkidle")
        assert page.locator("main .errors, main .field-error").count(), f"{page.url} shows no error"
        found += blocking_violations(page, axe)
    return found


def confirmation_page(page, username, world, axe: Axe) -> list[str]:
    """The page that asks before a destructive action: a batch refusal, a flag's confirmation."""
    if username == "ada":
        page.goto("/review/")
        page.locator("main input[name=claim]").first.check()
        page.check("main input[name=action][value=reject]")
        page.fill("main textarea[name=reason]", "培训机构不在认定范围内")
    elif username == "cheng":
        page.goto(world["flag"])
        page.check("main input[name=action][value=confirm]")
        page.fill("main textarea[name=reason]", "证书扫描件与他人申报相同，经核实为冒用")
    else:
        return []
    page.click("main button.primary[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("main h1").inner_text().startswith("确认"), page.url
    return blocking_violations(page, axe)


@pytest.mark.parametrize("username", list(ROLE_HOMES), ids=lambda name: name or "anonymous")
def test_no_serious_or_critical_violation_on_any_page_a_role_reaches(page, browser, live_server, world, username):
    axe = Axe()
    with time_machine.travel(NOW, tick=True):
        if username:
            log_in(page, username, DEMO_PASSWORD)
        starts = [world.get(start, start) for start in ROLE_HOMES[username]]
        visited, found = crawl(page, starts, live_server.url, axe)
        if username == "cheng":  # the admin's index once; its own pages are Django's
            assert page.goto("/admin/").status == 200
            found += blocking_violations(page, axe)
        found += error_states(page, username, world, axe)
        found += confirmation_page(page, username, world, axe)

        phone = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport=PHONE,
                                    storage_state=page.context.storage_state())
        small = phone.new_page()
        for start in starts:
            small.goto(start)
            small.wait_for_load_state("networkidle")
            found += [f"(390×844) {line}" for line in blocking_violations(small, axe)]
        phone.close()

    assert REACHED[username] <= set(visited), sorted(REACHED[username] - set(visited))
    assert found == [], "\n".join(found)
