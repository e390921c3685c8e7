"""Attendance → claims in real Chromium (rule 7): ada opens a session of 第一医院's filed item, uploads its
attendance sheet and shows the check-in code; alice opens the signed address (taken from the page, no camera),
logs in, is recorded present, confirms her pre-filled claim with a note and submits it; ada opens the session's
sheet once and batch-approves; 卫健委 (hank) approves at its level and alice's hours are credited."""
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from audits.review.services import evidence_opened, review_batch
from records.hours.models import Claim, EvidenceFile, PersonYearTotal
from records.plans.models import SessionAttendance
from records.plans.services import PlanItemInput, plan_create, plan_decide, plan_items_save, plan_submit
from tests.browser.conftest import log_in
from tests.factories import DEMO_PASSWORD, MINIMAL_PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHANGHAI = ZoneInfo("Asia/Shanghai")
FILED_AT = dt.datetime(2025, 9, 26, 10, tzinfo=SHANGHAI)
MORNING = dt.datetime(2025, 11, 10, 8, 50, tzinfo=SHANGHAI)  # a Monday, ten minutes before check-in opens


def _submit(page):
    page.click("main button[type=submit].primary")
    page.wait_for_load_state("networkidle")


@pytest.fixture
def item(unit_a, ada, hank):
    with time_machine.travel(FILED_AT, tick=False):
        plan = plan_create(actor=ada, unit=unit_a, year=2025, now=FILED_AT)
        plan_items_save(actor=ada, plan_id=plan.pk, now=FILED_AT, items=[PlanItemInput(
            title="急诊急救技能培训", category="professional", subject_area="临床医学", start_date=dt.date(2025, 11, 10),
            end_date=dt.date(2025, 11, 11), hours=Decimal("16"), place="本院学术报告厅", provider="本院急诊科",
            expected_participants=40)])
        plan_submit(actor=ada, plan_id=plan.pk, now=FILED_AT)
        plan_decide(actor=hank, plan_id=plan.pk, action="file", now=FILED_AT)
    return plan.items.get()


def test_check_in_becomes_a_claim_approved_after_one_look_and_credited(page, ada, hank, alice, item, tmp_path):
    sheet = tmp_path / "签到表.pdf"
    sheet.write_bytes(MINIMAL_PDF)
    with time_machine.travel(MORNING, tick=True):
        log_in(page, "ada", DEMO_PASSWORD)
        page.click("main >> text=培训场次与签到")
        page.select_option("#id_item", str(item.pk))
        page.fill("#id_date", "2025-11-10")
        page.fill("#id_starts_at", "09:00")
        page.fill("#id_ends_at", "10:00")
        page.fill("#id_place", "本院学术报告厅")
        page.fill("#id_hours", "8")
        _submit(page)
        assert "已创建培训场次" in page.locator(".messages").inner_text()
        page.set_input_files("#id_evidence-file", str(sheet))
        page.click("main form[action$='/evidence/'] button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert "已上传“签到表.pdf”" in page.locator(".messages").inner_text()
        page.click("main >> text=打开签到二维码")
        assert page.locator("main .qr svg").count() == 1
        url = page.locator("main [data-check-in-url]").get_attribute("data-check-in-url")
        page.click("text=退出登录")

    with time_machine.travel(MORNING + dt.timedelta(minutes=15), tick=True):
        page.goto(url)  # as scanned: not logged in yet
        page.fill("#id_username", "alice")
        page.fill("#id_password", DEMO_PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_load_state("networkidle")
        _submit(page)  # 确认签到
        assert "签到成功" in page.locator(".messages").inner_text()
        assert "本申报由单位根据培训签到预填" in page.locator("main").inner_text()
        page.fill("#id_note", "已参加现场技能考核。")
        _submit(page)  # 确认并提交
        assert "已确认并提交审核" in page.locator(".messages").inner_text()
        page.click("text=退出登录")
    claim = SessionAttendance.objects.get(professional=alice).claim
    assert (claim.status, claim.content, claim.hours) == (Claim.Status.SUBMITTED, "已参加现场技能考核。", Decimal("8"))

    with time_machine.travel(MORNING + dt.timedelta(hours=2), tick=True):
        log_in(page, "ada", DEMO_PASSWORD)
        page.click("main >> text=培训场次与签到")
        page.click("main td a")
        with page.expect_download():
            page.click("main >> text=签到表.pdf")
        _submit(page)  # 批量审核通过所选申报
        assert "急诊急救技能培训" in page.locator("main").inner_text()
    claim.refresh_from_db()
    assert claim.status == Claim.Status.UNIT_APPROVED

    # 卫健委 at its level, through the services: its browser walk is the batch review's own test.
    later = MORNING + dt.timedelta(hours=3)
    with time_machine.travel(later, tick=False):
        evidence_opened(user=hank, evidence=EvidenceFile.objects.get(claim=claim), now=later)
        assert review_batch(claim_ids=[claim.pk], reviewer=hank, action="approve", now=later).decided
    assert PersonYearTotal.objects.get(professional=alice, year=2025).professional_hours == Decimal("8")
