"""In the demo, the county HR bureau opens last year's compliance list in real Chromium, narrows it to the
non-compliant, and exports the year's list as an XLSX that a real Celery worker builds."""
import datetime as dt
import io

import openpyxl
import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.core.management import call_command
from playwright.sync_api import expect

from ce_portal.celery import app as celery_app
from ce_portal.demo.registry import DEMO_PASSWORD
from records.compliance.models import ExportJob
from tests.browser.conftest import log_in
from tests.factories import SHANGHAI

pytestmark = [pytest.mark.browser, pytest.mark.celery, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=SHANGHAI), tick=True):
        call_command("seed_demo")
        yield


@pytest.fixture
def worker(live_server):
    with start_worker(celery_app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=30):
        yield


def test_the_county_bureau_exports_last_years_list_from_the_demo(page, demo, worker, tmp_path):
    log_in(page, "demo_county", DEMO_PASSWORD)
    page.get_by_role("link", name="学时达标名单").click()
    page.wait_for_load_state()  # htmx set up: a change of filter swaps the rows from then on
    page.select_option("select[name=year]", "2025")
    # htmx swaps the rows and, with them, the heading and the figures: wait for them, not for a page load.
    expect(page.locator("h1")).to_contain_text("新华区2025年度专业技术人员继续教育学时达标名单")
    compliant = int(page.locator("[data-count=compliant] strong").inner_text())
    short = int(page.locator("[data-count=non_compliant] strong").inner_text())
    assert compliant > 0 and short > 0
    # People the demo registered in 2026 with no 2025 hours: 无记录, not "not compliant" (issue 12, case 8).
    none = page.locator("[data-count=no_record] strong")
    no_record = int(none.inner_text()) if none.count() else 0

    page.locator("a[data-count=non_compliant]").click()
    page.wait_for_load_state()
    assert page.locator("tr[data-compliant=yes]").count() == 0
    assert page.locator("tr[data-compliant=no]").count() == min(short, 50)

    page.select_option("select[name=compliant]", "")
    expect(page.locator("tr[data-compliant=yes]").first).to_be_visible()
    page.get_by_role("button", name="导出 Excel（后台生成）").click()
    page.locator("[data-ready]").wait_for(state="visible", timeout=60_000)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载 Excel").click()
    path = tmp_path / "list.xlsx"
    download_info.value.save_as(path)
    assert download_info.value.suggested_filename.startswith("新华区2025年度学时达标名单_")

    rows = list(openpyxl.load_workbook(io.BytesIO(path.read_bytes())).active.iter_rows(values_only=True))
    assert rows[1][0] == "生成人：赵磊（演示）" and rows[1][1].startswith("生成时间：2026-03-02 ")
    none_text = f"无记录 {no_record} 人，" if no_record else ""
    assert rows[3][0] == f"达标 {compliant} 人，未达标 {short} 人，{none_text}共 {compliant + short + no_record} 人"
    flags = [row[8] for row in rows[6:]]
    assert (flags.count("达标"), flags.count("未达标"), flags.count("无记录")) == (compliant, short, no_record)
    assert ExportJob.objects.get().status == ExportJob.Status.READY
