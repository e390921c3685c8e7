"""From the login page to an approved account, in real Chromium: the unit look-up as you type (our own
static JS, no CDN), the unit's approval (of a new person, or of a claim on a person it imported), then the
first log-in."""
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook

from records.people.models import Professional
from records.people.selectors import id_number_q
from tests.browser.conftest import log_in
from tests.factories import DEMO_PASSWORD, ProfessionalFactory
from tests.records.people import new_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MONDAY = dt.datetime(2025, 3, 10, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
PASSWORD = "Pds-jixu-2025"


@pytest.fixture(autouse=True)
def morning():
    # tick=True: the clock runs on in every thread, the live server's included.
    with time_machine.travel(MONDAY, tick=True):
        yield


def test_a_professional_registers_is_approved_and_logs_in(page, live_server, unit_a, unit_b, ada):
    outside_requests = []
    page.on("request", lambda r: None if r.url.startswith(live_server.url) else outside_requests.append(r.url))
    page.goto("/login/")
    page.click("text=专业技术人员注册")
    page.fill("#id_id_number", new_id_number(1))
    page.fill("#id_name", "赵新人")
    page.fill("#id_phone", "13803750001")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.fill("#id_q", "第一医院")
    choice = page.locator(f"#unit-choices input[value='{unit_a.pk}']")
    choice.wait_for()
    assert page.locator("#unit-choices").inner_text().count("华兴") == 0
    choice.check()
    page.click("button.primary")
    page.wait_for_url("**/login/")
    assert "请等待单位审核" in page.locator(".messages").inner_text()
    assert not outside_requests

    log_in(page, new_id_number(1), PASSWORD)
    assert "等待用人单位审核" in page.locator(".errors").inner_text()

    log_in(page, "ada", DEMO_PASSWORD)
    row = page.locator("#pending-registrations tr", has_text="赵新人")
    row.locator("button", has_text="通过").click()
    page.wait_for_load_state("networkidle")
    assert "已通过 赵新人 的注册申请" in page.locator(".messages").inner_text()
    page.click("text=退出登录")

    log_in(page, new_id_number(1), PASSWORD)
    assert page.url.endswith("/me/")
    assert Professional.objects.get(id_number_q(new_id_number(1))).status == Professional.Status.ACTIVE


def register(page, *, id_number, name, phone, unit_query, unit_pk):
    page.goto("/register/")
    page.fill("#id_id_number", id_number)
    page.fill("#id_name", name)
    page.fill("#id_phone", phone)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.fill("#id_q", unit_query)
    choice = page.locator(f"#unit-choices input[value='{unit_pk}']")
    choice.wait_for()
    choice.check()
    page.click("button.primary")
    page.wait_for_url("**/login/")


def test_an_imported_person_registers_and_the_unit_approves_the_claim(page, live_server, unit_a, ada):
    person = ProfessionalFactory(id_number=new_id_number(3), name="孙导入", unit=unit_a, user=None,
                                 phone="13937500003")
    register(page, id_number=person.id_number, name="孙导入", phone="13803750003", unit_query="第一医院",
             unit_pk=unit_a.pk)
    assert "请等待单位审核" in page.locator(".messages").inner_text()
    log_in(page, person.id_number, PASSWORD)
    assert "等待用人单位审核" in page.locator(".errors").inner_text()

    log_in(page, "ada", DEMO_PASSWORD)
    row = page.locator("#record-claims tr", has_text="孙导入")
    assert "13937500003" in row.inner_text() and "13803750003" in row.inner_text()
    row.locator("button", has_text="通过").click()
    page.wait_for_load_state("networkidle")
    assert "已通过 孙导入 的认领申请" in page.locator(".messages").inner_text()
    page.click("text=退出登录")

    log_in(page, person.id_number, PASSWORD)
    assert page.url.endswith("/me/")
    person.refresh_from_db()
    assert person.phone == "13937500003" and person.user.is_active


def test_the_unit_search_works_without_javascript(browser, live_server, unit_a):
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    page = context.new_page()
    page.goto("/register/")
    page.fill("#id_q", "第一医院")
    page.click("button[name=find]")
    assert page.locator(f"#unit-choices input[value='{unit_a.pk}']").count() == 1
    context.close()


def test_a_reviewer_downloads_the_template_and_imports_it(page, ada, unit_a, tmp_path):
    log_in(page, "ada", DEMO_PASSWORD)
    page.click("text=批量导入人员")
    with page.expect_download() as download:
        page.click("text=下载 Excel 模板（.xlsx）")
    assert download.value.suggested_filename == "人员导入模板.xlsx"
    workbook = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    sheet = workbook.worksheets[0]
    sheet["A2"], sheet["B2"], sheet["D2"] = "孙一", new_id_number(2), "中级"
    filled = tmp_path / "名单.xlsx"
    workbook.save(filled)
    page.set_input_files("#id_file", str(filled))
    page.click("button.primary")
    page.wait_for_load_state("networkidle")
    assert "成功导入 1 人" in page.locator("#import-report").inner_text()
    assert Professional.objects.get(id_number_q(new_id_number(2))).name == "孙一"
