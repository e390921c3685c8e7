"""A unit's training plan through its authority, in real Chromium (rule 7): ada drafts 第一医院's plan, fills
its items, submits it after the confirmation page; 卫健委 approves it, which files it with 新华区; 新华区 sees
the filing; alice's claim form offers its item for unit-organised training."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from records.plans.models import TrainingPlan
from tests.browser.conftest import log_in
from tests.factories import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FRIDAY = dt.datetime(2025, 9, 26, 9, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def morning():
    with time_machine.travel(FRIDAY, tick=True):
        yield


def _submit(page):
    page.click("main button[type=submit].primary")
    page.wait_for_load_state("networkidle")


def test_ada_files_the_plan_through_the_authority_and_the_county_sees_the_filing(page, ada, hank, xin, unit_a,
                                                                                 alice):
    log_in(page, "ada", DEMO_PASSWORD)
    page.click("main >> text=年度培训计划")
    page.fill("#id_year", "2025")
    _submit(page)
    page.fill("#id_items-0-title", "急诊急救技能培训")
    page.select_option("#id_items-0-category", "professional")
    page.fill("#id_items-0-subject_area", "临床医学")
    page.fill("#id_items-0-start_date", "2025-11-10")
    page.fill("#id_items-0-end_date", "2026-01-02")
    page.fill("#id_items-0-hours", "16")
    page.fill("#id_items-0-place", "本院学术报告厅")
    page.fill("#id_items-0-provider", "急诊科")
    page.fill("#id_items-0-expected_participants", "40")
    _submit(page)
    assert "计划日期须在 2025 年内" in page.locator("main").inner_text()
    page.fill("#id_items-0-end_date", "2025-11-11")
    _submit(page)
    assert "已保存培训项目" in page.locator(".messages").inner_text()
    page.click("main >> text=提交备案")
    assert "新华区卫生健康委员会审核" in page.locator("main").inner_text()
    _submit(page)
    assert "2025年10月10日 前完成审核备案" in page.locator(".messages").inner_text()
    page.click("text=退出登录")

    log_in(page, "hank", DEMO_PASSWORD)
    page.click("main >> text=待审核备案的培训计划")
    page.click(f"main >> text={unit_a.name}")
    page.check("main input[name=action][value=file]")
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "已备案" in page.locator(".messages").inner_text()
    plan = TrainingPlan.objects.get()
    assert (plan.state, plan.bureau.name) == ("filed", "新华区")
    page.click("text=退出登录")

    log_in(page, "xin", DEMO_PASSWORD)
    page.click("main >> text=培训计划备案")
    assert unit_a.name in page.locator("main table").inner_text()
    page.click("text=退出登录")

    # Her staff's claims of unit-organised training now pick the plan's item; other kinds never see the field.
    log_in(page, "alice", DEMO_PASSWORD)
    page.goto("/me/claims/new/")
    item = page.locator("[data-field=plan_item]")
    assert item.is_hidden()
    page.select_option("#id_kind", "unit_training")
    assert item.is_visible()
    assert "急诊急救技能培训" in item.locator("select").inner_text()
