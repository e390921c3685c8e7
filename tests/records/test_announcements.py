"""通知公告 (issue 14): city_hr posts them; every role's home shows the current ones until they expire."""
import datetime as dt
import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from audits.trail.models import AuditEvent
from records.announcements.models import Announcement
from records.announcements.rules import (
    MAX_ATTACHMENT_BYTES, AnnouncementState, announcement_date_problems, announcement_state,
)
from records.announcements.selectors import announcements_current
from records.announcements.services import AnnouncementInput, announcement_create
from tests.factories import MINIMAL_PDF, SHANGHAI

pytestmark = pytest.mark.django_db

MONDAY = dt.datetime(2025, 11, 3, 10, 0, tzinfo=SHANGHAI)
HOMES = [("alice", "records:my_home"), ("ada", "records:unit_home"), ("hank", "records:authority_home"),
         ("xin", "records:county_home"), ("cheng", "records:city_home")]


def _user(request, persona):
    user = request.getfixturevalue(persona)
    return getattr(user, "user", user)


def _post(cheng, *, title="2025年度继续教育学时申报工作的通知", publish_on=dt.date(2025, 11, 3),
          expires_on=dt.date(2025, 11, 10), upload=None, now=MONDAY):
    return announcement_create(actor=cheng, data=AnnouncementInput(
        title=title, body="各单位：\n请于12月31日前完成本年度学时申报。", publish_on=publish_on, expires_on=expires_on,
    ), upload=upload, now=now)


def _xlsx() -> bytes:
    book = Workbook()
    book.active.append(["单位", "人数"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("persona, home", HOMES)
def test_every_role_sees_the_announcement_on_its_home_from_publication_through_expiry(
        client, request, cheng, persona, home):
    announcement = _post(cheng)
    client.force_login(_user(request, persona))
    shown = f'href="{reverse("records:announcement", args=[announcement.pk])}"'
    for day, visible in ((dt.date(2025, 11, 2), False), (dt.date(2025, 11, 3), True), (dt.date(2025, 11, 10), True),
                         (dt.date(2025, 11, 11), False)):
        with time_machine.travel(dt.datetime.combine(day, dt.time(9), tzinfo=SHANGHAI), tick=False):
            page = client.get(reverse(home)).content.decode()
        assert (shown in page) is visible, day
        assert "通知公告" in page


def test_the_home_lists_the_newest_first(client, alice, cheng):
    _post(cheng, title="较早的通知", publish_on=dt.date(2025, 11, 1), now=MONDAY - dt.timedelta(days=2))
    _post(cheng, title="最新的通知", publish_on=dt.date(2025, 11, 3))
    client.force_login(alice.user)
    with time_machine.travel(MONDAY, tick=False):
        page = client.get(reverse("records:my_home")).content.decode()
    assert page.index("最新的通知") < page.index("较早的通知")


def test_city_hr_posts_an_announcement_with_an_excel_attachment_and_everyone_downloads_it(client, alice, cheng):
    client.force_login(cheng)
    with time_machine.travel(MONDAY, tick=False):
        response = client.post(reverse("records:announcement_create"), {
            "title": "关于公布认定学习平台的通知", "body": "附件为平台名单。", "publish_on": "2025-11-03",
            "expires_on": "2025-12-31", "attachment": SimpleUploadedFile("平台名单.xlsx", _xlsx()),
        })
    announcement = Announcement.objects.get()
    assert response.status_code == 302
    assert announcement.attachment_type.endswith("spreadsheetml.sheet")
    assert AuditEvent.objects.filter(action="announcement.create", object_id=str(announcement.pk)).exists()
    client.force_login(alice.user)
    with time_machine.travel(MONDAY, tick=False):
        page = client.get(reverse("records:announcement", args=[announcement.pk])).content.decode()
        download = client.get(reverse("records:announcement_attachment", args=[announcement.pk]))
    assert "附件为平台名单。" in page and "平台名单.xlsx" in page
    assert download.status_code == 200
    assert download["Content-Disposition"].endswith(".xlsx")
    assert b"".join(download.streaming_content).startswith(b"PK")


def test_an_attachment_that_is_not_a_document_is_refused_by_its_content(client, cheng):
    client.force_login(cheng)
    with time_machine.travel(MONDAY, tick=False):
        response = client.post(reverse("records:announcement_create"), {
            "title": "通知", "body": "正文", "publish_on": "2025-11-03", "expires_on": "2025-11-30",
            "attachment": SimpleUploadedFile("通知.pdf", "其实是文本文件".encode()),
        })
    assert response.status_code == 200
    assert "不是 PDF、Word（DOC/DOCX）或 Excel（XLS/XLSX）文件" in response.content.decode()
    assert not Announcement.objects.exists()


def test_an_expiry_on_or_before_the_publish_date_is_refused_in_chinese(client, cheng):
    client.force_login(cheng)
    with time_machine.travel(MONDAY, tick=False):
        response = client.post(reverse("records:announcement_create"), {
            "title": "通知", "body": "正文", "publish_on": "2025-11-10", "expires_on": "2025-11-10",
        })
    assert "截止日期须晚于发布日期（2025年11月10日）。" in response.content.decode()
    assert not Announcement.objects.exists()


@pytest.mark.parametrize("persona", ["alice", "ada", "hank", "xin"])
def test_only_city_hr_may_post(client, request, persona):
    client.force_login(_user(request, persona))
    response = client.post(reverse("records:announcement_create"), {
        "title": "通知", "body": "正文", "publish_on": "2025-11-03", "expires_on": "2025-11-30",
    })
    assert response.status_code == 404
    assert not Announcement.objects.exists()


def test_withdrawing_asks_first_then_takes_it_off_every_home_and_its_attachment_with_it(client, alice, cheng):
    announcement = _post(cheng, upload=SimpleUploadedFile("通知.pdf", MINIMAL_PDF))
    url = reverse("records:announcement_withdraw", args=[announcement.pk])
    client.force_login(cheng)
    with time_machine.travel(MONDAY, tick=False):
        confirm = client.get(url)
        assert "确认撤回" in confirm.content.decode()
        assert Announcement.objects.get().withdrawn_at is None
        client.post(url)
    assert Announcement.objects.get().withdrawn_at is not None
    assert AuditEvent.objects.filter(action="announcement.withdraw").exists()
    client.force_login(alice.user)
    with time_machine.travel(MONDAY, tick=False):
        home = client.get(reverse("records:my_home")).content.decode()
        assert f'href="{reverse("records:announcement", args=[announcement.pk])}"' not in home
        assert client.get(reverse("records:announcement", args=[announcement.pk])).status_code == 404
        assert client.get(reverse("records:announcement_attachment", args=[announcement.pk])).status_code == 404


def test_city_hr_edits_the_dates_and_the_change_is_audited(client, alice, cheng):
    announcement = _post(cheng)
    client.force_login(cheng)
    with time_machine.travel(MONDAY, tick=False):
        client.post(reverse("records:announcement_edit", args=[announcement.pk]), {
            "title": announcement.title, "body": "截止日期延后。", "publish_on": "2025-11-03", "expires_on": "2025-11-20",
        })
    assert Announcement.objects.get().expires_on == dt.date(2025, 11, 20)
    event = AuditEvent.objects.get(action="announcement.edit")
    assert event.before["expires_on"] == "2025-11-10" and event.after["expires_on"] == "2025-11-20"
    client.force_login(alice.user)
    with time_machine.travel(dt.datetime(2025, 11, 15, 9, tzinfo=SHANGHAI), tick=False):
        assert "截止日期延后。" in client.get(reverse("records:announcement", args=[announcement.pk])).content.decode()


@pytest.mark.parametrize("publish_on, expires_on, code", [
    (dt.date(2025, 11, 3), dt.date(2025, 11, 3), "expiry_not_after_publish"),
    (dt.date(2025, 11, 3), dt.date(2025, 11, 2), "expiry_not_after_publish"),
    (dt.date(2025, 10, 1), dt.date(2025, 10, 31), "expiry_in_past"),
    (dt.date(2025, 11, 3), dt.date(2026, 11, 30), "shown_too_long"),
    (dt.date(2025, 11, 3), dt.date(2025, 11, 4), None),
])
def test_the_date_rules(publish_on, expires_on, code):
    problems = announcement_date_problems(publish_on, expires_on, dt.date(2025, 11, 3))
    assert [p.code for p in problems] == ([code] if code else [])


def test_the_sql_filter_and_the_state_rule_agree_on_every_edge(cheng):
    _post(cheng, publish_on=dt.date(2025, 11, 3), expires_on=dt.date(2025, 11, 5))
    announcement = Announcement.objects.get()
    for offset in range(-2, 6):
        today = dt.date(2025, 11, 3) + dt.timedelta(days=offset)
        shown = announcement_state(publish_on=announcement.publish_on, expires_on=announcement.expires_on,
                                   withdrawn=False, today=today) is AnnouncementState.SHOWN
        assert announcements_current(today).exists() is shown, today


def test_an_attachment_over_10_mb_is_refused_with_its_size_and_one_under_it_is_taken(client, cheng):
    client.force_login(cheng)
    fields = {"title": "通知", "body": "正文", "publish_on": "2025-11-03", "expires_on": "2025-11-30"}
    with time_machine.travel(MONDAY, tick=False):
        big = client.post(reverse("records:announcement_create"), {
            **fields, "attachment": SimpleUploadedFile("名单.pdf", MINIMAL_PDF + b"0" * (MAX_ATTACHMENT_BYTES))})
        assert "超过 10 MB 的上限" in big.content.decode()
        assert not Announcement.objects.exists()
        client.post(reverse("records:announcement_create"), {
            **fields, "attachment": SimpleUploadedFile("名单.pdf", MINIMAL_PDF + b"0" * (4 * 1024 * 1024))})
    assert Announcement.objects.get().attachment_size > 4 * 1024 * 1024
