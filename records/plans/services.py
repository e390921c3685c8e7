"""Writes on training plans (rule 7 in docs/rules.md): a filer drafts its year's plan and its items,
submits it down the notice's chain, its receiver files it or returns it, and a filed plan changes only as a
new version. One function per action, keyword-only and atomic; each refusal is a DomainError raised before
anything is written; each move is a `PlanStep` and an audit event with its actor and time.
"""
import datetime as dt
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.core import signing
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from audits.calendar.selectors import review_due
from audits.trail.services import record_event
from ce_portal.clock import SHANGHAI
from ce_portal.errors import DomainError, NotFound
from records.hours.models import ActivityKind, Claim, EvidenceFile, RequirementPolicy
from records.hours.rules import (
    EDITABLE_STATUSES, Problem, default_filing_close, evidence_content_type, evidence_count_problem, evidence_problems,
)
from records.hours.services import (
    ClaimInput, claim_input_problems, claim_prefilled, own_claim_for_update, upload_sha256, upload_sniff,
)
from records.people.access import scope_for
from records.people.models import IndustryAuthority, Professional, Unit
from records.people.rules import RawRow, id_number_well_formed, normalize_id_number, same_name
from records.people.selectors import employment_on, professional_by_id_number
from records.people.services import ImportReport, RowOutcome
from records.plans.models import (
    CheckInMethod, PlanItem, PlanStep, SessionAttendance, SessionEvidence, TrainingPlan, TrainingSession,
)
from records.plans.rules import (
    OPEN_STATES, PLAN_REVIEW_WORKING_DAYS, CheckInWindow, Party, PlanAction, PlanState, authority_plan_routing,
    check_in_token_refusal, item_problems, plan_transition, plan_year_problem, session_problems, unit_plan_routing,
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


# --- sessions, check-in and the pre-filled claims (rule 7: attendance → claims) ------------------------------

CHECK_IN_SALT = "records.plans.check_in"


@dataclass(frozen=True)
class SessionInput:
    item_id: int
    date: dt.date
    starts_at: dt.time
    ends_at: dt.time
    place: str
    hours: Decimal


def session_window(session: TrainingSession) -> CheckInWindow:
    return CheckInWindow(opens=dt.datetime.combine(session.date, session.starts_at, tzinfo=SHANGHAI),
                         closes=dt.datetime.combine(session.date, session.ends_at, tzinfo=SHANGHAI))


def check_in_token(session: TrainingSession) -> str:
    """What the session's QR code carries: the session and the end of its window, signed with the site's key."""
    return signing.dumps({"s": session.pk, "e": session_window(session).closes.isoformat()}, salt=CHECK_IN_SALT)


def _token_payload(token: str) -> dict | None:
    try:
        payload = signing.loads(token, salt=CHECK_IN_SALT)
    except signing.BadSignature:
        return None
    return payload if isinstance(payload, dict) else None


def _unit_session(actor, session_id: int, *, for_update: bool = False) -> TrainingSession:
    """A session of a unit the actor reviews (the unit that runs it); any other is NotFound."""
    sessions = TrainingSession.objects.filter(pk=session_id, item__plan__unit_id__in=scope_for(actor).unit_ids)
    if for_update:
        sessions = sessions.select_for_update(of=("self",))
    session = sessions.select_related("item__plan__unit").first()
    if session is None:
        raise NotFound("未找到该培训场次。")
    return session


@transaction.atomic
def session_create(*, actor, data: SessionInput, now: dt.datetime) -> TrainingSession:
    """A session of a filed item of the actor's unit's plan."""
    item = (PlanItem.objects.select_related("plan")
            .filter(pk=data.item_id, plan__unit_id__in=scope_for(actor).unit_ids).first())
    if item is None:
        raise NotFound("未找到该培训计划项目。")
    if not item.plan.in_force:
        raise DomainError("只能为已备案的培训计划项目安排培训场次。", code="session_plan_not_filed", field="item")
    _refuse(session_problems(date=data.date, starts_at=data.starts_at, ends_at=data.ends_at, hours=data.hours,
                             item_start=item.start_date, item_end=item.end_date, item_hours=item.hours))
    session = TrainingSession.objects.create(item=item, date=data.date, starts_at=data.starts_at,
                                             ends_at=data.ends_at, place=data.place, hours=data.hours,
                                             created_by=actor, created_at=now)
    record_event(actor=actor, action="session.create", target=session, after={"item": item.pk}, at=now)
    return session


def _claim_input(session: TrainingSession) -> ClaimInput:
    """What the unit sets on every attendee's claim: the item's title, category and provider, the session's day
    and hours. The person adds a note (the claim's content) and nothing else."""
    item = session.item
    return ClaimInput(
        kind=ActivityKind.UNIT_TRAINING, category=item.category, title=item.title, content="", provider_base=None,
        provider_name=item.provider, start_date=session.date, end_date=session.date, hours=session.hours,
        result="", external_certificate_no="", plan_item=item,
    )


def _claim_file(claim: Claim, session_file: SessionEvidence) -> EvidenceFile:
    # The session's stored file and hash, not a copy: screening and the must-view rule know it by session_file.
    return EvidenceFile(
        claim=claim, file=session_file.file.name, original_name=session_file.original_name,
        content_type=session_file.content_type, size=session_file.size, sha256=session_file.sha256,
        uploaded_by=session_file.uploaded_by, uploaded_at=session_file.uploaded_at, session_file=session_file,
    )


def _attend(*, session: TrainingSession, professional: Professional, method: str, actor,
            now: dt.datetime) -> SessionAttendance:
    """Record the person present (once: a second time returns the first record) with their pre-filled draft."""
    existing = SessionAttendance.objects.filter(session=session, professional=professional).first()
    if existing is not None:
        return existing
    unit = session.item.plan.unit
    employment = employment_on(professional, session.date)
    if employment is None or employment.unit_id != unit.pk:
        raise DomainError(f"{professional.name}在培训当天（{session.date:%Y-%m-%d}）不是{unit.name}的在职人员，不能登记签到。",
                          code="checkin_not_employed")
    data = _claim_input(session)
    _refuse(claim_input_problems(professional=professional, data=data, now=now))
    claim = Claim(professional=professional, year=data.start_date.year,
                  **{name: getattr(data, name) for name in ClaimInput.__dataclass_fields__})
    claim.save()
    EvidenceFile.objects.bulk_create([_claim_file(claim, f) for f in session.evidence.all()])
    attendance = SessionAttendance.objects.create(session=session, professional=professional, method=method,
                                                  recorded_by=actor, recorded_at=now, claim=claim)
    record_event(actor=actor, action="session.attend", target=attendance,
                 after={"session": session.pk, "method": method, "claim": claim.pk}, at=now)
    return attendance


@transaction.atomic
def session_check_in(*, actor, session_id: int, token: str, now: dt.datetime) -> SessionAttendance:
    """A professional's own check-in through the session's QR code. Refused, with nothing written: a token
    forged or of another session, outside the window, or someone not employed by the unit on the day."""
    # The session row serialises its check-ins: one attendance per person even for two scans at once.
    session = (TrainingSession.objects.select_for_update(of=("self",)).select_related("item__plan__unit")
               .filter(pk=session_id).first())
    if session is None:
        raise NotFound("未找到该培训场次。")
    refusal = _check_in_refusal(session, token, now)
    if refusal is not None:
        raise refusal
    professional = Professional.objects.filter(pk__in=scope_for(actor).professional_ids).first()
    if professional is None:
        raise DomainError("只有专业技术人员本人可以扫码签到。", code="checkin_not_professional")
    return _attend(session=session, professional=professional, method=CheckInMethod.QR, actor=actor, now=now)


def _check_in_refusal(session: TrainingSession, token: str, now: dt.datetime) -> DomainError | None:
    window = session_window(session)
    return (check_in_token_refusal(_token_payload(token), session_id=session.pk, closes=window.closes)
            or window.refusal(now))


def check_in_refusal(*, session_id: int, token: str, now: dt.datetime) -> DomainError | None:
    """What the check-in page says before the person confirms: the code's or the window's refusal, if any."""
    session = TrainingSession.objects.filter(pk=session_id).first()
    if session is None:
        raise NotFound("未找到该培训场次。")
    return _check_in_refusal(session, token, now)


@transaction.atomic
def session_attendees_tick(*, actor, session_id: int, professional_ids: list[int], now: dt.datetime) -> list[str]:
    """The unit ticks attendees from its staff list. Returns the refusals, one per person refused; the others
    are recorded (each alone: one refused person stops no one else)."""
    session = _unit_session(actor, session_id, for_update=True)
    refusals = []
    for professional in Professional.objects.filter(pk__in=professional_ids).order_by("pk"):
        try:
            with transaction.atomic():
                _attend(session=session, professional=professional, method=CheckInMethod.TICKED, actor=actor, now=now)
        except DomainError as refusal:
            refusals.append(refusal.message)
    return refusals


def _roster_person(raw: RawRow) -> Professional:
    number = normalize_id_number(raw.id_text)
    if not id_number_well_formed(number):
        raise DomainError("身份证号码格式不正确（应为 18 位，末位校验码正确）。", code="roster_bad_id_number",
                          field="id_number")
    professional = professional_by_id_number(number)
    if professional is None:
        raise DomainError("系统中没有该身份证号码的人员，请先在“本单位人员”中添加。", code="roster_unknown_person",
                          field="id_number")
    name = raw.values.get("name")
    if name and not same_name(str(name).strip(), professional.name):
        raise DomainError("姓名与该身份证号码登记的姓名不一致，请核对。", code="roster_name_mismatch", field="name")
    return professional


@transaction.atomic
def session_roster_import(*, actor, session_id: int, rows: list[RawRow], now: dt.datetime) -> ImportReport:
    """A roster of ID numbers (with names, optionally): every row recorded or refused with its reason, the
    same report as the staff import."""
    session = _unit_session(actor, session_id, for_update=True)
    outcomes = []
    for raw in rows:
        outcome = RowOutcome(line=raw.line, name=raw.label, id_number=raw.id_text)
        try:
            with transaction.atomic():
                outcome.professional = _roster_person(raw)
                _attend(session=session, professional=outcome.professional, method=CheckInMethod.ROSTER,
                        actor=actor, now=now)
        except DomainError as refusal:
            outcome.error = refusal
        outcomes.append(outcome)
    return ImportReport(outcomes=outcomes)


@transaction.atomic
def session_evidence_add(*, actor, session_id: int, upload: UploadedFile, now: dt.datetime) -> SessionEvidence:
    """A file of the session, checked as any evidence (content, size), stored once and named by every
    attendee's claim that has not been submitted yet (a submitted claim's evidence is frozen)."""
    session = _unit_session(actor, session_id, for_update=True)
    sniffed = upload_sniff(upload)
    problems = evidence_problems(upload.name, sniffed.head, upload.size, sniffed.zip_names)
    count = evidence_count_problem(session.evidence.count(), 1)
    _refuse([*problems, *([count] if count else [])])
    session_file = SessionEvidence(
        session=session, original_name=upload.name[-200:], content_type=evidence_content_type(*sniffed),
        size=upload.size, sha256=upload_sha256(upload), uploaded_by=actor, uploaded_at=now,
    )
    session_file.file.save(upload.name, upload, save=False)
    session_file.save()
    drafts = Claim.objects.filter(attendance__session=session, status__in=EDITABLE_STATUSES)
    EvidenceFile.objects.bulk_create([_claim_file(claim, session_file) for claim in drafts])
    record_event(actor=actor, action="session.evidence_add", target=session_file,
                 after={"session": session.pk, "sha256": session_file.sha256}, at=now)
    return session_file


@transaction.atomic
def session_claim_note(*, actor, claim_id: int, note: str) -> Claim:
    """The attendee's one change to their pre-filled claim: a note (the claim's content)."""
    claim = own_claim_for_update(actor, claim_id)
    if not claim_prefilled(claim):
        raise NotFound("未找到该申报。")
    if claim.status not in EDITABLE_STATUSES:
        raise DomainError(f"该申报当前状态为“{claim.get_status_display()}”，不能再修改。", code="claim_not_editable")
    claim.content = note.strip()
    claim.save(update_fields=["content", "updated_at"])
    return claim
