"""Evidence is served only through the scoped download view, and every opening by a reviewer is logged."""
import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from audits.review.models import EvidenceView
from audits.trail.models import AuditEvent
from tests.factories import MINIMAL_PDF, SHANGHAI, ClaimFactory, EvidenceFileFactory
from tests.records.evidence_bytes import PNG

OPENED = dt.datetime(2025, 9, 29, 9, 30, tzinfo=SHANGHAI)


@pytest.fixture
def alices_file(alice):
    """A submitted claim of alice (unit_a, under the 卫健委) with one PDF."""
    return EvidenceFileFactory(claim=ClaimFactory(professional=alice))


@pytest.fixture
def bobs_file(bob):
    """A submitted claim of bob (unit_b: no authority, so 新华区 HR reviews at level 2)."""
    return EvidenceFileFactory(claim=ClaimFactory(professional=bob))


def download(client, user, evidence, **params):
    client.force_login(user)
    with time_machine.travel(OPENED, tick=False):
        return client.get(reverse("records:evidence_download", args=[evidence.pk]), params)


def test_the_claimant_downloads_their_file_without_a_review_log(client, alice, alices_file):
    response = download(client, alice.user, alices_file)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == MINIMAL_PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E5%9F%B9%E8%AE%AD%E8%AF%81%E4%B9%A6.pdf" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    assert not EvidenceView.objects.exists()
    assert not AuditEvent.objects.filter(action="evidence.view").exists()


@pytest.mark.parametrize("opener", ["ada", "hank", "xin", "cheng"])
def test_reviewers_and_hr_over_the_claim_open_it_and_are_logged(client, request, alices_file, opener):
    user = request.getfixturevalue(opener)
    response = download(client, user, alices_file)
    assert response.status_code == 200
    view = EvidenceView.objects.get()
    assert (view.reviewer, view.evidence, view.at) == (user, alices_file, OPENED)
    event = AuditEvent.objects.get(action="evidence.view")
    assert (event.actor, event.object_id, event.after) == (user, str(alices_file.pk), {"claim": alices_file.claim_id})


@pytest.mark.parametrize("opener", ["bob", "carol", "ye"])
def test_everyone_else_gets_404_and_nothing_is_logged(client, request, alices_file, opener):
    user = request.getfixturevalue(opener)
    user = getattr(user, "user", user)  # professionals are Professional rows; reviewers are users
    assert download(client, user, alices_file).status_code == 404
    assert not EvidenceView.objects.exists()


def test_a_unit_without_authority_is_seen_by_its_county_not_by_another_authority(client, hank, xin, bobs_file):
    assert download(client, hank, bobs_file).status_code == 404
    assert download(client, xin, bobs_file).status_code == 200
    assert list(EvidenceView.objects.values_list("reviewer__username", flat=True)) == ["xin"]


def test_a_draft_file_is_the_claimants_alone(client, alice, ada, cheng):
    claim = ClaimFactory(professional=alice, status="draft", unit=None, region=None, level2_authority=None,
                         level2_region=None, filed_on=None, due_on=None)
    evidence = EvidenceFileFactory(claim=claim, submitted_at=None)
    assert download(client, ada, evidence).status_code == 404
    assert download(client, cheng, evidence).status_code == 404
    assert download(client, alice.user, evidence).status_code == 200


def test_a_reviewer_of_another_unit_after_the_person_moved_sees_nothing(client, alice, ada, alices_file, unit_b):
    """The claim stays with the unit of its submission day, and so does its evidence."""
    alice.employments.update(ended_on=dt.date(2025, 9, 27))
    alice.employments.create(unit=unit_b, started_on=dt.date(2025, 9, 28))
    assert download(client, ada, alices_file).status_code == 200


def test_inline_view_for_the_review_page(client, ada, alices_file):
    response = download(client, ada, alices_file, inline="1")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert EvidenceView.objects.count() == 1


def test_the_download_name_follows_the_content_not_the_claimed_extension(client, alice):
    evidence = EvidenceFileFactory(
        claim=ClaimFactory(professional=alice), file__data=PNG, original_name="证书.pdf", content_type="image/png",
    )
    response = download(client, alice.user, evidence)
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].endswith(".png")


def test_anonymous_visitors_are_sent_to_log_in(client, alices_file):
    response = client.get(reverse("records:evidence_download", args=[alices_file.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_files_are_not_reachable_by_any_static_url(client, alice, alices_file, settings):
    client.force_login(alice.user)
    assert client.get(settings.MEDIA_URL + alices_file.file.name).status_code == 404
    assert client.get("/media/" + alices_file.file.name).status_code == 404
