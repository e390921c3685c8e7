"""The notice's rules on hours (rules 1–4 and 8 in docs/rules.md), as plain values and functions without I/O.

- what a year requires and whether a person meets it (`assess`): total, public and professional minimums
  each on their own, on credited hours of that year only (no carry-over);
- when a year's filing closes (`claim_year_refusal`): a claim belongs to the year of its activity, and a
  closed year reopens only through a make-up exemption;
- what a hand-filed claim and its evidence must satisfy (`*_problems`): each check returns the problems it
  finds (field, stable code, Chinese message) instead of raising, so a form shows every problem next to its
  field while the services refuse on the first one;
- the claim's statuses, declared once (`ClaimStatus`), and who holds a claim in each.

Views, the API, tasks and reports call these; no rule is re-implemented anywhere else.
"""
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath
from typing import NamedTuple, Protocol

import filetype
from django.db import models

from ce_portal.clock import SHANGHAI
from ce_portal.formatting import hours_text, shortfall_text


ZERO = Decimal("0")


@dataclass(frozen=True)
class RequirementHours:
    """A requirement's three figures, as `assess` reads them."""

    total: Decimal
    public: Decimal
    professional: Decimal


# 三、学时申报: at least 90 hours a year, of which at least 30 public-subject and 60 professional-subject. Each
# year's numbers belong to its RequirementPolicy (city_hr may change them); these are the notice's, seeded
# for 2023 and inherited by every later year nobody configured.
NOTICE_REQUIREMENT = RequirementHours(total=Decimal("90"), public=Decimal("30"), professional=Decimal("60"))


class ClaimStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待单位审核"
    UNIT_APPROVED = "unit_approved", "待主管部门审核"
    APPROVED = "approved", "已通过"
    REJECTED = "rejected", "未通过"
    RETURNED = "returned", "退回修改"
    WITHDRAWN = "withdrawn", "已撤回"


# In the person's hands: they may change its content and evidence, before submission or after a return.
EDITABLE_STATUSES = frozenset({ClaimStatus.DRAFT, ClaimStatus.RETURNED})
# Decided for good.
FINAL_STATUSES = frozenset({ClaimStatus.APPROVED, ClaimStatus.REJECTED, ClaimStatus.WITHDRAWN})
# Every other status waits on a reviewer; which one is audits.review.rules.LEVELS' business, so that a new
# review level needs no change here beyond its status above.
NOT_IN_REVIEW = EDITABLE_STATUSES | FINAL_STATUSES


def in_review(status: str) -> bool:
    return status not in NOT_IN_REVIEW


def review_overdue(status: str, due_on: dt.date | None, today: dt.date) -> bool:
    """已逾期: waiting on a reviewer past its due date (a decision on the due date itself is on time). The
    date decides, not the timer's flag, which only records when the timer saw it."""
    return in_review(status) and due_on is not None and due_on < today


class Requirement(Protocol):
    total: Decimal
    public: Decimal
    professional: Decimal


class Assessment(NamedTuple):
    """Rule 1's verdict. A NamedTuple rather than a frozen dataclass: half the cost to build, and the city's
    compliance export builds 200,000."""

    compliant: bool
    public_short: Decimal
    professional_short: Decimal
    total_short: Decimal

    @property
    def any_subject_short(self) -> Decimal:
        """Hours of either category still needed once both category minimums are met (only when a policy's
        total exceeds the sum of its minimums): what a person reads as the rest of the shortfall."""
        return max(ZERO, self.total_short - self.public_short - self.professional_short)


def _hours(value, name: str) -> Decimal:
    # Floats would turn 29.5 + 0.5 into something that is not quite 30: hours are Decimal end to end.
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    value = Decimal(value)
    if value < 0:
        raise ValueError(f"{name} must not be negative")
    return value


def assess(public: Decimal, professional: Decimal, requirement: Requirement) -> Assessment:
    """Rule 1: compliant only when the total, the public and the professional minimums all hold.

    Each category is measured on its own, so surplus in one never covers another. Rule 2 (no carry-over)
    is the caller's: pass only the credited hours of the year being assessed.
    """
    public = _hours(public, "public")
    professional = _hours(professional, "professional")
    public_short = max(ZERO, requirement.public - public)
    professional_short = max(ZERO, requirement.professional - professional)
    total_short = max(ZERO, requirement.total - public - professional)
    return Assessment(
        compliant=not (public_short or professional_short or total_short),
        public_short=public_short,
        professional_short=professional_short,
        total_short=total_short,
    )


class YearHours(NamedTuple):
    """A person's credited hours of one year and their verdict, the year measured on its own (rule 2): what
    their year page, their certificates page, a person's page, the compliance list and its API all show.

    A NamedTuple: the city's list builds 200,000 of them for one export.
    """

    year: int
    public: Decimal
    professional: Decimal
    assessment: Assessment

    @property
    def total(self) -> Decimal:
        return self.public + self.professional

    @property
    def compliant(self) -> bool:
        return self.assessment.compliant

    @property
    def shortfall(self) -> str:
        """What is still missing, worded as everywhere in the portal; "" when nothing is."""
        return shortfall_text(self.assessment)


def year_hours(year: int, public: Decimal, professional: Decimal, requirement: Requirement) -> YearHours:
    return YearHours(year, public, professional, assess(public, professional, requirement))


def year_on_record(year: int, *, records_since: int, registered_on: dt.date, has_hours: bool) -> bool:
    """Whether the portal can say anything about a person's year. Not for a year before it held any records,
    nor for a year before the person was registered in which no hours reached them: such a year is
    无记录 (no record), not "not compliant" — missing data is not non-compliance."""
    if year < records_since:
        return False
    return has_hours or year >= registered_on.year


def default_filing_close(year: int) -> dt.datetime:
    """Rule 3's default: 31 December of the year, 23:59:59 Beijing time."""
    return dt.datetime(year, 12, 31, 23, 59, 59, tzinfo=SHANGHAI)


@dataclass(frozen=True)
class Refusal:
    code: str  # stable, for API clients and tests
    message: str  # what a person reads


def _moment(today: dt.date | dt.datetime) -> dt.datetime:
    """An aware datetime as it is; a bare date stands for its first moment (00:00 Beijing time)."""
    if isinstance(today, dt.datetime):
        if today.tzinfo is None:
            raise ValueError("today must be an aware datetime or a date")
        return today.astimezone(SHANGHAI)
    return dt.datetime(today.year, today.month, today.day, tzinfo=SHANGHAI)


# A claim returned for correction may be resubmitted within so many working days of the return, even after
# its year's filing closed (RequirementPolicy.resubmission_working_days; issue 12's reading of rule 3).
RESUBMISSION_WORKING_DAYS = 10


class ResubmissionWindow(NamedTuple):
    """A returned claim's time to come back: its year as filed, and the last day it may be resubmitted."""

    year: int
    until: dt.date


def claim_year_refusal(year: int, today: dt.date | dt.datetime, exemption=None, *,
                       filing_close: dt.datetime | None = None,
                       window: ResubmissionWindow | None = None) -> Refusal | None:
    """Why a claim for activity year `year` may not be filed at `today`, or None when it may.

    Rule 3: a claim belongs to the year of its activity; filing for year Y closes at `filing_close` (the
    year's `RequirementPolicy.filing_close`; default 31 Dec of Y, 23:59:59 Asia/Shanghai). Pass `now` (an
    aware datetime) so that the boundary second is exact; a bare date means 00:00 of that day. After the
    close only a make-up exemption for that year that is valid at that moment (not revoked, not expired)
    reopens it, or — for a claim first filed in time and returned for correction — its resubmission
    `window`, up to and including its last day, for the same year. A future year is never open.
    """
    moment = _moment(today)
    if year > moment.year:
        return Refusal("year_in_future", f"{year} 年尚未开始，不能申报该年度的学时。")
    close = filing_close or default_filing_close(year)
    if moment <= close:
        return None
    if exemption is not None and exemption.year == year and exemption.is_valid_at(moment):
        return None
    if window is not None and window.year == year:
        if moment.date() <= window.until:
            return None
        return Refusal(
            "resubmission_window_closed",
            f"该申报退回后的重新提交期限（{window.until:%Y年%m月%d日}）已过，{year} 年度学时申报已截止，"
            "不能再提交；确需补学的，须经市人社局批准补学豁免。",
        )
    return Refusal(
        "year_closed",
        f"{year} 年度学时申报已于 {close.astimezone(SHANGHAI):%Y年%m月%d日 %H:%M:%S} 截止，"
        "学时不得结转或补报；确需补学的，须经市人社局批准补学豁免。",
    )


# Platforms push in batches, often overnight: hours completed before a year's filing close but pushed after
# it are accepted for so many days after the close (RequirementPolicy.late_push_grace_days), and shown as
# pushed late (issue 12's reading of rule 3: the year is the completion's, not the push's).
LATE_PUSH_GRACE_DAYS = 15


def platform_record_year_refusal(year: int, completed_at: dt.datetime, now: dt.datetime, exemption=None, *,
                                 filing_close: dt.datetime | None = None,
                                 grace_days: int = LATE_PUSH_GRACE_DAYS) -> Refusal | None:
    """Why a platform record completed at `completed_at` (in activity year `year`) may not be registered
    at `now`: the claim rule, except that a record completed before the close is still taken during the
    grace days after it."""
    refusal = claim_year_refusal(year, now, exemption, filing_close=filing_close)
    if refusal is None or refusal.code != "year_closed":
        return refusal
    close = filing_close or default_filing_close(year)
    if completed_at <= close and _moment(now) <= close + dt.timedelta(days=grace_days):
        return None
    return refusal


def pushed_late(received_at: dt.datetime, filing_close: dt.datetime) -> bool:
    """A platform record that arrived after its year's filing close (in the grace days)."""
    return received_at > filing_close


def claim_year_open(year: int, today: dt.date | dt.datetime, exemption=None, *,
                    filing_close: dt.datetime | None = None) -> bool:
    """May a claim for activity year `year` be filed at `today`? See `claim_year_refusal` for the reason."""
    return claim_year_refusal(year, today, exemption, filing_close=filing_close) is None


MAX_HOURS_PER_DAY = Decimal("10")


HOURS_STEP = Decimal("0.5")


MAX_EVIDENCE_BYTES = 10 * 1024 * 1024


MAX_EVIDENCE_FILES = 5
# A file kept from a claim form that came back with errors waits this long for the form to be saved (the
# person fixes a field and sends it again, usually within minutes), then is purged nightly.
STAGED_EVIDENCE_KEPT = dt.timedelta(days=1)


# filetype reads at most this many leading bytes.
SNIFF_BYTES = 8192


# What evidence may be, judged by content; the value is the extension a download gets.
EVIDENCE_TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


@dataclass(frozen=True)
class Problem:
    field: str | None
    code: str
    message: str


def hours_problems(hours: Decimal, start: dt.date, end: dt.date) -> list[Problem]:
    """Hours are > 0, whole half-hours, and at most 10 for each calendar day of the activity."""
    if not hours.is_finite() or hours <= 0:
        return [Problem("hours", "hours_not_positive", "申报学时须大于 0。")]
    if hours % HOURS_STEP:
        return [Problem("hours", "hours_step", f"申报学时须以 0.5 学时为单位（如 2 或 3.5），不能为 {hours_text(hours)}。")]
    if end >= start:
        days = (end - start).days + 1
        cap = MAX_HOURS_PER_DAY * days
        if hours > cap:
            return [Problem(
                "hours", "hours_over_daily_cap",
                f"活动共 {days} 天，每天最多 {hours_text(MAX_HOURS_PER_DAY)} 学时，最多可申报 {hours_text(cap)} 学时。",
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


def filing_year_problem(year: int, now: dt.datetime, exemption=None, *, filing_close: dt.datetime | None = None,
                        window: ResubmissionWindow | None = None) -> Problem | None:
    refusal = claim_year_refusal(year, now, exemption, filing_close=filing_close, window=window)
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

