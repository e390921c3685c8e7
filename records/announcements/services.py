"""Writes of 通知公告, city_hr's alone: post, edit, withdraw. Each is audited; a refusal changes nothing."""
import datetime as dt
from dataclasses import asdict, dataclass

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from audits.trail.services import record_event
from ce_portal.errors import DomainError, NotFound
from records.announcements.models import Announcement
from records.announcements.rules import (
    SNIFF_BYTES, announcement_date_problems, attachment_content_type, attachment_problems,
)
from records.people.access import scope_for


@dataclass(frozen=True)
class AnnouncementInput:
    title: str
    body: str
    publish_on: dt.date
    expires_on: dt.date


def _refuse(problems: list[DomainError]) -> None:
    if problems:
        raise problems[0]


def _require_city_hr(actor) -> None:
    if not scope_for(actor).is_city:
        raise NotFound("未找到该公告。")


def _attachment_head(upload: UploadedFile) -> bytes:
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    return head


def _check(data: AnnouncementInput, upload: UploadedFile | None, today: dt.date) -> str | None:
    """Refuse bad dates or a bad attachment before anything is written; the attachment's content type."""
    if not data.title.strip() or not data.body.strip():
        raise DomainError("标题和正文都不能为空。", code="announcement_blank",
                          field="title" if not data.title.strip() else "body")
    _refuse(announcement_date_problems(data.publish_on, data.expires_on, today))
    if upload is None:
        return None
    head = _attachment_head(upload)
    _refuse(attachment_problems(upload.name, head, upload.size))
    return attachment_content_type(head)


def _attach(announcement: Announcement, upload: UploadedFile, content_type: str) -> None:
    announcement.attachment.save(upload.name, upload, save=False)
    announcement.attachment_name = upload.name[-200:]
    announcement.attachment_type = content_type
    announcement.attachment_size = upload.size


def _audited(announcement: Announcement) -> dict:
    return {"title": announcement.title, "publish_on": announcement.publish_on,
            "expires_on": announcement.expires_on, "attachment": announcement.attachment_name}


@transaction.atomic
def announcement_create(*, actor, data: AnnouncementInput, upload: UploadedFile | None, now: dt.datetime,
                        ip: str | None = None) -> Announcement:
    _require_city_hr(actor)
    content_type = _check(data, upload, now.date())
    announcement = Announcement(**asdict(data), created_by=actor, created_at=now, updated_at=now)
    if upload is not None:
        _attach(announcement, upload, content_type)
    announcement.save()
    record_event(actor=actor, action="announcement.create", target=announcement, after=_audited(announcement),
                 ip=ip, at=now)
    return announcement


def _locked(actor, announcement_id: int) -> Announcement:
    _require_city_hr(actor)
    announcement = Announcement.objects.select_for_update().filter(pk=announcement_id).first()
    if announcement is None:
        raise NotFound("未找到该公告。")
    if announcement.withdrawn_at is not None:
        raise DomainError("该公告已撤回，不能再修改或撤回。", code="announcement_withdrawn")
    return announcement


@transaction.atomic
def announcement_edit(*, actor, announcement_id: int, data: AnnouncementInput, upload: UploadedFile | None,
                      remove_attachment: bool = False, now: dt.datetime, ip: str | None = None) -> Announcement:
    """Change the text, dates or attachment; a new attachment replaces the old, which the nightly sweep removes."""
    announcement = _locked(actor, announcement_id)
    content_type = _check(data, upload, now.date())
    before = _audited(announcement)
    for name, value in asdict(data).items():
        setattr(announcement, name, value)
    if upload is not None:
        _attach(announcement, upload, content_type)
    elif remove_attachment:
        announcement.attachment = ""
        announcement.attachment_name = announcement.attachment_type = ""
        announcement.attachment_size = None
    announcement.updated_at = now
    announcement.save()
    record_event(actor=actor, action="announcement.edit", target=announcement, before=before,
                 after=_audited(announcement), ip=ip, at=now)
    return announcement


@transaction.atomic
def announcement_withdraw(*, actor, announcement_id: int, now: dt.datetime, ip: str | None = None) -> Announcement:
    """Take an announcement off every home page at once, whatever its dates; it stays in city_hr's list."""
    announcement = _locked(actor, announcement_id)
    announcement.withdrawn_at = now
    announcement.withdrawn_by = actor
    announcement.save(update_fields=["withdrawn_at", "withdrawn_by"])
    record_event(actor=actor, action="announcement.withdraw", target=announcement, after=_audited(announcement),
                 ip=ip, at=now)
    return announcement
