"""Writes on training plans (rule 7 in docs/rules.md): a filer drafts its year's plan and its items,
submits it down the notice's chain, its receiver files it or returns it, and a filed plan changes only as a
new version. One function per action, keyword-only and atomic; each refusal is a DomainError raised before
anything is written; each move is a `PlanStep` and an audit event with its actor and time.
"""
import datetime as dt
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from audits.calendar.selectors import review_due
from audits.trail.services import record_event
from ce_portal.errors import DomainError, NotFound
from records.hours.models import RequirementPolicy
from records.hours.rules import Problem, default_filing_close
from records.people.access import scope_for
from records.people.models import IndustryAuthority, Unit
from records.plans.models import PlanItem, PlanStep, TrainingPlan
from records.plans.rules import (
    OPEN_STATES, PLAN_REVIEW_WORKING_DAYS, Party, PlanAction, PlanState, authority_plan_routing, item_problems,
    plan_transition, plan_year_problem, unit_plan_routing,
)


@dataclass(frozen=True)
class PlanItemInput:
    title: str
    category: str
    subject_area: str
    start_date: dt.date
    end_date: dt.date
    hours: Decimal
    place: str
    provider: str
    expected_participants: int

    @classmethod
    def from_item(cls, item: PlanItem) -> "PlanItemInput":
        return cls(**{name: getattr(item, name) for name in cls.__dataclass_fields__})


def _refuse(problems: list[Problem]) -> None:
    if problems:
        raise DomainError(problems[0].message, code=problems[0].code, field=problems[0].field)


def plan_filing_close(year: int) -> dt.datetime:
    try:
        return RequirementPolicy.objects.for_year(year).filing_close
    except RequirementPolicy.DoesNotExist:  # a year before any policy: the notice's close
        return default_filing_close(year)


def plan_year_problems(year: int, now: dt.datetime) -> list[Problem]:
    """The year is still open to filing, and not beyond next year (a plan is made for the coming year at most)."""
    if year > timezone.localdate(now).year + 1:
        return [Problem("year", "plan_year_too_far", f"只能编制本年度或下一年度的培训计划，不能编制 {year} 年度的。")]
    problem = plan_year_problem(year, now, plan_filing_close(year))
    return [problem] if problem else []


def plan_party(actor, plan: TrainingPlan) -> str | None:
    """The side `actor` stands on for `plan`: its filer, its receiver, or neither."""
    scope = scope_for(actor)
    if plan.unit_id in scope.unit_ids or plan.filer_authority_id in scope.authority_ids:
        return Party.FILER
    if plan.review_authority_id is not None:
        return Party.REVIEWER if plan.review_authority_id in scope.authority_ids else None
    return Party.REVIEWER if plan.bureau_id is not None and plan.bureau_id in scope.hr_region_ids else None


def _plan_for_update(actor, plan_id: int) -> tuple[TrainingPlan, str]:
    plan = (TrainingPlan.objects.select_for_update(of=("self",))
            .select_related("unit__authority", "filer_authority", "review_authority", "bureau")
            .filter(pk=plan_id).first())
    party = plan and plan_party(actor, plan)
    if party is None:
        raise NotFound("未找到该培训计划。")
    return plan, party


def _snapshot(plan: TrainingPlan) -> dict:
    return {"state": plan.state, "year": plan.year, "version": plan.version, "due_on": plan.due_on,
            "review_authority": plan.review_authority_id, "bureau": plan.bureau_id}


def _step(plan: TrainingPlan, *, actor, action: str, party: str, now: dt.datetime, reason: str = "",
          before: dict | None = None) -> None:
    acting_as = plan.filer if party == Party.FILER else (plan.review_authority or f"{plan.bureau.name}人社局")
    PlanStep.objects.create(plan=plan, action=action, state=plan.state, actor=actor, acting_as=str(acting_as)[:128],
                            at=now, reason=reason)
    record_event(actor=actor, action=f"plan.{action}", target=plan, before=before,
                 after={**_snapshot(plan), "reason": reason} if reason else _snapshot(plan), at=now)


def _open_version_problem(*, unit_id: int | None, authority_id: int | None, year: int) -> DomainError | None:
    versions = TrainingPlan.objects.filter(unit_id=unit_id, filer_authority_id=authority_id, year=year)
    open_version = versions.filter(state__in=OPEN_STATES).first()
    if open_version is not None:
        return DomainError(
            f"{year} 年度已有一份未备案的培训计划（第 {open_version.version} 版，{open_version.get_state_display()}），"
            "同一年度只能有一份正在编制或审核的计划，请继续办理该计划。", code="plan_open_version_exists",
            field="year")
    return None


@transaction.atomic
def plan_create(*, actor, year: int, now: dt.datetime, unit: Unit | None = None,
                authority: IndustryAuthority | None = None) -> TrainingPlan:
    """A new draft for a year nobody in the filer's name has planned: a change to a filed plan is `plan_revise`."""
    scope = scope_for(actor)
    if (unit is None) == (authority is None):
        raise DomainError("请选择编制计划的单位或主管部门。", code="plan_filer_missing", field="filer")
    if (unit and unit.pk not in scope.unit_ids) or (authority and authority.pk not in scope.authority_ids):
        raise NotFound("未找到该单位。")
    _refuse(plan_year_problems(year, now))
    unit_id, authority_id = unit and unit.pk, authority and authority.pk
    refusal = _open_version_problem(unit_id=unit_id, authority_id=authority_id, year=year)
    if refusal:
        raise refusal
    if TrainingPlan.objects.filter(unit_id=unit_id, filer_authority_id=authority_id, year=year,
                                   state=PlanState.FILED).exists():
        raise DomainError(f"{year} 年度的培训计划已经备案。如需调整，请在已备案的计划上“修订”，生成新版本后重新备案。",
                          code="plan_already_filed", field="year")
    try:
        with transaction.atomic():
            plan = TrainingPlan.objects.create(unit=unit, filer_authority=authority, year=year, created_by=actor)
    except IntegrityError:  # another draft for the year committed between the check and the insert
        raise (_open_version_problem(unit_id=unit_id, authority_id=authority_id, year=year)
               or DomainError("该年度的培训计划刚刚由他人创建，请刷新后继续办理。", code="plan_open_version_exists")) from None
    record_event(actor=actor, action="plan.create", target=plan, after=_snapshot(plan), at=now)
    return plan


@transaction.atomic
def plan_items_save(*, actor, plan_id: int, items: list[PlanItemInput], now: dt.datetime) -> TrainingPlan:
    """Replace the items of a draft or returned plan with `items`, every one checked first."""
    plan, party = _plan_for_update(actor, plan_id)
    if party != Party.FILER:
        raise NotFound("未找到该培训计划。")
    if not plan.editable:
        raise DomainError(f"该培训计划{plan.get_state_display()}，不能修改；已备案的计划请“修订”生成新版本。",
                          code="plan_not_editable")
    _refuse([p for item in items for p in item_problems(plan.year, item.start_date, item.end_date, item.hours,
                                                        item.title)])
    before = [asdict(PlanItemInput.from_item(item)) for item in plan.items.all()]
    plan.items.all().delete()
    PlanItem.objects.bulk_create([PlanItem(plan=plan, **asdict(item)) for item in items])
    plan.save(update_fields=["updated_at"])
    record_event(actor=actor, action="plan.items_save", target=plan, before={"items": before},
                 after={"items": [asdict(item) for item in items]}, at=now)
    return plan


@transaction.atomic
def plan_submit(*, actor, plan_id: int, now: dt.datetime) -> TrainingPlan:
    """Send the plan to whoever receives it (rules: routing), fixed now, on the 5-working-day clock."""
    plan, party = _plan_for_update(actor, plan_id)
    new_state = plan_transition(plan.state, PlanAction.SUBMIT, party)
    _refuse(plan_year_problems(plan.year, now))
    items = list(plan.items.all())
    if not items:
        raise DomainError("培训计划至少要有一个培训项目才能提交。", code="plan_no_items")
    _refuse([p for item in items for p in item_problems(plan.year, item.start_date, item.end_date, item.hours,
                                                        item.title)])
    before = _snapshot(plan)
    if plan.unit is not None:
        unit = plan.unit
        routing = unit_plan_routing(region_id=unit.region_id, authority_id=unit.authority_id,
                                    authority_region_id=unit.authority and unit.authority.region_id)
    else:
        routing = authority_plan_routing(authority_region_id=plan.filer_authority.region_id)
    today = timezone.localdate(now)
    due = review_due(today, PLAN_REVIEW_WORKING_DAYS)
    plan.review_authority_id, plan.bureau_id = routing.authority_id, routing.bureau_region_id
    plan.state, plan.submitted_at, plan.return_reason = new_state, now, ""
    plan.review_started_on, plan.due_on, plan.due_provisional, plan.overdue_since = today, due.on, due.provisional, None
    plan.save()
    _step(plan, actor=actor, action=PlanAction.SUBMIT, party=party, now=now, before=before)
    return plan


@transaction.atomic
def plan_decide(*, actor, plan_id: int, action: str, now: dt.datetime, reason: str = "") -> TrainingPlan:
    """File the plan (an authority's approval files it with the bureau of its level) or return it with a
    reason. Filing a new version supersedes the one in force, which is kept."""
    plan, party = _plan_for_update(actor, plan_id)
    if action not in (PlanAction.FILE, PlanAction.RETURN):
        raise DomainError("请选择审核通过并备案，或退回修改。", code="plan_action_invalid", field="action")
    new_state = plan_transition(plan.state, action, party)
    reason = reason.strip()
    if action == PlanAction.RETURN and not reason:
        raise DomainError("退回培训计划须填写退回原因。", code="plan_reason_required", field="reason")
    before = _snapshot(plan)
    if new_state == PlanState.FILED:
        # Before the new version takes its place: at most one plan in force per filer and year.
        TrainingPlan.objects.filter(unit_id=plan.unit_id, filer_authority_id=plan.filer_authority_id,
                                    year=plan.year, state=PlanState.FILED).update(
            state=PlanState.SUPERSEDED, superseded_at=now, updated_at=now)
        plan.filed_at = now
    else:
        plan.return_reason = reason
    plan.state = new_state
    plan.save()
    _step(plan, actor=actor, action=action, party=party, now=now, reason=reason, before=before)
    return plan


@transaction.atomic
def plan_revise(*, actor, plan_id: int, now: dt.datetime) -> TrainingPlan:
    """A new draft version of the filed plan, items copied; the filed one stays in force until it is filed."""
    plan, party = _plan_for_update(actor, plan_id)
    if party != Party.FILER:
        raise NotFound("未找到该培训计划。")
    if plan.state != PlanState.FILED:
        raise DomainError("只有已备案且现行有效的培训计划可以修订。", code="plan_not_in_force")
    _refuse(plan_year_problems(plan.year, now))
    refusal = _open_version_problem(unit_id=plan.unit_id, authority_id=plan.filer_authority_id, year=plan.year)
    if refusal:
        raise refusal
    draft = TrainingPlan.objects.create(unit=plan.unit, filer_authority=plan.filer_authority, year=plan.year,
                                        version=plan.version + 1, previous=plan, created_by=actor)
    PlanItem.objects.bulk_create([PlanItem(plan=draft, **asdict(PlanItemInput.from_item(item)))
                                  for item in plan.items.all()])
    record_event(actor=actor, action="plan.revise", target=draft, after={**_snapshot(draft), "previous": plan.pk},
                 at=now)
    return draft


def plan_mark_overdue(*, today: dt.date, now: dt.datetime) -> int:
    """Flag every submitted plan past its due date and not flagged yet, as mark_overdue does for claims."""
    marked = TrainingPlan.objects.filter(state=PlanState.SUBMITTED, due_on__lt=today,
                                         overdue_since__isnull=True).update(overdue_since=now)
    if marked:
        record_event(actor=None, action="plan.mark_overdue", target=("task", "plan_mark_overdue"), at=now,
                     after={"today": today, "plans": marked})
    return marked


@transaction.atomic
def plan_due_dates_recompute(*, calendar, today: dt.date) -> int:
    """Re-date the submitted plans with `calendar` (an edit of the working days, or a year's arrangement
    published), as due_dates_recompute does for claims; a deadline no longer past clears the overdue flag."""
    moved = []
    for plan in (TrainingPlan.objects.select_for_update().filter(state=PlanState.SUBMITTED)
                 .only("review_started_on", "due_on", "due_provisional", "overdue_since").order_by("pk")):
        due = calendar.review_due(plan.review_started_on, PLAN_REVIEW_WORKING_DAYS)
        if (plan.due_on, plan.due_provisional) != (due.on, due.provisional):
            moved.append([plan.pk, plan.due_on, due.on])
            plan.due_on, plan.due_provisional = due.on, due.provisional
            if due.on >= today:
                plan.overdue_since = None
            plan.save(update_fields=["due_on", "due_provisional", "overdue_since"])
    if moved:
        record_event(actor=None, action="plan.redate", target=("calendar", "plan_due_dates"),
                     after={"moved": len(moved), "plans": moved})
    return len(moved)
