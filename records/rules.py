"""The notice's rules on hours and filing years (DESIGN.md §2, rules 1–3), as plain functions without I/O.

Views, the API, tasks and reports call these; no rule is re-implemented anywhere else.
"""
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
ZERO = Decimal("0")


class Requirement(Protocol):
    total: Decimal
    public: Decimal
    professional: Decimal


@dataclass(frozen=True)
class Assessment:
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


def claim_year_refusal(year: int, today: dt.date | dt.datetime, exemption=None, *,
                       filing_close: dt.datetime | None = None) -> Refusal | None:
    """Why a claim for activity year `year` may not be filed at `today`, or None when it may.

    Rule 3: a claim belongs to the year of its activity; filing for year Y closes at `filing_close` (the
    year's `RequirementPolicy.filing_close`; default 31 Dec of Y, 23:59:59 Asia/Shanghai). Pass `now` (an
    aware datetime) so that the boundary second is exact; a bare date means 00:00 of that day. After the
    close only a make-up exemption for that year that is valid at that moment (not revoked, not expired)
    reopens it. A future year is never open, exemption or not.
    """
    moment = _moment(today)
    if year > moment.year:
        return Refusal("year_in_future", f"{year} 年尚未开始，不能申报该年度的学时。")
    close = filing_close or default_filing_close(year)
    if moment <= close:
        return None
    if exemption is not None and exemption.year == year and exemption.is_valid_at(moment):
        return None
    return Refusal(
        "year_closed",
        f"{year} 年度学时申报已于 {close.astimezone(SHANGHAI):%Y年%m月%d日 %H:%M:%S} 截止，"
        "学时不得结转或补报；确需补学的，须经市人社局批准补学豁免。",
    )


def claim_year_open(year: int, today: dt.date | dt.datetime, exemption=None, *,
                    filing_close: dt.datetime | None = None) -> bool:
    """May a claim for activity year `year` be filed at `today`? See `claim_year_refusal` for the reason."""
    return claim_year_refusal(year, today, exemption, filing_close=filing_close) is None
