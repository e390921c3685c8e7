"""A body larger than its page accepts is refused before it is read (issue 11, finding 8): 413 with a
Chinese page, or {"code": "payload_too_large"} under /api/; a chunked body, which names no length, 411."""
import http.client
import re
import time
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.urls import reverse

from ce_portal.http import MB, body_refusal
from platforms.ingest.rules import MAX_BODY_BYTES as PLATFORM_BATCH_BYTES
from records.hours.rules import MAX_EVIDENCE_BYTES, MAX_EVIDENCE_FILES, MAX_UPLOAD_BYTES, MAX_VIDEO_BYTES
from records.people.rules import MAX_FILE_BYTES as STAFF_IMPORT_BYTES

pytestmark = pytest.mark.django_db

CLAIM_NEW = "/me/claims/new/"
STAFF_IMPORT = "/unit/staff/import/"
PLATFORM_RECORDS = "/api/v1/platform/records/"


def limit_for(path: str) -> int:
    return next((limit for pattern, limit in settings.REQUEST_BODY_LIMITS if re.match(pattern, path)),
                settings.REQUEST_BODY_DEFAULT_LIMIT)


def claiming(client, content_length: int, path=CLAIM_NEW, **extra):
    """A POST whose Content-Length says `content_length`; the test client's body is far shorter, and reading
    it to the declared length would fail the test: only a refusal before reading passes."""
    return client.post(path, {"title": "x"}, CONTENT_LENGTH=str(content_length), **extra)


def test_the_limits_leave_room_for_what_each_page_accepts_and_no_more():
    assert MAX_EVIDENCE_FILES * MAX_EVIDENCE_BYTES <= MAX_UPLOAD_BYTES and MAX_VIDEO_BYTES <= MAX_UPLOAD_BYTES
    assert MAX_UPLOAD_BYTES < limit_for(CLAIM_NEW) <= MAX_UPLOAD_BYTES + 2 * MB
    assert limit_for(reverse("records:claim_edit", args=[7])) == limit_for(CLAIM_NEW)
    # One corrected file, a video at most: the upload pages only, every other page keeps the default.
    assert MAX_VIDEO_BYTES < limit_for(reverse("records:evidence_correct", args=[7])) <= MAX_VIDEO_BYTES + 2 * MB
    assert STAFF_IMPORT_BYTES < limit_for(reverse("records:staff_import")) <= STAFF_IMPORT_BYTES + 2 * MB
    assert limit_for(PLATFORM_RECORDS) == PLATFORM_BATCH_BYTES
    assert limit_for(reverse("records:register")) == settings.REQUEST_BODY_DEFAULT_LIMIT
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < settings.REQUEST_BODY_DEFAULT_LIMIT


@pytest.mark.parametrize("content_length, refused", [
    ("1048576", None), ("1048577", 413), ("", None), (None, None), ("not-a-number", None),
])
def test_a_declared_length_over_the_limit_is_refused(content_length, refused):
    refusal = body_refusal(content_length=content_length, transfer_encoding=None, limit=MB)
    assert (refusal and refusal.status) == refused


def test_a_chunked_body_is_refused_whatever_its_size():
    assert body_refusal(content_length="10", transfer_encoding="chunked", limit=MB).status == 411


def test_an_evidence_upload_over_the_limit_gets_a_chinese_page_and_changes_nothing(client, alice):
    client.force_login(alice.user)
    response = claiming(client, 200 * MB)
    assert response.status_code == 413
    page = response.content.decode()
    assert "提交未被接收" in page and "200 MB" in page and "51 MB" in page
    assert not alice.claims.exists()


def test_a_body_within_the_limit_reaches_the_page(client, alice):
    client.force_login(alice.user)
    response = client.post(CLAIM_NEW, {"title": "院内急救技能培训"})
    assert response.status_code == 200 and "field-error" in response.content.decode()  # the form's own answer


@pytest.mark.parametrize("path", [STAFF_IMPORT, reverse("records:register"), reverse("login")])
def test_every_other_page_has_its_own_smaller_limit(client, path):
    assert claiming(client, limit_for(path) + 1, path=path).status_code == 413


def test_the_api_answers_with_its_stable_code(client):
    response = claiming(client, PLATFORM_BATCH_BYTES + 1, path=PLATFORM_RECORDS, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large" and "MB" in response.json()["message"]


def test_a_chunked_body_is_refused_with_411(client):
    response = client.post(reverse("login"), {"username": "alice"}, HTTP_TRANSFER_ENCODING="chunked")
    assert response.status_code == 411 and "Content-Length" in response.content.decode()
    api = client.post(PLATFORM_RECORDS, "{}", content_type="application/json", HTTP_TRANSFER_ENCODING="chunked")
    assert (api.status_code, api.json()["code"]) == (411, "length_required")


def _raw_post(live_server, path: str, headers: dict, first_bytes: bytes):
    """A real socket: the headers and a few bytes of the body, then a wait for the answer."""
    url = urlsplit(live_server.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    started = time.monotonic()
    try:
        connection.putrequest("POST", path)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders(first_bytes)
        response = connection.getresponse()
        return response.status, response.read().decode(), time.monotonic() - started
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_over_a_real_socket_a_200_mb_claim_is_refused_at_once_without_waiting_for_the_body(live_server):
    status, page, seconds = _raw_post(live_server, CLAIM_NEW, {
        "Content-Type": "multipart/form-data; boundary=b", "Content-Length": str(200 * MB)}, b"--b\r\n")
    assert status == 413 and "提交未被接收" in page
    assert seconds < 5  # reading 200 MB that never come would have run into the 10 s timeout


@pytest.mark.django_db(transaction=True)
def test_over_a_real_socket_a_chunked_platform_batch_is_refused(live_server):
    status, body, seconds = _raw_post(live_server, PLATFORM_RECORDS, {
        "Content-Type": "application/json", "Transfer-Encoding": "chunked"}, b"2\r\n{}\r\n")
    assert status == 411 and '"length_required"' in body and seconds < 5
