"""A compliant professional gets the certificate PDF in real Chromium, rendered by a real Celery worker, and the
QR code inside it opens the public verification page, which says valid (and revoked once the city revokes it)."""
import datetime as dt
import subprocess

import pytest
import time_machine
import zxingcpp
from celery.contrib.testing.worker import start_worker
from PIL import Image

from ce_portal.celery import app as celery_app
from records.certificates.models import Certificate
from records.certificates.services import certificate_revoke
from tests.browser.conftest import log_in
from tests.certificate_data import make_compliant
from tests.factories import DEMO_PASSWORD, SHANGHAI

pytestmark = [pytest.mark.browser, pytest.mark.celery,
              pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(live_server):
    # One worker thread on the configured broker (Redis when REDIS_URL is set), as in production.
    with start_worker(celery_app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=30):
        yield


def test_a_compliant_professional_downloads_a_certificate_that_verifies(page, live_server, settings, alice, worker,
                                                                       tmp_path):
    settings.SITE_URL = live_server.url
    make_compliant(alice)
    with time_machine.travel(dt.datetime(2025, 11, 3, 10, tzinfo=SHANGHAI), tick=True):
        log_in(page, "alice", DEMO_PASSWORD)
        page.goto("/me/certificates/")
        year = page.locator("section[data-year='2025']")
        assert "已达到年度要求" in year.inner_text()

        with page.expect_download(timeout=60_000) as download_info:
            year.get_by_role("button", name="申请 2025 年度学时证明").click()
        pdf = tmp_path / "certificate.pdf"
        download_info.value.save_as(pdf)

        certificate = Certificate.objects.get(professional=alice)
        assert "/me/certificates/" in page.url and certificate.serial in page.content()  # the progress page
        assert download_info.value.suggested_filename == f"继续教育学时证明_2025_{certificate.serial}.pdf"
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "张爱丽" in text and certificate.serial in text
        assert "已认定学时 90 学时" in text.replace("\n", "") and "90.0" not in text  # hours as every page writes them

        subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(tmp_path / "page")], check=True)
        (link,) = [code.text for code in zxingcpp.read_barcodes(Image.open(tmp_path / "page.png"))]
        assert link.startswith(f"{live_server.url}/verify/{certificate.serial}?c=")

        page.context.clear_cookies()  # the public page needs no login
        page.goto(link)
        verdict = page.locator("[data-verdict]")
        assert verdict.get_attribute("data-verdict") == "valid"
        assert "有效" in verdict.inner_text() and "张*丽" in verdict.inner_text()
        assert "新华区第一医院" in verdict.inner_text()

        page.goto(link.replace("?c=", "?c=X"))
        assert page.locator("[data-verdict]").get_attribute("data-verdict") == "invalid_code"

        # As the screening job does after city HR confirms a flag (actor None: the system).
        certificate_revoke(certificate=certificate, reason="筛查确认佐证材料伪造", actor=None)
        page.goto(link)
        assert page.locator("[data-verdict]").get_attribute("data-verdict") == "revoked"
        assert "已撤销" in page.locator("[data-verdict]").inner_text()
