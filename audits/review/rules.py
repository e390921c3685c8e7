"""How a claim is reviewed (rules 5 and 6 in docs/rules.md), as plain data and functions without I/O.

The review levels are one description, `LEVELS`: which status waits on each level, who reviews it, its
label and its deadline. The state machine, the queues, the deadlines, the reminders, mark-overdue and the
monitors all read it, so a third level is one more `ReviewLevel` here (plus the status that waits on it,
declared with the others in records.hours.rules.ClaimStatus, and whatever field names its reviewers).

The moves: the person submits; each level approves (on to the next level, or approved and credited after
the last), rejects or returns (a reason required); the person may withdraw before the first decision and
resubmit a returned claim, which starts over at the first level.
"""
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from audits.calendar.rules import Due
from ce_portal.errors import DomainError
from records.hours.rules import (
    ClaimStatus, Problem, ReviewClockReading, StandardRule, YearCloses, standard_rule_problems,
)

# 自专业技术人员申报学时之日起，用人单位、行业主管部门学时审核时限均不得超过5个工作日.
REVIEW_WORKING_DAYS = 5


@dataclass(frozen=True)
class ReviewerRoute:
    """One way a level's reviewers are found: the users whose `Scope.<scope_field>` holds the claim's
    `<claim_field>` (an id, or a path to one such as "region__parent_id")."""

    scope_field: str
    claim_field: str
    # The submitting unit's attribute that fills `claim_field` at submission ("" when the route reads a field
    # the claim has anyway, such as its unit). A level's first route the unit can fill is the one it takes.
    unit_attribute: str = ""


@dataclass(frozen=True)
class ReviewLevel:
    number: int
    label: str  # the level as the pages name it: 单位审核
    waiting_status: str  # the status of a claim that waits on this level
    routes: tuple[ReviewerRoute, ...]
    working_days: int = REVIEW_WORKING_DAYS
    # The unit's own level: its 学时认定标准 applies there, both its own 审核时限 (at most the level's working
    # days, `level_working_days`) and its way of counting hours (`approval_refusal` in services).
    unit_level: bool = False

    @property
    def waiting_label(self) -> str:
        return f"待{self.label}"


LEVELS: tuple[ReviewLevel, ...] = (
    # The unit; for a unit that has no reviewer, the HR bureau of its region stands in (issue 12's reading:
    # a claim must reach someone who can decide it), its decisions recorded as its own.
    ReviewLevel(1, "单位审核", ClaimStatus.SUBMITTED, (
        ReviewerRoute("unit_ids", "unit_id"),
        ReviewerRoute("hr_region_ids", "level1_region_id", unit_attribute="region_id_without_reviewer"),
    ), unit_level=True),
    # The unit's industry authority; a unit without one is reviewed by the HR bureau of its region (the
    # county's; the city's for a unit registered at city level).
    ReviewLevel(2, "主管部门/人社部门审核", ClaimStatus.UNIT_APPROVED, (
        ReviewerRoute("authority_ids", "level2_authority_id", unit_attribute="authority_id"),
        ReviewerRoute("hr_region_ids", "level2_region_id", unit_attribute="region_id"),
    )),
)


def level_working_days(level: ReviewLevel, unit_days: int | None) -> int:
    """The working days `level` has for a claim from a unit whose own standard sets `unit_days` (None: it
    set none). A unit may shorten its own review, never lengthen it, nor anyone else's."""
    if level.unit_level and unit_days:
        return min(level.working_days, unit_days)
    return level.working_days


def unit_standard_problems(review_working_days: int | None, rules: list[StandardRule], kind_labels: dict[str, str],
                           levels: tuple[ReviewLevel, ...] = LEVELS) -> list[Problem]:
    """Everything wrong with a unit's standard: its own time limit is 1 to its level's working days (the
    notice's 5), each rule is one of the known kinds and passes `standard_rule_problems`."""
    limit = next(level.working_days for level in levels if level.unit_level)
    problems = []
    if review_working_days is None or not 1 <= review_working_days <= limit:
        problems.append(Problem("review_working_days", "review_days_over_notice",
                                f"本单位审核时限须为 1 至 {limit} 个工作日（通知规定学时审核时限不得超过 {limit} 个工作日），"
                                f"不能定为 {review_working_days if review_working_days is not None else '空'}。"))
    for rule in rules:
        if rule.kind not in kind_labels:
            problems.append(Problem(None, "standard_kind_unknown", "认定标准中有未知的活动形式，请刷新页面后重新填写。"))
            continue
        problems += standard_rule_problems(rule, kind_labels[rule.kind])
    return problems


class Action(StrEnum):
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    RESUBMIT = "resubmit"
    APPROVE = "approve"
    REJECT = "reject"
    RETURN = "return"


# Who acts: the claimant, or a reviewer at a level (its number).
PROFESSIONAL = "professional"
Actor = str | int

REVIEW_ACTIONS = frozenset({Action.APPROVE, Action.REJECT, Action.RETURN})
REASON_REQUIRED = frozenset({Action.REJECT, Action.RETURN})

ACTION_LABELS = {
    Action.SUBMIT: "提交", Action.WITHDRAW: "撤回", Action.RESUBMIT: "重新提交",
    Action.APPROVE: "审核通过", Action.REJECT: "审核不通过", Action.RETURN: "退回修改",
}


@cache
def transitions(levels: tuple[ReviewLevel, ...] = LEVELS) -> dict[tuple[str, Action], tuple[str, Actor]]:
    """(status, action) → (new status, who may do it), derived from the levels."""
    first = levels[0].waiting_status
    table: dict[tuple[str, Action], tuple[str, Actor]] = {
        (ClaimStatus.DRAFT, Action.SUBMIT): (first, PROFESSIONAL),
        (first, Action.WITHDRAW): (ClaimStatus.WITHDRAWN, PROFESSIONAL),
        (ClaimStatus.RETURNED, Action.RESUBMIT): (first, PROFESSIONAL),
    }
    for level, following in zip(levels, [*levels[1:], None]):
        passed = following.waiting_status if following else ClaimStatus.APPROVED
        table[level.waiting_status, Action.APPROVE] = (passed, level.number)
        table[level.waiting_status, Action.REJECT] = (ClaimStatus.REJECTED, level.number)
        table[level.waiting_status, Action.RETURN] = (ClaimStatus.RETURNED, level.number)
    return table


def waiting_level(status: str, levels: tuple[ReviewLevel, ...] = LEVELS) -> ReviewLevel | None:
    """The level a claim in `status` waits on, or None when it waits on nobody."""
    return next((level for level in levels if level.waiting_status == status), None)


def level_numbered(number: int, levels: tuple[ReviewLevel, ...] = LEVELS) -> ReviewLevel:
    return next(level for level in levels if level.number == number)


def status_label(status: str, levels: tuple[ReviewLevel, ...] = LEVELS) -> str:
    if status in ClaimStatus.values:
        return ClaimStatus(status).label
    level = waiting_level(status, levels)
    return level.waiting_label if level is not None else status


def transition(status: str, action: str, actor: Actor, *, reason: str = "",
               levels: tuple[ReviewLevel, ...] = LEVELS) -> str:
    """The status after `actor` does `action` on a claim in `status`, or a DomainError saying why not."""
    action = Action(action)
    move = transitions(levels).get((status, action))
    if move is None:
        if action in REVIEW_ACTIONS and waiting_level(status, levels) is None:
            raise DomainError(f"该申报已处理（当前状态：{status_label(status, levels)}），无需再审。",
                              code="already_decided")
        raise DomainError(f"当前状态为「{status_label(status, levels)}」的申报不能{ACTION_LABELS[action]}。",
                          code="invalid_transition")
    new_status, allowed_actor = move
    if actor != allowed_actor:
        if action in REVIEW_ACTIONS and actor != PROFESSIONAL:
            # A reviewer of another level: the claim has moved on (or not yet arrived) — say so plainly.
            raise DomainError(f"该申报当前为「{status_label(status, levels)}」，不在您的审核环节。",
                              code="already_decided")
        raise DomainError(f"您不能对该申报执行「{ACTION_LABELS[action]}」。", code="not_allowed")
    if action in REASON_REQUIRED and not reason.strip():
        raise DomainError(f"{ACTION_LABELS[action]}必须填写理由。", code="reason_required", field="reason")
    return new_status


def allowed_actions(status: str, actor: Actor, levels: tuple[ReviewLevel, ...] = LEVELS) -> list[Action]:
    """What `actor` may do now (for showing buttons)."""
    return [action for (st, action), (_, who) in transitions(levels).items() if st == status and who == actor]


def routing(level: ReviewLevel, unit: dict) -> dict[str, int | None]:
    """The claim fields that name `level`'s reviewers for a claim from `unit` (its attributes by name): the
    first route the unit can fill gets the unit's value, every later route of the level is emptied."""
    fields: dict[str, int | None] = {}
    taken = False
    for route in level.routes:
        if not route.unit_attribute:
            continue
        value = None if taken else unit.get(route.unit_attribute)
        fields[route.claim_field] = value
        taken = taken or value is not None
    return fields


# --- deadlines ----------------------------------------------------------------------------------------------

def level_due(calendar, level: ReviewLevel, *, filed_on: dt.date, started_on: dt.date, closes: YearCloses,
              working_days: int | None = None) -> Due:
    """The deadline of `level` for a claim filed on `filed_on` that reached the level on `started_on`.

    The level's working days (fewer when the unit's own standard says so: `level_working_days`) count from the day it started ("per level", rule 5), or from the filing day
    when the year reads the notice's 5 working days as running from the filing for both levels ("from
    filing"). Either way a level that starts on or before the year's review close is due by that close at
    the latest (四（一）2: reviews finished within the year); one that starts after it (a claim resubmitted
    in its window, or filed under a make-up exemption) has its full days, as no close can still be met.
    """
    start = filed_on if closes.reading == ReviewClockReading.FROM_FILING else started_on
    due = calendar.review_due(start, working_days or level.working_days)
    if closes.review is not None and started_on <= closes.review < due.on:
        return Due(closes.review, provisional=False)
    return due


# A claim still waiting when its year's review close is at most so many working days away is at risk of
# missing it, whatever its own deadline says.
YEAR_END_RISK_WORKING_DAYS = 2


def latest_safe_due(calendar, level: ReviewLevel, *, today: dt.date, closes: YearCloses,
                    levels: tuple[ReviewLevel, ...] = LEVELS) -> dt.date | None:
    """The latest deadline at `level` that still lets a claim of the year finish before its review close if
    nobody acts before deadlines: the levels after it need their own working days, counted from this
    level's deadline, by the close. None when no claim waiting on the level is safe: the close has passed or
    is at most YEAR_END_RISK_WORKING_DAYS working days from `today`. A year without a review close has no
    such limit (date.max).

    A claim waiting on `level` will miss the review close if nobody acts (the monitors' 年底前可能无法完成审核)
    exactly when this is None or its deadline is later (`misses_review_close`).
    """
    if closes.review is None:
        return dt.date.max
    if calendar.add_working_days(today, YEAR_END_RISK_WORKING_DAYS) >= closes.review:
        return None
    following = sum(later.working_days for later in levels if later.number > level.number)
    return calendar.subtract_working_days(calendar.last_working_day(closes.review), following)


def misses_review_close(calendar, level: ReviewLevel, *, due_on: dt.date, today: dt.date, closes: YearCloses,
                        levels: tuple[ReviewLevel, ...] = LEVELS) -> bool:
    safe = latest_safe_due(calendar, level, today=today, closes=closes, levels=levels)
    return safe is None or due_on > safe
