"""In real Chromium: city HR finds a certified person's claim among the screening flags (its certificate scan
is also behind someone else's claim), confirms it, and the public verification page then says revoked."""
import datetime as dt
import hashlib

import pytest
import time_machine

from audits.screening.models import ScreeningFlag
from audits.screening.services import screening_run
from records.certificates.services import certificate_obtain
from records.hours.selectors import credited_hours
from tests.browser.conftest import log_in
from tests.certificate_data import make_compliant
from tests.factories import DEMO_PASSWORD, SHANGHAI, ClaimFactory, EvidenceFileFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOW = dt.datetime(2025, 11, 3, 10, tzinfo=SHANGHAI)


def test_city_hr_confirms_a_flag_and_the_certificate_verifies_as_revoked(page, alice, bob, cheng):
    scan = hashlib.sha256(b"the same certificate scan").hexdigest()
    workshop = make_compliant(alice)[2]
    EvidenceFileFactory(claim=workshop, sha256=scan)
    copy = ClaimFactory(professional=bob, start_date=dt.date(2025, 10, 13), end_date=dt.date(2025, 10, 13), hours=6)
    EvidenceFileFactory(claim=copy, sha256=scan)
    with time_machine.travel(NOW, tick=True):
        certificate = certificate_obtain(professional=alice, year=2025, now=NOW, actor=alice.user)
        screening_run(now=NOW)
        flag = ScreeningFlag.objects.get(claim=workshop, rule="same_evidence")

        page.goto(f"/verify/{certificate.serial}")
        assert page.locator("[data-verdict]").get_attribute("data-verdict") == "valid"

        log_in(page, "cheng", DEMO_PASSWORD)
        page.get_by_role("link", name="筛查疑点").click()
        row = page.locator(f"tr[data-flag='{flag.pk}']")
        assert "同一佐证材料重复使用" in row.inner_text() and "张爱丽" in row.inner_text()
        row.get_by_role("link", name=f"#{flag.pk}").click()

        assert page.locator("tr[data-claim]").count() == 2  # alice's workshop and bob's claim
        page.get_by_label("确认问题（撤销该记录的学时及相关学时证明）").check()
        page.get_by_label("处理理由").fill("证书扫描件与他人申报相同，经核实为冒用")
        page.get_by_role("button", name="提交处理").click()

        assert page.locator(f"[data-certificate='{certificate.serial}']").is_visible()  # asked first
        page.get_by_role("button", name="确认问题并撤销学时").click()
        assert f"疑点 #{flag.pk}（张爱丽）已确认" in page.locator(".messages").inner_text()

        page.context.clear_cookies()  # the public page needs no login
        page.goto(f"/verify/{certificate.serial}")
        verdict = page.locator("[data-verdict]")
        assert verdict.get_attribute("data-verdict") == "revoked"
        assert "已撤销" in verdict.inner_text()
    assert credited_hours(alice.pk, 2025) == (30, 30)
