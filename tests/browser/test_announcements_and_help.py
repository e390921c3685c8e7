"""In real Chromium: city HR posts an announcement with its attachment; a professional finds it on her home
page, reads it, opens her help from the header and goes back to her desk."""
import datetime as dt

import pytest
import time_machine

from tests.browser.conftest import log_in
from tests.factories import DEMO_PASSWORD, MINIMAL_PDF, SHANGHAI

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOW = dt.datetime(2025, 11, 3, 10, tzinfo=SHANGHAI)


def test_city_hr_posts_and_a_professional_reads_it_and_finds_her_help(page, alice, cheng, tmp_path):
    attachment = tmp_path / "申报安排.pdf"
    attachment.write_bytes(MINIMAL_PDF)
    with time_machine.travel(NOW, tick=True):
        log_in(page, "cheng", DEMO_PASSWORD)
        page.get_by_role("link", name="发布通知公告").first.click()
        page.get_by_label("标题").fill("关于2025年度学时申报截止时间的通知")
        page.get_by_label("正文").fill("各单位：本年度学时申报于12月31日截止，请提醒本单位人员及时申报。")
        page.get_by_label("发布日期").fill("2025-11-03")
        page.get_by_label("截止日期").fill("2025-12-31")
        page.get_by_label("附件（选填）").set_input_files(str(attachment))
        page.click("main button[type=submit]")
        assert "已保存公告" in page.locator(".messages").inner_text()

        page.context.clear_cookies()
        log_in(page, "alice", DEMO_PASSWORD)
        page.locator("#announcements").get_by_role("link", name="关于2025年度学时申报截止时间的通知").click()
        assert "请提醒本单位人员及时申报" in page.locator("main").inner_text()
        with page.expect_download() as download:
            page.locator("[data-attachment]").click()
        assert download.value.suggested_filename == "申报安排.pdf"

        page.locator("header [data-help]").click()
        assert page.locator("h1").inner_text() == "帮助 · 专业技术人员"
        page.locator("main [data-back]").click()
        assert page.locator("h1[data-home=professional]").is_visible()
