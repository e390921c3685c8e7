"""Certificates end to end against PostgreSQL: issue, render (real WeasyPrint), verify, supersede, revoke, bundle."""
import datetime as dt
import io
import re
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
import zxingcpp
from django.core.cache import cache
from django.urls import reverse
from PIL import Image

from audits.trail.models import AuditEvent
from ce_portal.errors import DomainError, NotFound
from ce_portal.pdf import PdfFontError, pdf_from_html
from records.certificates.models import Certificate, CertificateBundle
from records.certificates.rules import verification_code
from records.certificates.selectors import verification_link
from records.certificates.services import (
    STALE_RENDER, certificate_bundle_build, certificate_bundle_request, certificate_render, certificate_request,
    certificate_revoke, certificates_supersede_for,
)
from records.certificates.views import VERIFY_RATE_PER_MINUTE
from records.hours.models import Claim, PlatformRecord
from records.hours.services import recompute_year_totals
from tests.certificate_data import approved_claim, make_compliant, pdf_text, platform_record
from tests.factories import SHANGHAI, ClaimFactory

NOW = dt.datetime(2025, 11, 3, 10, tzinfo=SHANGHAI)
D = Decimal


@pytest.fixture(autouse=True)
def _frozen_and_fresh_cache(settings):
    settings.SITE_URL = "https://ce.pds.example.cn"
    settings.CERTIFICATE_HMAC_KEY = "certificate-test-key"
    cache.clear()  # the verification rate limit counts in the cache
    with time_machine.travel(NOW, tick=False):
        yield
    cache.clear()


def _request(person, year=2025, *, now=NOW):
    return certificate_request(actor=person.user, professional=person, year=year, now=now)


def _issued(person, year=2025) -> Certificate:
    """A certificate requested and rendered, as the Celery task would leave it."""
    certificate = _request(person, year)
    certificate_render(certificate_id=certificate.pk, now=NOW)
    certificate.refresh_from_db()
    return certificate


# --- eligibility -----------------------------------------------------------------------------------------

def test_it_refuses_a_year_short_of_the_requirement(alice):
    platform_record(alice, hours="30")
    approved_claim(alice, hours="59.5")
    with pytest.raises(DomainError) as refused:
        _request(alice)
    assert refused.value.code == "not_compliant"
    assert "专业科目还差 0.5 学时" in refused.value.message
    assert not Certificate.objects.exists()


def test_it_refuses_while_a_claim_of_the_year_is_under_review(alice):
    make_compliant(alice)
    ClaimFactory(professional=alice, year=2025, status=Claim.Status.UNIT_APPROVED)
    with pytest.raises(DomainError) as refused:
        _request(alice)
    assert refused.value.code == "claims_pending"
    assert not Certificate.objects.exists()


def test_a_pending_claim_of_another_year_does_not_block(alice):
    make_compliant(alice)
    ClaimFactory(professional=alice, year=2024, status=Claim.Status.SUBMITTED, start_date=dt.date(2024, 5, 6),
                 end_date=dt.date(2024, 5, 6))
    assert _request(alice).status == Certificate.Status.ISSUED


def test_it_refuses_a_future_year(alice):
    make_compliant(alice)
    with pytest.raises(DomainError) as refused:
        _request(alice, 2026)
    assert refused.value.code == "year_in_future"


def test_revoked_hours_do_not_count(alice):
    records = make_compliant(alice)
    PlatformRecord.objects.filter(pk=records[0].pk).update(credit_revoked_at=NOW)
    with pytest.raises(DomainError) as refused:
        _request(alice)
    assert refused.value.code == "not_compliant"


def test_nobody_requests_a_certificate_for_someone_else(alice, bob):
    make_compliant(alice)
    with pytest.raises(NotFound):
        certificate_request(actor=bob.user, professional=alice, year=2025, now=NOW)


# --- issue and render --------------------------------------------------------------------------------------

def test_request_issues_a_row_and_queues_its_rendering(alice, django_capture_on_commit_callbacks):
    make_compliant(alice)
    with django_capture_on_commit_callbacks() as queued:
        certificate = _request(alice)
    assert len(queued) == 1
    assert certificate.status == Certificate.Status.ISSUED
    assert certificate.render_status == Certificate.RenderStatus.PENDING
    assert (certificate.public_hours, certificate.professional_hours) == (D("30"), D("60"))
    assert certificate.unit.name == "新华区第一医院"
    assert [r["title"] for r in certificate.content["records"]][:1] == ["专业技术人员职业道德与诚信建设"]
    assert AuditEvent.objects.filter(action="certificate.issue", object_id=str(certificate.pk)).exists()


def test_asking_again_for_unchanged_records_returns_the_same_certificate(alice):
    make_compliant(alice)
    first = _issued(alice)
    again = _request(alice)
    assert again.pk == first.pk and again.serial == first.serial
    assert Certificate.objects.count() == 1


def test_rendering_is_claimed_by_one_worker_only(alice):
    make_compliant(alice)
    certificate = _request(alice)
    assert certificate_render(certificate_id=certificate.pk, now=NOW) is True
    assert certificate_render(certificate_id=certificate.pk, now=NOW) is False


def test_a_render_abandoned_by_a_dead_worker_is_taken_over(alice):
    make_compliant(alice)
    certificate = _request(alice)
    Certificate.objects.filter(pk=certificate.pk).update(
        render_status=Certificate.RenderStatus.RENDERING, render_started_at=NOW - STALE_RENDER - dt.timedelta(seconds=1)
    )
    assert certificate_render(certificate_id=certificate.pk, now=NOW) is True
    Certificate.objects.filter(pk=certificate.pk).update(render_status=Certificate.RenderStatus.RENDERING,
                                                         render_started_at=NOW - dt.timedelta(minutes=1))
    assert certificate_render(certificate_id=certificate.pk, now=NOW) is False


def test_the_pdf_states_name_hours_and_records_in_chinese(alice):
    make_compliant(alice)
    certificate = _issued(alice)
    text = pdf_text(certificate)
    assert "继续教育学时证明" in text
    assert "张爱丽" in text
    assert "新华区第一医院" in text
    assert alice.masked_id_number in text and alice.id_number not in text
    assert re.search(r"已认定学时\s*90\s*学\s*时", text)  # pdftotext may wrap a line inside a word
    assert re.search(r"公需科目\s*30\b", text) and re.search(r"专业科目\s*60\b", text)
    assert "临床新技术研修班" in text and "研修班" in text and "平顶山学院" in text
    assert certificate.serial in text
    assert "2025年11月3日" in text  # issue date, Beijing time


def test_the_pdf_embeds_a_simplified_chinese_cjk_font(alice):
    make_compliant(alice)
    certificate = _issued(alice)
    fonts = subprocess.run(["pdffonts", certificate.pdf.path], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk, fonts
    assert all(re.search(r"Noto-?Sans-?CJK-?SC", line) for line in cjk), fonts
    assert all(line.split()[-5] == "yes" for line in cjk), fonts  # the "emb" column


def test_the_stored_pdf_matches_its_recorded_sha256(alice):
    import hashlib

    make_compliant(alice)
    certificate = _issued(alice)
    with certificate.pdf.open("rb") as pdf:
        assert hashlib.sha256(pdf.read()).hexdigest() == certificate.pdf_sha256
    assert not certificate.pdf.name.endswith(f"{certificate.serial}.pdf")  # the stored name is not guessable


def test_the_qr_code_decodes_to_the_signed_verification_link(alice, tmp_path):
    make_compliant(alice)
    certificate = _issued(alice)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", certificate.pdf.path, str(tmp_path / "p")],
                   check=True)
    page = Image.open(next(tmp_path.glob("p*.png")))
    codes = zxingcpp.read_barcodes(page)
    assert [c.text for c in codes] == [verification_link(certificate.serial)]
    url = urlsplit(codes[0].text)
    assert f"{url.scheme}://{url.netloc}" == "https://ce.pds.example.cn"
    assert url.path == reverse("records:verify", args=[certificate.serial])
    assert parse_qs(url.query)["c"] == [verification_code(certificate.serial, "certificate-test-key")]


def test_a_document_that_would_print_boxes_or_japanese_forms_is_refused():
    with pytest.raises(PdfFontError, match="非简体中文字形"):
        pdf_from_html("<html><body><p>张爱丽 继续教育</p></body></html>")  # no lang: fontconfig picks JP
    with pytest.raises(PdfFontError, match="缺少"):
        pdf_from_html('<html lang="zh-CN"><body style="font-family:\'Noto Sans CJK SC\'">张爱丽 \ue000</body></html>')


# --- verification ------------------------------------------------------------------------------------------

def _verify(client, serial, code=None, api=False):
    name = "records:verify_api" if api else "records:verify"
    return client.get(reverse(name, args=[serial]), {"c": code} if code is not None else {})


def test_the_public_page_shows_a_valid_certificate_without_login(client, alice):
    make_compliant(alice)
    certificate = _issued(alice)
    response = _verify(client, certificate.serial, verification_code(certificate.serial, "certificate-test-key"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-verdict="valid"' in page
    assert "张*丽" in page and "张爱丽" not in page
    assert "新华区第一医院" in page and "2025 年" in page
    assert "30 学时" in page and "60 学时" in page and "90 学时" in page and "30.0" not in page
    assert certificate.pdf_sha256 in page


def test_a_serial_typed_from_paper_verifies_without_a_code(client, alice):
    make_compliant(alice)
    certificate = _issued(alice)
    response = client.get(reverse("records:verify_search"), {"serial": certificate.serial.lower().replace("-", " ")})
    assert response.status_code == 302 and response.url == reverse("records:verify", args=[certificate.serial])
    assert 'data-verdict="valid"' in client.get(response.url).content.decode()


@pytest.mark.parametrize("alter", [
    lambda code: code[:-2] + ("AA" if not code.endswith("AA") else "BB"),
    lambda code: "",
    lambda code: "伪造的验证码",
    lambda code: code * 50,
])
def test_a_forged_or_altered_code_is_not_valid_and_reveals_nothing(client, alice, alter):
    make_compliant(alice)
    certificate = _issued(alice)
    forged = alter(verification_code(certificate.serial, "certificate-test-key"))
    for api in (False, True):
        response = _verify(client, certificate.serial, forged, api=api)
        assert response.status_code == 404
        body = response.content.decode()
        assert "invalid_code" in body and "新华区第一医院" not in body and "张*丽" not in body


def test_a_code_made_with_another_secret_is_not_valid(client, alice):
    make_compliant(alice)
    certificate = _issued(alice)
    assert _verify(client, certificate.serial, verification_code(certificate.serial, "other-key"), api=True).json()[
        "status"] == "invalid_code"


@pytest.mark.parametrize("serial", ["2025-ZZZZ-ZZZZ-ZZZZ", "not-a-serial", "%00", "2025-ABCD"])
def test_an_unknown_or_malformed_serial_is_not_found_never_an_error(client, db, serial):
    assert _verify(client, serial).status_code == 404
    response = _verify(client, serial, api=True)
    assert response.status_code == 404 and response.json()["status"] == "not_found"


def test_a_malformed_serial_in_the_search_form_gets_a_chinese_message(client, db):
    response = client.get(reverse("records:verify_search"), {"serial": "2025/../x"})
    assert response.status_code == 200 and "证书编号格式不正确" in response.content.decode()


def test_the_json_api_answers_title_evaluation_systems(client, alice):
    make_compliant(alice)
    certificate = _issued(alice)
    body = _verify(client, certificate.serial, verification_code(certificate.serial, "certificate-test-key"), api=True).json()
    assert body == {
        "status": "valid", "status_label": "有效", "serial": certificate.serial, "name": "张*丽",
        "unit": "新华区第一医院", "year": 2025, "interim": True, "hours": {"public": "30.0", "professional": "60.0", "total": "90.0"},
        "issued_at": "2025-11-03T10:00:00+08:00", "pdf_sha256": certificate.pdf_sha256,
        "superseded_by": None, "revoked_at": None,
    }


def test_verification_is_rate_limited_per_client_address(client, alice):
    make_compliant(alice)
    certificate = _issued(alice)
    for _ in range(VERIFY_RATE_PER_MINUTE - 1):
        assert _verify(client, certificate.serial).status_code == 200
    assert _verify(client, certificate.serial, api=True).status_code == 200  # the page and the API share a budget
    limited = _verify(client, certificate.serial)
    assert limited.status_code == 429 and "核验请求过于频繁" in limited.content.decode()
    assert _verify(client, certificate.serial, api=True).json()["code"] == "rate_limited"
    other = client.get(reverse("records:verify", args=[certificate.serial]), REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 200
    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        assert _verify(client, certificate.serial).status_code == 200  # a new minute, a new budget


# --- supersede and revoke ----------------------------------------------------------------------------------

def test_a_revocation_that_keeps_the_year_compliant_supersedes_with_a_new_certificate(client, alice,
                                                                                     django_capture_on_commit_callbacks):
    records = make_compliant(alice)
    old = _issued(alice)
    platform_record(alice, hours="20", title="人工智能与数字化转型", day=dt.date(2025, 10, 9))
    PlatformRecord.objects.filter(pk=records[0].pk).update(credit_revoked_at=NOW)  # screening revoked it
    recompute_year_totals([(alice.pk, 2025)])

    with django_capture_on_commit_callbacks() as queued:
        new = certificates_supersede_for(alice.pk, 2025, now=NOW)

    old.refresh_from_db()
    assert old.status == Certificate.Status.SUPERSEDED and old.superseded_by == new
    assert new.status == Certificate.Status.ISSUED and new.serial != old.serial and len(queued) == 1
    assert new.public_hours == D("35") and new.professional_hours == D("60")
    body = _verify(client, old.serial, api=True).json()
    assert body["status"] == "superseded" and body["superseded_by"] == new.serial
    assert body["hours"]["public"] == "30.0"  # what the old certificate stated, not today's figures


def test_a_revocation_that_breaks_the_year_supersedes_without_a_successor(client, alice):
    records = make_compliant(alice)
    old = _issued(alice)
    Claim.objects.filter(pk=records[2].pk).update(credit_revoked_at=NOW)
    recompute_year_totals([(alice.pk, 2025)])

    assert certificates_supersede_for(alice.pk, 2025, now=NOW) is None

    old.refresh_from_db()
    assert old.status == Certificate.Status.SUPERSEDED and old.superseded_by is None
    assert _verify(client, old.serial, api=True).json()["status"] == "superseded"
    assert not Certificate.objects.filter(status=Certificate.Status.ISSUED).exists()


def test_supersede_leaves_a_certificate_alone_while_its_records_still_hold(alice):
    make_compliant(alice)
    certificate = _issued(alice)
    assert certificates_supersede_for(alice.pk, 2025, now=NOW) == certificate
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.ISSUED


def test_asking_after_new_hours_supersedes_the_old_certificate(alice):
    make_compliant(alice)
    old = _issued(alice)
    platform_record(alice, hours="5", title="法治素养专题", day=dt.date(2025, 10, 20))
    new = _request(alice)
    old.refresh_from_db()
    assert new.pk != old.pk and old.status == Certificate.Status.SUPERSEDED and old.superseded_by_id == new.pk
    assert new.content["hours"]["total"] == "95.0"


def test_revoke_makes_verification_say_revoked_and_it_stays_revoked(client, alice, cheng):
    records = make_compliant(alice)
    certificate = _issued(alice)

    revoked = certificate_revoke(certificate=certificate, reason="佐证材料系伪造（筛查确认）", actor=cheng, now=NOW)

    assert revoked.status == Certificate.Status.REVOKED and revoked.revoked_at == NOW
    body = _verify(client, certificate.serial, api=True).json()
    assert body["status"] == "revoked" and body["revoked_at"] == NOW.isoformat()
    page = _verify(client, certificate.serial).content.decode()
    assert 'data-verdict="revoked"' in page and "已撤销" in page
    # Later changes to the year never bring it back.
    PlatformRecord.objects.filter(pk=records[0].pk).update(credit_revoked_at=NOW)
    recompute_year_totals([(alice.pk, 2025)])
    certificates_supersede_for(alice.pk, 2025, now=NOW)
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.REVOKED
    with pytest.raises(DomainError) as again:
        certificate_revoke(certificate=certificate, reason="重复", actor=cheng, now=NOW)
    assert again.value.code == "certificate_already_revoked"
    assert AuditEvent.objects.filter(action="certificate.revoke", object_id=str(certificate.pk)).count() == 1


def test_a_superseded_certificate_can_still_be_revoked(alice, cheng):
    make_compliant(alice)
    old = _issued(alice)
    platform_record(alice, hours="5", day=dt.date(2025, 10, 20))
    _request(alice)
    old.refresh_from_db()
    assert certificate_revoke(certificate=old, reason="外部证书编号冒用", actor=cheng).status == Certificate.Status.REVOKED


def test_revoke_needs_a_reason_and_a_city_actor(alice, cheng, xin):
    make_compliant(alice)
    certificate = _issued(alice)
    with pytest.raises(DomainError) as blank:
        certificate_revoke(certificate=certificate, reason="  ", actor=cheng)
    assert blank.value.code == "revoke_reason_required"
    with pytest.raises(NotFound):
        certificate_revoke(certificate=certificate, reason="理由", actor=xin)
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.ISSUED


def test_a_new_certificate_may_be_issued_after_a_revocation_when_the_year_still_holds(alice, cheng):
    make_compliant(alice)
    old = _issued(alice)
    certificate_revoke(certificate=old, reason="证书被他人冒用，重新出具", actor=cheng)
    new = _request(alice)
    assert new.pk != old.pk and new.status == Certificate.Status.ISSUED


# --- the person's pages -------------------------------------------------------------------------------------

def test_my_certificates_page_lists_years_and_refuses_in_chinese(client, alice):
    client.force_login(alice.user)
    assert "2025 年度" in client.get(reverse("records:my_certificates")).content.decode()
    response = client.post(reverse("records:my_certificates"), {"year": "2025"}, follow=True)
    assert "未达到要求" in response.content.decode()
    assert client.post(reverse("records:my_certificates"), {"year": "abc"}, follow=True).status_code == 200
    assert not Certificate.objects.exists()


def test_the_page_offers_the_request_only_for_a_year_that_qualifies_and_says_why_not_otherwise(client, alice):
    make_compliant(alice)  # 2025
    client.force_login(alice.user)
    page = client.get(reverse("records:my_certificates")).content.decode()

    year_2025 = re.search(r'<section class="card" data-year="2025">.*?</section>', page, re.S)[0]
    year_2024 = re.search(r'<section class="card" data-year="2024">.*?</section>', page, re.S)[0]
    assert "申请 2025 年度学时证明" in year_2025 and "data-refusal" not in year_2025
    assert '<p class="muted" data-refusal="not_compliant">2024 年度已认定学时未达到要求' in year_2024
    assert "<button" not in year_2024


def test_a_download_while_rendering_shows_progress_then_the_pdf(client, alice):
    make_compliant(alice)
    client.force_login(alice.user)
    response = client.post(reverse("records:my_certificates"), {"year": "2025"})
    certificate = Certificate.objects.get()
    assert response.url == reverse("records:certificate_download", args=[certificate.pk])

    waiting = client.get(response.url)
    assert waiting.status_code == 202 and "排队等待生成" in waiting.content.decode()
    assert client.get(reverse("records:certificate_status", args=[certificate.pk])).json()["ready"] is False

    certificate_render(certificate_id=certificate.pk, now=NOW)
    state = client.get(reverse("records:certificate_status", args=[certificate.pk])).json()
    assert state["ready"] is True and state["download_url"] == response.url
    pdf = client.get(response.url)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF-")


def test_a_failed_render_is_explained_and_asking_again_requeues_it(client, alice, django_capture_on_commit_callbacks):
    make_compliant(alice)
    certificate = _request(alice)
    Certificate.objects.filter(pk=certificate.pk).update(render_status=Certificate.RenderStatus.FAILED,
                                                         render_error="字体缺失")
    client.force_login(alice.user)
    page = client.get(reverse("records:certificate_download", args=[certificate.pk]))
    assert page.status_code == 200 and "生成失败" in page.content.decode() and "字体缺失" in page.content.decode()
    with django_capture_on_commit_callbacks() as queued:
        client.post(reverse("records:my_certificates"), {"year": "2025"})
    certificate.refresh_from_db()
    assert certificate.render_status == Certificate.RenderStatus.PENDING and len(queued) == 1


def test_nobody_else_sees_a_persons_certificate(client, alice, bob, ada):
    make_compliant(alice)
    certificate = _issued(alice)
    for user in (bob.user, ada):
        client.force_login(user)
        assert client.get(reverse("records:certificate_download", args=[certificate.pk])).status_code == 404
        assert client.get(reverse("records:certificate_status", args=[certificate.pk])).status_code == 404


# --- a unit's bundle ---------------------------------------------------------------------------------------

def test_a_unit_reviewer_bundles_the_units_certificates_with_a_manifest(client, alice, ada, unit_a):
    from tests.factories import ProfessionalFactory

    make_compliant(alice)
    short = ProfessionalFactory(name="赵短缺", unit=unit_a)
    platform_record(short, hours="10")
    client.force_login(ada)
    response = client.post(reverse("records:certificate_bundles"), {"unit": unit_a.pk, "year": "2025"})
    bundle = CertificateBundle.objects.get()
    assert response.url == reverse("records:certificate_bundle", args=[bundle.pk])
    assert client.get(reverse("records:certificate_bundle_status", args=[bundle.pk])).json()["ready"] is False

    assert certificate_bundle_build(bundle_id=bundle.pk, now=NOW) is True
    assert certificate_bundle_build(bundle_id=bundle.pk, now=NOW) is False  # claimed once

    state = client.get(reverse("records:certificate_bundle_status", args=[bundle.pk])).json()
    assert state == {**state, "ready": True, "done": 2, "total": 2, "included": 1, "percent": 100}
    download = client.get(state["download_url"])
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    certificate = Certificate.objects.get(professional=alice)
    pdfs = [n for n in archive.namelist() if n.endswith(".pdf")]
    assert len(pdfs) == 1 and re.fullmatch(rf"\d{{4}}_张爱丽_{certificate.serial}\.pdf", pdfs[0])
    assert archive.read(pdfs[0]).startswith(b"%PDF-")
    manifest = archive.read("清单.csv").decode("utf-8-sig")
    assert certificate.serial in manifest and "赵短缺" in manifest and "未达到要求" in manifest


def test_a_bundle_outside_ones_scope_is_refused(client, ada, unit_b, carol):
    with pytest.raises(NotFound):
        certificate_bundle_request(actor=ada, unit_id=unit_b.pk, year=2025, now=NOW)
    client.force_login(ada)
    # Outside one's scope is "not found", on the pages as in the API (ce_portal/errors.py).
    assert client.post(reverse("records:certificate_bundles"), {"unit": unit_b.pk, "year": "2025"}).status_code == 404
    assert not CertificateBundle.objects.exists()
    client.force_login(carol.user)
    assert client.get(reverse("records:certificate_bundles")).status_code == 404


def test_county_and_city_see_only_their_own_bundles(client, ada, xin, cheng, unit_a):
    bundle = certificate_bundle_request(actor=ada, unit_id=unit_a.pk, year=2025, now=NOW)
    assert certificate_bundle_request(actor=ada, unit_id=unit_a.pk, year=2025, now=NOW) == bundle  # still running
    assert certificate_bundle_request(actor=xin, unit_id=unit_a.pk, year=2025, now=NOW) != bundle
    client.force_login(cheng)
    assert client.get(reverse("records:certificate_bundle", args=[bundle.pk])).status_code == 404
    assert client.get(reverse("records:certificate_bundles")).status_code == 200


def test_the_bundle_page_finds_units_for_the_city(client, cheng, unit_a, unit_c):
    client.force_login(cheng)
    page = client.get(reverse("records:certificate_bundles"), {"q": "叶县"}).content.decode()
    assert "叶县第一高级中学" in page and "新华区第一医院" not in page


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_requests_issue_one_certificate(alice):
    from records.certificates.services import certificate_obtain
    from tests.threads import at_once

    make_compliant(alice)
    certificates = at_once(lambda: certificate_obtain(professional=alice, year=2025, now=NOW, actor=alice.user))
    assert len({c.serial for c in certificates}) == 1 and Certificate.objects.count() == 1


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_bundle_shares_its_renders_with_a_worker_and_each_pdf_is_rendered_once(monkeypatch, settings, ada, unit_a):
    from celery.contrib.testing.worker import start_worker

    from ce_portal.celery import app as celery_app
    from records.certificates import services as certificates
    from tests.factories import ProfessionalFactory

    monkeypatch.setattr(certificates, "BUNDLE_FAN_OUT_MIN", 1)
    people = [ProfessionalFactory(name=f"员工{n}", unit=unit_a) for n in range(4)]
    for person in people:
        make_compliant(person)
    # Created directly, not requested: the worker is here to take renders, the bundle is built by the test.
    bundle = CertificateBundle.objects.create(unit=unit_a, year=2025, requested_by=ada, created_at=NOW)

    with start_worker(celery_app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=30):
        assert certificate_bundle_build(bundle_id=bundle.pk, now=NOW)

    bundle.refresh_from_db()
    assert (bundle.status, bundle.included) == (CertificateBundle.Status.READY, 4)
    with bundle.file.open("rb") as zipped:
        assert len([n for n in zipfile.ZipFile(zipped).namelist() if n.endswith(".pdf")]) == 4
    stored = list((settings.MEDIA_ROOT / "certificates" / "2025").iterdir())
    assert len(stored) == 4  # nobody rendered a certificate twice
    assert {p.name for p in stored} == {Path(c.pdf.name).name for c in Certificate.objects.all()}


@pytest.mark.django_db
def test_the_sweep_queues_again_renders_lost_or_abandoned_and_fails_one_whose_workers_kept_dying(
        alice, bob, carol, django_capture_on_commit_callbacks):
    from ce_portal.jobs import MAX_ATTEMPTS, Verdict
    from records.certificates.services import STALE_RENDER, certificate_obtain, stalled_renders_sweep

    certificates = {}
    for person in (alice, bob, carol):
        make_compliant(person)
        certificates[person.name] = certificate_obtain(professional=person, year=2025, now=NOW, actor=person.user)
    lost = certificates[alice.name]  # queued while the broker was down: never taken up
    Certificate.objects.filter(pk=certificates[bob.name].pk).update(  # its worker killed mid-render
        render_status="rendering", render_started_at=NOW, render_attempts=1)
    Certificate.objects.filter(pk=certificates[carol.name].pk).update(  # killed every time it was taken up
        render_status="rendering", render_started_at=NOW, render_attempts=MAX_ATTEMPTS)

    assert stalled_renders_sweep(now=NOW + STALE_RENDER)[Verdict.WAIT] == 3
    with django_capture_on_commit_callbacks() as queued:
        counts = stalled_renders_sweep(now=NOW + STALE_RENDER + dt.timedelta(seconds=1))

    assert counts == {Verdict.WAIT: 0, Verdict.REQUEUE: 2, Verdict.GIVE_UP: 1} and len(queued) == 2
    hopeless = Certificate.objects.get(pk=certificates[carol.name].pk)
    assert hopeless.render_status == "failed" and hopeless.render_error.startswith(f"后台任务已中断 {MAX_ATTEMPTS} 次")
    assert Certificate.objects.get(pk=lost.pk).render_status == "pending"
    # Asking again starts anew: pending, with its attempts counted from zero.
    again = certificate_obtain(professional=carol, year=2025, now=NOW, actor=carol.user)
    assert (again.pk, again.render_status, again.render_attempts) == (hopeless.pk, "pending", 0)
