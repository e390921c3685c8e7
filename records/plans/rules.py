"""Annual training plans (rule 7 in docs/rules.md, 四（一）1: 年度培训计划备案), as plain values and functions.

Who a plan goes to is the notice's routing: a unit with an industry authority submits to the authority,
which approves it and so files it with the HR bureau of the authority's level (its region's); a unit
without an authority files with the HR bureau of its own region; an authority files its own plan with the
HR bureau of its region. Whoever receives a plan files it (备案) or returns it with a reason, within the
working days below. A filed plan is never edited: a change is a new version, filed again, which
supersedes the old one.
"""
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import TextChoices

from ce_portal.errors import DomainError
from records.hours.rules import Problem, hours_problems

# The notice gives the plan's review no time limit of its own: the portal holds it to the claims' 5 working
# days (audits/review/rules.py REVIEW_WORKING_DAYS), on the same calendar and the same overdue marking.
PLAN_REVIEW_WORKING_DAYS = 5


class PlanState(TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待审核备案"
    RETURNED = "returned", "已退回修改"
    FILED = "filed", "已备案"
    SUPERSEDED = "superseded", "已被新版本替代"


# A version still in the making: at most one per filer and year (the overlapping versions the notice's
# single plan a year rules out). The filer edits it only in these states.
OPEN_STATES = (PlanState.DRAFT, PlanState.SUBMITTED, PlanState.RETURNED)
EDITABLE_STATES = (PlanState.DRAFT, PlanState.RETURNED)


class PlanAction(TextChoices):
    SUBMIT = "submit", "提交"
    FILE = "file", "审核通过并备案"
    RETURN = "return", "退回修改"


class Party(TextChoices):
    FILER = "filer", "编制单位"
    REVIEWER = "reviewer", "审核备案部门"


# (state, action) → (who may take it, the state it leads to): the whole state machine. Superseding is not a
# move anyone makes: filing a new version does it to the one in force.
TRANSITIONS: dict[tuple[str, str], tuple[str, str]] = {
    (PlanState.DRAFT, PlanAction.SUBMIT): (Party.FILER, PlanState.SUBMITTED),
    (PlanState.RETURNED, PlanAction.SUBMIT): (Party.FILER, PlanState.SUBMITTED),
    (PlanState.SUBMITTED, PlanAction.FILE): (Party.REVIEWER, PlanState.FILED),
    (PlanState.SUBMITTED, PlanAction.RETURN): (Party.REVIEWER, PlanState.RETURNED),
}


def plan_transition(state: str, action: str, party: str) -> str:
    """The state `action` by `party` leads to from `state`, or a refusal saying why not."""
    move = TRANSITIONS.get((state, action))
    if move is None:
        raise DomainError(f"培训计划当前状态为“{PlanState(state).label}”，不能{PlanAction(action).label}。",
                          code="plan_wrong_state")
    if move[0] != party:
        raise DomainError(f"只有{Party(move[0]).label}可以{PlanAction(action).label}该培训计划。",
                          code="plan_wrong_party")
    return move[1]


@dataclass(frozen=True)
class Routing:
    """Who receives a plan: the authority that approves it (None: the bureau itself receives it), and the
    HR bureau (a region) it is filed with."""

    authority_id: int | None
    bureau_region_id: int


def unit_plan_routing(*, region_id: int, authority_id: int | None, authority_region_id: int | None) -> Routing:
    """A unit's plan: through its authority to the bureau of the authority's level, else to its own region's."""
    if authority_id is not None:
        return Routing(authority_id, authority_region_id)
    return Routing(None, region_id)


def authority_plan_routing(*, authority_region_id: int) -> Routing:
    """An authority's own plan: to the HR bureau of its region."""
    return Routing(None, authority_region_id)


def plan_year_problem(year: int, now: dt.datetime, filing_close: dt.datetime) -> Problem | None:
    """A plan is for a year still open to filing: a closed year's training has happened, planned or not."""
    if now >= filing_close:
        return Problem("year", "plan_year_closed",
                       f"{year} 年度已于 {filing_close:%Y年%m月%d日} 截止申报，不能再为该年度编制或提交培训计划。")
    return None


def item_problems(year: int, start: dt.date | None, end: dt.date | None, hours: Decimal | None,
                  title: str = "") -> list[Problem]:
    """One item's dates within the plan's year and in order, and its hours above zero."""
    name = f"“{title}”" if title else "培训项目"
    problems = []
    if hours is not None and hours <= 0:
        problems.append(Problem("hours", "plan_item_hours_not_positive", f"{name}的计划学时须大于 0。"))
    if start and end:
        if end < start:
            problems.append(Problem("end_date", "plan_item_dates_reversed", f"{name}的结束日期不能早于开始日期。"))
        if start.year != year or end.year != year:
            problems.append(Problem("start_date", "plan_item_outside_year",
                                    f"{name}的计划日期须在 {year} 年内（{year}年01月01日至{year}年12月31日）。"))
    return problems


# --- sessions and check-in (rule 7: attendance → claims) -------------------------------------------------

def session_problems(*, date: dt.date, starts_at: dt.time, ends_at: dt.time, hours: Decimal,
                     item_start: dt.date, item_end: dt.date, item_hours: Decimal) -> list[Problem]:
    """A session of a plan item: within the item's planned dates, a window that ends after it starts, and no
    more hours than the item plans nor than one day may credit (each attendee's claim is one day's)."""
    problems = []
    if not item_start <= date <= item_end:
        problems.append(Problem("date", "session_date_outside_item",
                                f"培训日期应在计划项目的起止日期（{item_start:%Y-%m-%d} 至 {item_end:%Y-%m-%d}）之内。"))
    if ends_at <= starts_at:
        problems.append(Problem("ends_at", "session_window_order", "签到结束时间应晚于开始时间。"))
    day_problems = hours_problems(hours, date, date)  # the claims' own checks: above zero, a day's cap
    problems += day_problems
    if not day_problems and hours > item_hours:
        problems.append(Problem("hours", "session_hours_over_item", f"本场学时不能超过计划项目的 {item_hours} 学时。"))
    return problems


@dataclass(frozen=True)
class CheckInWindow:
    opens: dt.datetime
    closes: dt.datetime

    def refusal(self, now: dt.datetime) -> DomainError | None:
        if now < self.opens:
            return DomainError(f"签到尚未开始：本场签到时间为 {self.opens:%Y-%m-%d %H:%M} 至 {self.closes:%H:%M}。",
                               code="checkin_not_open")
        if now > self.closes:
            return DomainError(f"签到已结束（{self.closes:%Y-%m-%d %H:%M} 截止），未能记录签到。如确实到场，请联系单位补登。",
                               code="checkin_closed")
        return None


def check_in_token_refusal(payload: dict | None, *, session_id: int, closes: dt.datetime) -> DomainError | None:
    """What a decoded check-in token says: None (forged or damaged), another session's (replayed here), or a
    window that is not this session's current one (the unit moved it after the code was shown)."""
    if payload is None:
        return DomainError("签到二维码无效（签名校验失败），请重新扫描现场显示的二维码。", code="checkin_forged")
    if payload.get("s") != session_id:
        return DomainError("该签到码属于其他培训场次，不能用于本场签到。", code="checkin_replayed")
    if payload.get("e") != closes.isoformat():
        return DomainError("该签到码已失效，请重新扫描现场显示的二维码。", code="checkin_stale")
    return None
