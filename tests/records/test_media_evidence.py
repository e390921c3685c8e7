"""Presentations (PPTX) and short videos (MP4) as evidence (issue 13, 培训课件等影像资料): judged by content
(the zip's parts, the `ftyp` box), never by name, within their size limits; the reviewer plays a video on the
claim's page and downloads a presentation."""
import datetime as dt
import io
import zipfile

import pytest
import time_machine
from django.urls import reverse

from audits.review.models import EvidenceView
from ce_portal.errors import DomainError
from records.hours import rules
from records.hours.services import evidence_add
from tests.records.evidence_bytes import TEXT, upload
from tests.records.test_claims import FRIDAY, draft, make_form

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def office_zip(*parts: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in parts:
            archive.writestr(part, "<xml/>")
    return buffer.getvalue()


PPTX = office_zip("[Content_Types].xml", "_rels/.rels", "ppt/presentation.xml", "ppt/slides/slide1.xml")
DOCX = office_zip("[Content_Types].xml", "_rels/.rels", "word/document.xml")
# An MP4's first box: size, "ftyp", the major brand, a version, compatible brands; then a (tiny) movie box.
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00\x00\x00\x08moov"
QUICKTIME = b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  " + b"\x00\x00\x00\x08moov"


@pytest.mark.parametrize("head, names, expected", [
    (PPTX[:64], frozenset({"[Content_Types].xml", "ppt/presentation.xml"}), rules.PPTX),
    (DOCX[:64], frozenset({"[Content_Types].xml", "word/document.xml"}), None),
    (MP4, frozenset(), rules.MP4),
    (QUICKTIME, frozenset(), None),
    (TEXT, frozenset(), None),
])
def test_the_content_decides_the_type(head, names, expected):
    assert rules.evidence_content_type(head, names) == expected


def test_each_type_has_its_own_size_limit():
    names = frozenset({"[Content_Types].xml", "ppt/presentation.xml"})
    assert rules.evidence_problems("课件.pptx", PPTX, 20 * MB, names) == []
    assert [p.code for p in rules.evidence_problems("课件.pptx", PPTX, 20 * MB + 1, names)] == ["evidence_too_large"]
    assert rules.evidence_problems("视频.mp4", MP4, 50 * MB) == []
    [too_large] = rules.evidence_problems("视频.mp4", MP4, 50 * MB + 1)
    assert too_large.message == "文件“视频.mp4”大小为 50.0 MB，超过视频的单个文件 50 MB 的上限。"
    assert [p.code for p in rules.evidence_problems("扫描件.pdf", b"%PDF-1.4", 10 * MB + 1)] == ["evidence_too_large"]


def test_one_upload_stays_within_fifty_megabytes_together():
    assert rules.upload_size_problem([50 * MB]) is None
    assert rules.upload_size_problem([30 * MB, 21 * MB]).code == "upload_too_large"


def test_a_pptx_and_an_mp4_are_accepted_and_stored_with_their_type(alice):
    claim = draft(alice, files=0)
    pptx = evidence_add(actor=alice.user, claim_id=claim.pk, upload=upload("讲座课件.pptx", PPTX, "application/zip"),
                        now=FRIDAY)
    mp4 = evidence_add(actor=alice.user, claim_id=claim.pk, upload=upload("现场视频.mp4", MP4, "video/mp4"),
                       now=FRIDAY)
    assert (pptx.content_type, mp4.content_type) == (rules.PPTX, rules.MP4)
    assert rules.evidence_download_name("讲座课件.zip", pptx.content_type) == "讲座课件.pptx"
    assert make_form(alice, files=[upload("课件.pptx", PPTX), upload("视频.mp4", MP4)]).is_valid()


@pytest.mark.parametrize("name, content", [("课件.pptx", TEXT), ("视频.mp4", TEXT), ("报告.pptx", DOCX)])
def test_a_renamed_file_is_refused_and_nothing_is_kept(alice, name, content):
    claim = draft(alice, files=0)
    with pytest.raises(DomainError) as refused:
        evidence_add(actor=alice.user, claim_id=claim.pk, upload=upload(name, content, "video/mp4"), now=FRIDAY)
    assert refused.value.code == "evidence_wrong_type"
    assert not claim.evidence.exists()
    form = make_form(alice, files=[upload(name, content)])
    assert form.errors["evidence"] == [
        f"文件“{name}”不是 PDF、JPEG、PNG、PPTX 演示文稿或 MP4 视频（按文件内容识别，与扩展名无关），请上传扫描件、照片、课件或视频。"
    ]


def test_the_reviewer_plays_the_video_and_downloads_the_presentation(client, alice, ada):
    from audits.review.services import claim_submit

    claim = draft(alice, files=0)
    video = evidence_add(actor=alice.user, claim_id=claim.pk, upload=upload("现场视频.mp4", MP4), now=FRIDAY)
    slides = evidence_add(actor=alice.user, claim_id=claim.pk, upload=upload("讲座课件.pptx", PPTX), now=FRIDAY)
    claim_submit(actor=alice.user, claim_id=claim.pk, now=FRIDAY)
    client.force_login(ada)
    with time_machine.travel(FRIDAY + dt.timedelta(hours=2), tick=False):
        page = client.get(reverse("review:claim", args=[claim.pk])).content.decode()
        played = client.get(reverse("records:evidence_download", args=[video.pk]), {"inline": "1"})
        downloaded = client.get(reverse("records:evidence_download", args=[slides.pk]))
    played_url = reverse("records:evidence_download", args=[video.pk])
    assert f'<video class="evidence-video" controls preload="metadata" src="{played_url}?inline=1">' in page
    assert f'data-download="{slides.pk}"' in page
    assert played["Content-Type"] == "video/mp4" and b"".join(played.streaming_content) == MP4
    assert downloaded["Content-Type"] == rules.PPTX and "attachment" in downloaded["Content-Disposition"]
    assert EvidenceView.objects.filter(reviewer=ada).count() == 2
