"""Real headless Chromium (Debian's package) driven by Playwright against pytest-django's live_server."""
import os
import shutil

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls in the test body are still
# plain synchronous calls, so Django's async-safety guard would be a false alarm here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not path:
        raise RuntimeError("Debian's chromium is required for browser tests: apt-get install chromium")
    return path


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def phone(browser, live_server):
    """A phone-sized page (390 × 844, touch)."""
    context = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport={"width": 390, "height": 844},
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def log_in(page, username: str, password: str):
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def fill_research_claim(page, *, title: str, content: str, start: str, end: str, hours: str, evidence) -> None:
    """The claim form filled in for a 研修班 of professional subjects at a CE base, its file chosen: what the
    claim walks file (they press 保存 or 提交 themselves)."""
    page.select_option("#id_kind", label="研修班")
    page.check("input[name=category][value=professional]")
    page.fill("#id_title", title)
    page.fill("#id_content", content)
    page.select_option("#id_provider_base", label="平顶山工业职业技术学院")
    page.fill("#id_start_date", start)
    page.fill("#id_end_date", end)
    page.fill("#id_hours", hours)
    page.fill("#id_result", "合格")
    page.set_input_files("#id_evidence", str(evidence))
