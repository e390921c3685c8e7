"""通知公告: what an announcement must say and carry, and when it is shown. Pure: values in, refusals out.

An announcement is shown from its publish date through its expiry date, both days included, unless city_hr
withdrew it. Its attachment is a PDF, Word or Excel file, judged by its content like claims' evidence.
"""
import datetime as dt
from enum import Enum
from pathlib import PurePath

import filetype

from ce_portal.errors import DomainError

# Like a claim's evidence (records.hours.rules.MAX_EVIDENCE_BYTES): a notice's attachment is a document, not a video.
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024

# filetype reads at most this many leading bytes (a DOCX/XLSX is told apart by the names of its zip's parts).
SNIFF_BYTES = 8192

# What an attachment may be, judged by content; the value is the extension a download gets.
ATTACHMENT_TYPES = {
    "application/pdf": ".pdf",
    "application/msword": ".doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}

# A notice meant for the year's filing runs a few months; anything longer is most likely a mistyped year.
MAX_SHOWN_DAYS = 366


class AnnouncementState(str, Enum):
    SCHEDULED = "待发布"
    SHOWN = "发布中"
    EXPIRED = "已过期"
    WITHDRAWN = "已撤回"


def announcement_state(*, publish_on: dt.date, expires_on: dt.date, withdrawn: bool,
                       today: dt.date) -> AnnouncementState:
    """Where an announcement stands today; `announcement_current_q` in selectors.py is its SQL twin for SHOWN."""
    if withdrawn:
        return AnnouncementState.WITHDRAWN
    if today < publish_on:
        return AnnouncementState.SCHEDULED
    if today > expires_on:
        return AnnouncementState.EXPIRED
    return AnnouncementState.SHOWN


def announcement_date_problems(publish_on: dt.date, expires_on: dt.date, today: dt.date) -> list[DomainError]:
    """The expiry comes after the publish date, not in the past (nobody would ever see it), within a year."""
    if expires_on <= publish_on:
        return [DomainError(f"截止日期须晚于发布日期（{publish_on:%Y年%m月%d日}）。", code="expiry_not_after_publish",
                            field="expires_on")]
    if expires_on < today:
        return [DomainError(f"截止日期 {expires_on:%Y年%m月%d日} 已过，公告将不会显示在任何人的工作台上。",
                            code="expiry_in_past", field="expires_on")]
    if (expires_on - publish_on).days + 1 > MAX_SHOWN_DAYS:
        return [DomainError(f"公告最长显示 {MAX_SHOWN_DAYS} 天，请核对截止日期的年份。", code="shown_too_long",
                            field="expires_on")]
    return []


def attachment_content_type(head: bytes) -> str | None:
    """The attachment type the file's leading bytes show (never its name), or None if not PDF/Word/Excel."""
    kind = filetype.guess(head[:SNIFF_BYTES])
    return kind.mime if kind is not None and kind.mime in ATTACHMENT_TYPES else None


def attachment_problems(name: str, head: bytes, size: int) -> list[DomainError]:
    if size == 0:
        return [DomainError(f"附件“{name}”是空文件，请重新选择。", code="attachment_empty", field="attachment")]
    if size > MAX_ATTACHMENT_BYTES:
        return [DomainError(f"附件“{name}”大小为 {size / 1024 / 1024:.1f} MB，超过 10 MB 的上限。",
                            code="attachment_too_large", field="attachment")]
    if attachment_content_type(head) is None:
        return [DomainError(
            f"附件“{name}”不是 PDF、Word（DOC/DOCX）或 Excel（XLS/XLSX）文件（按文件内容识别，与扩展名无关）。",
            code="attachment_wrong_type", field="attachment",
        )]
    return []


def attachment_download_name(original_name: str, content_type: str) -> str:
    """The uploaded file's name with the extension its content really has."""
    stem = PurePath(original_name).stem or "附件"
    return stem + ATTACHMENT_TYPES.get(content_type, "")
