"""A certificate of a year still open is an interim statement (issue 12, case 10).

The notice ties results to the year, and hours may still be added until its close. A certificate asked for
on 1 December states the hours "as of" that day and says it is interim (阶段性); once the year has closed,
asking again issues the year-end certificate, which supersedes it, though the records did not change.
"""
import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from ce_portal.clock import SHANGHAI
from records.certificates.models import Certificate
from records.certificates.rules import certificate_interim
from records.certificates.services import certificate_render
from tests.certificate_data import make_compliant, pdf_text

FIRST_OF_DECEMBER = dt.datetime(2025, 12, 1, 10, tzinfo=SHANGHAI)
AFTER_THE_CLOSE = dt.datetime(2026, 1, 5, 10, tzinfo=SHANGHAI)
CLOSE = dt.datetime(2025, 12, 31, 23, 59, 59, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    settings.CERTIFICATE_HMAC_KEY = "certificate-test-key"
    cache.clear()
    yield
    cache.clear()


def test_a_certificate_is_interim_until_the_years_close():
    assert certificate_interim(2025, FIRST_OF_DECEMBER, filing_close=CLOSE)
    assert certificate_interim(2025, CLOSE, filing_close=CLOSE)
    assert not certificate_interim(2025, CLOSE + dt.timedelta(seconds=1), filing_close=CLOSE)


def _ask(client, person, now) -> Certificate:
    client.force_login(person.user)
    with time_machine.travel(now, tick=False):
        response = client.post(reverse("records:my_certificates"), {"year": "2025"})
    assert response.status_code == 302, response.content.decode()
    certificate = Certificate.objects.get(professional=person, status=Certificate.Status.ISSUED)
    certificate_render(certificate_id=certificate.pk, now=now)
    certificate.refresh_from_db()
    return certificate


@pytest.mark.django_db
def test_on_1_december_the_certificate_says_it_is_interim_and_as_of_when(client, alice):
    make_compliant(alice)
    certificate = _ask(client, alice, FIRST_OF_DECEMBER)
    assert certificate.content["interim"] is True
    text = pdf_text(certificate)
    assert "阶段性" in text
    assert "截至 2025年12月1日" in text
    verify = client.get(reverse("records:verify", args=[certificate.serial])).content.decode()
    assert "阶段性证明" in verify


@pytest.mark.django_db
def test_after_the_close_asking_again_issues_the_year_end_certificate_that_supersedes_it(client, alice):
    make_compliant(alice)
    interim = _ask(client, alice, FIRST_OF_DECEMBER)
    final = _ask(client, alice, AFTER_THE_CLOSE)
    assert final.pk != interim.pk
    assert final.content["interim"] is False
    assert final.content["records"] == interim.content["records"]
    interim.refresh_from_db()
    assert (interim.status, interim.superseded_by_id) == (Certificate.Status.SUPERSEDED, final.pk)
    text = pdf_text(final)
    assert "阶段性" not in text
    assert "达到本年度继续教育学时要求" in text
    # Asked once more, the year-end certificate stays.
    assert _ask(client, alice, AFTER_THE_CLOSE + dt.timedelta(days=1)).pk == final.pk
