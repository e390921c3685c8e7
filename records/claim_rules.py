"""What a hand-filed claim and its evidence must satisfy, as plain functions without I/O.

Each check returns the problems it finds (field, stable code, Chinese message) instead of raising, so the
form can show every problem next to its field while the services refuse on the first one. The filing-year
rule itself is `records.rules.claim_year_refusal`; this module only adapts it.
"""
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath

import filetype

from .rules import claim_year_refusal

MAX_HOURS_PER_DAY = Decimal("10")
HOURS_STEP = Decimal("0.5")
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
MAX_EVIDENCE_FILES = 5
# filetype reads at most this many leading bytes.
SNIFF_BYTES = 8192
# What evidence may be, judged by content; the value is the extension a download gets.
EVIDENCE_TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


@dataclass(frozen=True)
class Problem:
    field: str | None
    code: str
    message: str


def _fmt(hours: Decimal) -> str:
    return f"{hours.normalize():f}"


def hours_problems(hours: Decimal, start: dt.date, end: dt.date) -> list[Problem]:
    """Hours are > 0, whole half-hours, and at most 10 for each calendar day of the activity."""
    if not hours.is_finite() or hours <= 0:
        return [Problem("hours", "hours_not_positive", "申报学时须大于 0。")]
    if hours % HOURS_STEP:
        return [Problem("hours", "hours_step", f"申报学时须以 0.5 学时为单位（如 2 或 3.5），不能为 {_fmt(hours)}。")]
    if end >= start:
        days = (end - start).days + 1
        cap = MAX_HOURS_PER_DAY * days
        if hours > cap:
            return [Problem(
                "hours", "hours_over_daily_cap",
                f"活动共 {days} 天，每天最多 {_fmt(MAX_HOURS_PER_DAY)} 学时，最多可申报 {_fmt(cap)} 学时。",
            )]
    return []


def activity_date_problems(start: dt.date, end: dt.date, today: dt.date) -> list[Problem]:
    """The activity has ended, runs forwards and lies within one calendar year (hours never cross years)."""
    if end < start:
        return [Problem("end_date", "dates_reversed", "结束日期不能早于开始日期。")]
    problems = []
    if start.year != end.year:
        problems.append(Problem(
            "end_date", "activity_crosses_years",
            f"活动跨越 {start.year} 年和 {end.year} 年：学时只计入活动所在年度，请按年度分别申报。",
        ))
    if end > today:
        problems.append(Problem(
            "end_date", "activity_in_future", f"活动结束日期 {end:%Y年%m月%d日} 晚于今天，活动结束后才能申报学时。",
        ))
    return problems


def filing_year_problem(year: int, now: dt.datetime, exemption=None, *,
                        filing_close: dt.datetime | None = None) -> Problem | None:
    refusal = claim_year_refusal(year, now, exemption, filing_close=filing_close)
    return Problem("start_date", refusal.code, refusal.message) if refusal else None


def provider_problems(provider_base_id, provider_name: str) -> list[Problem]:
    """The provider is either one CE base of 附件3 or a name typed in, not both and not neither."""
    if provider_base_id and provider_name.strip():
        return [Problem("provider_name", "provider_twice", "请选择继续教育基地或填写其他主办单位，二者只填其一。")]
    if not provider_base_id and not provider_name.strip():
        return [Problem("provider_base", "provider_missing", "请选择继续教育基地，或填写其他主办单位名称。")]
    return []


def evidence_content_type(head: bytes) -> str | None:
    """The evidence type the file's leading bytes show (never its name), or None if not PDF/JPEG/PNG."""
    kind = filetype.guess(head[:SNIFF_BYTES])
    return kind.mime if kind is not None and kind.mime in EVIDENCE_TYPES else None


def evidence_problems(name: str, head: bytes, size: int) -> list[Problem]:
    if size == 0:
        return [Problem("evidence", "evidence_empty", f"文件“{name}”是空文件，请重新选择。")]
    if size > MAX_EVIDENCE_BYTES:
        return [Problem(
            "evidence", "evidence_too_large",
            f"文件“{name}”大小为 {size / 1024 / 1024:.1f} MB，超过单个文件 10 MB 的上限。",
        )]
    if evidence_content_type(head) is None:
        return [Problem(
            "evidence", "evidence_wrong_type",
            f"文件“{name}”不是 PDF、JPEG 或 PNG 文件（按文件内容识别，与扩展名无关），请上传扫描件或照片。",
        )]
    return []


def evidence_count_problem(existing: int, adding: int) -> Problem | None:
    if existing + adding > MAX_EVIDENCE_FILES:
        return Problem(
            "evidence", "evidence_too_many",
            f"每项申报最多 {MAX_EVIDENCE_FILES} 份佐证材料：已有 {existing} 份，本次又选择了 {adding} 份。",
        )
    return None


def evidence_download_name(original_name: str, content_type: str) -> str:
    """The person's file name with the extension its content really has (a PNG named .pdf downloads as .png)."""
    stem = PurePath(original_name).stem or "evidence"
    return stem + EVIDENCE_TYPES.get(content_type, "")
