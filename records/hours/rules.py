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

    @property
    def hours_needed(self) -> Decimal:
        """The fewest more hours that make the year compliant: each category's gap, and whatever the total
        still lacks beyond them (the total's own gap alone can be smaller: 40 public and 20 professional
        hours are 30 short of 90, but 40 short of the 60 professional ones). The unit's progress view sorts
        its staff by it; the shortfall coach tells it."""
        return self.public_short + self.professional_short + self.any_subject_short


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


# 四（一）2 asks that every review be finished within the year (确保……在年内全部完成审核工作): a year's reviews
# close on its review close, by default its last working day of December, and its filing closes early enough
# that the unit's 5 working days and then the second level's 5 fit before that (audits.review.rules.LEVELS;
# tests/audits/test_year_end.py checks that the two agree).
FILING_LEAD_WORKING_DAYS = 10


# The first year with a default review close (issue 14). The years before it keep the rules they were
# filed and reviewed under: filing open until 31 December, 23:59:59, and no review close.
YEAR_END_CLOSES_SINCE = 2026


# From this day of December (month, day) the professional's and the reviewers' pages show the year's two
# closes (申报截止 / 审核截止).
YEAR_END_NOTICE_FROM = (12, 1)


class ReviewClockReading(models.TextChoices):
    """How the notice's "自专业技术人员申报学时之日起……均不得超过5个工作日" is read, per year."""

    PER_LEVEL = "per_level", "逐级计算：用人单位自申报之日起、第二级自单位审核通过之日起各 5 个工作日"
    FROM_FILING = "from_filing", "自申报之日起：两级审核均须在申报之日起 5 个工作日内完成"


@dataclass(frozen=True)
class YearCloses:
    """A year's two closes and how its review clock is read, as its policy (or the defaults) give them."""

    year: int
    filing: dt.datetime  # the last moment a claim of the year may be filed
    review: dt.date | None  # the last day its reviews may take; None for a year without one
    reading: str = ReviewClockReading.PER_LEVEL

    @property
    def platform_records(self) -> dt.datetime:
        """The close of the platforms' records: credited on arrival, they need no time for review, so they
        are taken until the end of the review close (the filing close when that is later, or the year has no
        review close) — online learning of the year's last days still counts."""
        if self.review is None:
            return self.filing
        return max(self.filing, end_of_day(self.review))


def end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=SHANGHAI)


def default_review_close(year: int, calendar) -> dt.date | None:
    """The year's last working day of December, from `calendar` (an audits.calendar WorkingCalendar)."""
    if year < YEAR_END_CLOSES_SINCE:
        return None
    return calendar.last_working_day(dt.date(year, 12, 31))


def default_filing_close(year: int, review_close: dt.date | None, calendar) -> dt.datetime:
    """The end (23:59:59 Beijing time) of the day FILING_LEAD_WORKING_DAYS working days before the review
    close: a claim filed then is due at its second level on the review close itself. Without a review
    close, the year's last second."""
    if review_close is None:
        return end_of_day(dt.date(year, 12, 31))
    return end_of_day(calendar.subtract_working_days(calendar.last_working_day(review_close),
                                                     FILING_LEAD_WORKING_DAYS))


def default_year_closes(year: int, calendar) -> YearCloses:
    """The closes of a year whose policy sets none."""
    review = default_review_close(year, calendar)
    return YearCloses(year, default_filing_close(year, review, calendar), review)


def year_end_notice_shown(today: dt.date, closes: YearCloses) -> bool:
    """Whether the pages show the year's two closes: from YEAR_END_NOTICE_FROM until its review close."""
    return closes.review is not None and dt.date(closes.year, *YEAR_END_NOTICE_FROM) <= today <= closes.review


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
                       filing_close: dt.datetime,
                       window: ResubmissionWindow | None = None) -> Refusal | None:
    """Why a claim for activity year `year` may not be filed at `today`, or None when it may.

    Rule 3: a claim belongs to the year of its activity; filing for year Y closes at `filing_close` (the
    year's `RequirementPolicy.filing_close`, see `default_filing_close`). Pass `now` (an
    aware datetime) so that the boundary second is exact; a bare date means 00:00 of that day. After the
    close only a make-up exemption for that year that is valid at that moment (not revoked, not expired)
    reopens it, or — for a claim first filed in time and returned for correction — its resubmission
    `window`, up to and including its last day, for the same year. A future year is never open.
    """
    moment = _moment(today)
    if year > moment.year:
        return Refusal("year_in_future", f"{year} 年尚未开始，不能申报该年度的学时。")
    if moment <= filing_close:
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
        f"{year} 年度学时申报已于 {filing_close.astimezone(SHANGHAI):%Y年%m月%d日 %H:%M:%S} 截止，"
        "学时不得结转或补报；确需补学的，须经市人社局批准补学豁免。",
    )


# Platforms push in batches, often overnight: hours completed before a year's filing close but pushed after
# it are accepted for so many days after the close (RequirementPolicy.late_push_grace_days), and shown as
# pushed late (issue 12's reading of rule 3: the year is the completion's, not the push's).
LATE_PUSH_GRACE_DAYS = 15


def platform_record_year_refusal(year: int, completed_at: dt.datetime, now: dt.datetime, exemption=None, *,
                                 filing_close: dt.datetime,
                                 grace_days: int = LATE_PUSH_GRACE_DAYS) -> Refusal | None:
    """Why a platform record completed at `completed_at` (in activity year `year`) may not be registered
    at `now`: the claim rule, except that a record completed before the close is still taken during the
    grace days after it."""
    refusal = claim_year_refusal(year, now, exemption, filing_close=filing_close)
    if refusal is None or refusal.code != "year_closed":
        return refusal
    if completed_at <= filing_close and _moment(now) <= filing_close + dt.timedelta(days=grace_days):
        return None
    return refusal


def pushed_late(received_at: dt.datetime, filing_close: dt.datetime) -> bool:
    """A platform record that arrived after its year's filing close (in the grace days)."""
    return received_at > filing_close


def claim_year_open(year: int, today: dt.date | dt.datetime, exemption=None, *,
                    filing_close: dt.datetime) -> bool:
    """May a claim for activity year `year` be filed at `today`? See `claim_year_refusal` for the reason."""
    return claim_year_refusal(year, today, exemption, filing_close=filing_close) is None


MAX_HOURS_PER_DAY = Decimal("10")


HOURS_STEP = Decimal("0.5")


MB = 1024 * 1024


MAX_EVIDENCE_FILES = 5
# A file kept from a claim form that came back with errors waits this long for the form to be saved (the
# person fixes a field and sends it again, usually within minutes), then is purged nightly.
STAGED_EVIDENCE_KEPT = dt.timedelta(days=1)


# filetype reads at most this many leading bytes.
SNIFF_BYTES = 8192


PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
MP4 = "video/mp4"


class EvidenceType(NamedTuple):
    extension: str  # what a download gets, whatever the person named the file
    label: str  # how the size limit names it
    max_bytes: int


# What evidence may be, judged by content (never by name), and how large each kind may be. The notice asks
# units to keep 培训课件等影像资料: presentations and short videos of a session, besides scans and photos.
EVIDENCE_TYPES = {
    PDF: EvidenceType(".pdf", "PDF 或图片", 10 * MB),
    JPEG: EvidenceType(".jpg", "PDF 或图片", 10 * MB),
    PNG: EvidenceType(".png", "PDF 或图片", 10 * MB),
    PPTX: EvidenceType(".pptx", "演示文稿", 20 * MB),
    MP4: EvidenceType(".mp4", "视频", 50 * MB),
}
MAX_EVIDENCE_BYTES = EVIDENCE_TYPES[PDF].max_bytes
MAX_VIDEO_BYTES = EVIDENCE_TYPES[MP4].max_bytes
# All the files of one upload together: one short video, or five scans. The request-body cap of the upload
# pages (REQUEST_BODY_LIMITS in ce_portal/settings.py) sits just above it.
MAX_UPLOAD_BYTES = 50 * MB
EVIDENCE_HELP = ("证书、考勤记录、照片、课件或视频：PDF、JPEG、PNG 单个文件不超过 10 MB，PPTX 演示文稿不超过 20 MB，"
                 "MP4 视频不超过 50 MB，一次上传合计不超过 50 MB，每项申报最多 5 份。")
# An MP4's first box is `ftyp`, naming its brand; these are the brands of MP4 video (QuickTime's "qt  " and
# audio-only "M4A " are not).
MP4_BRANDS = frozenset({b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash"})
ZIP_MAGIC = b"PK\x03\x04"
# A PPTX is a zip (Office Open XML) holding these two parts; a DOCX or an XLSX holds other ones.
PPTX_PARTS = frozenset({"[Content_Types].xml", "ppt/presentation.xml"})


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


def filing_year_problem(year: int, now: dt.datetime, exemption=None, *, filing_close: dt.datetime,
                        window: ResubmissionWindow | None = None) -> Problem | None:
    refusal = claim_year_refusal(year, now, exemption, filing_close=filing_close, window=window)
    return Problem("start_date", refusal.code, refusal.message) if refusal else None


def year_closes_problems(closes: YearCloses) -> list[Problem]:
    """A year's closes lie in the year, and filing closes on a day before its reviews close (else the last
    claims would have no time to be reviewed)."""
    problems = []
    filing_day = closes.filing.astimezone(SHANGHAI).date()
    if filing_day.year != closes.year:
        problems.append(Problem("filing_closes_at", "filing_close_outside_year",
                                f"申报截止时间须在 {closes.year} 年内，不能为 {filing_day:%Y年%m月%d日}。"))
    if closes.review is None:
        return problems
    if closes.review.year != closes.year:
        problems.append(Problem("review_closes_on", "review_close_outside_year",
                                f"审核截止日期须在 {closes.year} 年内，不能为 {closes.review:%Y年%m月%d日}。"))
    if filing_day >= closes.review:
        problems.append(Problem(
            "filing_closes_at", "filing_close_not_before_review_close",
            f"申报截止时间（{filing_day:%Y年%m月%d日}）须早于审核截止日期（{closes.review:%Y年%m月%d日}），"
            "否则最后提交的申报来不及审核。",
        ))
    return problems


def provider_problems(provider_base_id, provider_name: str) -> list[Problem]:
    """The provider is either one CE base of 附件3 or a name typed in, not both and not neither."""
    if provider_base_id and provider_name.strip():
        return [Problem("provider_name", "provider_twice", "请选择继续教育基地或填写其他主办单位，二者只填其一。")]
    if not provider_base_id and not provider_name.strip():
        return [Problem("provider_base", "provider_missing", "请选择继续教育基地，或填写其他主办单位名称。")]
    return []


PLAN_ITEM_NOT_OWN = "所选培训计划项目不属于本单位已备案的年度培训计划，请从列表中重新选择。"


@dataclass(frozen=True)
class PlanItemRef:
    """What a claim's plan item says of itself (records.plans, named by model only): whose plan, which
    year, and whether that plan is the filed one in force."""

    unit_id: int | None
    year: int
    in_force: bool


def plan_item_problems(*, unit_training: bool, year: int, unit_id: int | None,
                       item: PlanItemRef | None) -> list[Problem]:
    """Training a unit organises names an item of that unit's filed plan for the activity's year (rule 7).
    None is no refusal: screening flags unit training without a filed plan item for city_hr."""
    if item is None:
        return []
    if not unit_training:
        return [Problem("plan_item", "plan_item_wrong_kind",
                        "只有活动形式为“单位组织培训”的申报才能关联培训计划项目；请修改活动形式，或不选计划项目。")]
    if item.unit_id is None or item.unit_id != unit_id or not item.in_force:
        return [Problem("plan_item", "plan_item_not_own_unit", PLAN_ITEM_NOT_OWN)]
    if item.year != year:
        return [Problem("plan_item", "plan_item_other_year",
                        f"所选培训计划项目属于 {item.year} 年度计划，与活动所在的 {year} 年度不符。")]
    return []


def evidence_content_type(head: bytes, zip_names: frozenset[str] = frozenset()) -> str | None:
    """The evidence type the file's content shows (never its name), or None when it is none of
    EVIDENCE_TYPES: its leading bytes for PDF, JPEG and PNG, the `ftyp` box for MP4, and for a zip the parts
    it holds (`zip_names`, read by the caller) for PPTX."""
    if head[4:8] == b"ftyp":
        return MP4 if head[8:12] in MP4_BRANDS else None
    if head.startswith(ZIP_MAGIC):
        return PPTX if PPTX_PARTS <= zip_names else None
    kind = filetype.guess(head[:SNIFF_BYTES])
    return kind.mime if kind is not None and kind.mime in (PDF, JPEG, PNG) else None


def _megabytes(size: int) -> str:
    return f"{size / MB:.1f}"


def evidence_problems(name: str, head: bytes, size: int, zip_names: frozenset[str] = frozenset()) -> list[Problem]:
    if size == 0:
        return [Problem("evidence", "evidence_empty", f"文件“{name}”是空文件，请重新选择。")]
    content_type = evidence_content_type(head, zip_names)
    if content_type is None:
        return [Problem(
            "evidence", "evidence_wrong_type",
            f"文件“{name}”不是 PDF、JPEG、PNG、PPTX 演示文稿或 MP4 视频（按文件内容识别，与扩展名无关），"
            "请上传扫描件、照片、课件或视频。",
        )]
    kind = EVIDENCE_TYPES[content_type]
    if size > kind.max_bytes:
        return [Problem(
            "evidence", "evidence_too_large",
            f"文件“{name}”大小为 {_megabytes(size)} MB，超过{kind.label}的单个文件 {kind.max_bytes // MB} MB 的上限。",
        )]
    return []


def upload_size_problem(sizes: list[int]) -> Problem | None:
    """The files of one upload together stay within MAX_UPLOAD_BYTES (the page's request-body cap)."""
    if sum(sizes) > MAX_UPLOAD_BYTES:
        return Problem(
            "evidence", "upload_too_large",
            f"本次选择的文件合计 {_megabytes(sum(sizes))} MB，一次上传合计不能超过 {MAX_UPLOAD_BYTES // MB} MB，"
            "请分次上传。",
        )
    return None


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
    kind = EVIDENCE_TYPES.get(content_type)
    return stem + (kind.extension if kind else "")



# --- a unit's 学时认定标准 ------------------------------------------------------------------------------------
# Section 四 of the notice asks each unit for its own rules of counting hours. A unit states, per activity
# kind, one of these ways; a claim over what its way allows needs the reviewer's reason to pass.


class StandardMethod(models.TextChoices):
    PER_HALF_DAY = "per_half_day", "按半天计（每半天最多若干学时）"
    PER_ACTIVITY = "per_activity", "按次计（每次活动最多若干学时）"
    YEARLY_CAP = "yearly_cap", "按年度封顶（每人每年累计最多若干学时）"


class StandardRule(NamedTuple):
    kind: str
    method: str
    amount: Decimal


# A half day can hold at most half of a day's hours (hours_problems' cap).
MAX_HOURS_PER_HALF_DAY = MAX_HOURS_PER_DAY / 2


def standard_text(rule: StandardRule) -> str:
    amount = hours_text(rule.amount)
    return {
        StandardMethod.PER_HALF_DAY: f"每半天最多 {amount} 学时",
        StandardMethod.PER_ACTIVITY: f"每次活动最多 {amount} 学时",
        StandardMethod.YEARLY_CAP: f"每人每年累计最多 {amount} 学时",
    }[rule.method]


def standard_allowance(rule: StandardRule, *, start: dt.date, end: dt.date, used_in_year: Decimal) -> Decimal:
    """The hours `rule` allows for an activity from `start` to `end` (each day two half days), given the hours
    of the same kind already credited to the person in the activity's year (`used_in_year`, read by the
    caller: it only matters for a yearly cap)."""
    if rule.method == StandardMethod.PER_HALF_DAY:
        return rule.amount * 2 * ((end - start).days + 1)
    if rule.method == StandardMethod.PER_ACTIVITY:
        return rule.amount
    return max(ZERO, rule.amount - used_in_year)


class StandardFit(NamedTuple):
    """How a claim's hours stand against its unit's standard for its kind."""

    rule: StandardRule
    allowed: Decimal
    claimed: Decimal

    @property
    def fits(self) -> bool:
        return self.claimed <= self.allowed

    @property
    def text(self) -> str:
        verdict = "符合" if self.fits else f"超出 {hours_text(self.claimed - self.allowed)} 学时"
        return (f"本单位标准：{standard_text(self.rule)}；本次可认定 {hours_text(self.allowed)} 学时，"
                f"申报 {hours_text(self.claimed)} 学时，{verdict}。")


def standard_fit(rule: StandardRule, *, start: dt.date, end: dt.date, claimed: Decimal,
                 used_in_year: Decimal = ZERO) -> StandardFit:
    return StandardFit(rule, standard_allowance(rule, start=start, end=end, used_in_year=used_in_year), claimed)


def standard_rule_problems(rule: StandardRule, label: str) -> list[Problem]:
    """A rule of a unit's standard: a known way, a positive number of whole half-hours, and never more per
    half day than the notice's days allow. `label` names the activity kind in the message."""
    field = f"{rule.kind}_amount"
    if rule.method not in StandardMethod.values:
        return [Problem(f"{rule.kind}_method", "standard_method_unknown", f"{label}：请从列表中选择认定方式。")]
    if not rule.amount.is_finite() or rule.amount <= 0:
        return [Problem(field, "standard_amount_not_positive", f"{label}：学时数须大于 0。")]
    if rule.amount % HOURS_STEP:
        return [Problem(field, "standard_amount_step", f"{label}：学时数须以 0.5 学时为单位。")]
    if rule.method == StandardMethod.PER_HALF_DAY and rule.amount > MAX_HOURS_PER_HALF_DAY:
        return [Problem(
            field, "standard_over_notice",
            f"{label}：每半天最多 {hours_text(MAX_HOURS_PER_HALF_DAY)} 学时（每天最多 {hours_text(MAX_HOURS_PER_DAY)} 学时），"
            f"不能定为 {hours_text(rule.amount)} 学时。",
        )]
    return []
