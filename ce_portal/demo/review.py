"""Demo stage (ce_portal/demo/seed.py STAGES): a month of review traffic in the demo county.

Staff of the county's units file claims day by day over the last 30 days; the demo reviewers (the two demo
units' reviewers, the authority reviewer and county HR) open the evidence and decide some of them each day,
through the real review service. Units without a demo reviewer, and the claims the reviewers do not get
to, run past their deadlines; the real mark-overdue and snapshot jobs run for each simulated day. So the
queues, the due dates (holidays included), the overdue flags, the county monitor and its chart all show
real figures. Runs once (an audit event marks it).
"""
import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model

from audits.monitor.services import send_overdue_digests, snapshot_refresh
from audits.review.rules import LEVELS, waiting_level
from audits.review.services import (
    claim_level_due, claim_routes, evidence_opened, mark_overdue, review_decide, send_due_reminders, waiting_statuses,
)
from audits.trail.models import AuditEvent
from audits.trail.services import record_event
from ce_portal.clock import SHANGHAI
from ce_portal.demo.evidence import certificates_attach
from ce_portal.errors import DomainError
from platforms.registry.models import TrainingBase
from records.hours.models import ActivityKind, Claim, PlatformRecord, SubjectCategory
from records.people.access import scope_holders
from records.people.models import Role, RoleMembership, Unit

MARKER = "demo.review_traffic"
User = get_user_model()


DAYS = 30


TITLES = [
    ("临床急危重症救治新进展研修班", ActivityKind.WORKSHOP), ("中小学教师信息技术应用能力提升培训", ActivityKind.FACE_TO_FACE),
    ("装配式建筑施工新技术推广会", ActivityKind.TECH_PROMOTION), ("人工智能在工程设计中的应用学术讲座", ActivityKind.LECTURE),
    ("安全生产与应急管理专题培训", ActivityKind.FACE_TO_FACE), ("新版执业规范解读研修班", ActivityKind.WORKSHOP),
    ("数字化转型与数据安全讲座", ActivityKind.LECTURE), ("节能环保新材料推广应用", ActivityKind.TECH_PROMOTION),
]


def _reviewers() -> dict:
    """Scope field → {object id: the first reviewer whose scope holds it}, for the demo log-ins that exist."""
    fields = {route.scope_field for level in LEVELS for route in level.routes}
    return {field: {object_id: users[0] for object_id, users in scope_holders(field).items()} for field in fields}


def _reviewer_for(claim: Claim, reviewers: dict):
    """A reviewer of the level the claim waits on, through the route the claim was given at filing."""
    level = waiting_level(claim.status)
    for route in level.routes:
        user_id = reviewers[route.scope_field].get(getattr(claim, route.claim_field))
        if user_id is not None:
            return User.objects.get(pk=user_id)
    return None


def _file_claim(rng: random.Random, unit: Unit, day: dt.date, now: dt.datetime, bases) -> Claim | None:
    """One staff member of `unit` files a claim for an activity that ended the day before `day`."""
    days = rng.choice([1, 1, 2, 3])
    end = day - dt.timedelta(days=1)
    start = end - dt.timedelta(days=days - 1)
    if start.year != day.year:
        return None  # a claim belongs to its activity's year, and last year is closed
    staff = list(unit.employments.filter(ended_on__isnull=True).values_list("professional_id", flat=True)[:40])
    rng.shuffle(staff)
    for person_id in staff[:5]:
        # No day beyond 10 hours and no overlapping sessions for the person: screening must stay quiet here.
        busy = PlatformRecord.objects.filter(professional_id=person_id, completed_at__date__range=(start, end))
        overlapping = Claim.objects.filter(professional_id=person_id, start_date__lte=end, end_date__gte=start)
        if not busy.exists() and not overlapping.exists():
            break
    else:
        return None
    title, kind = rng.choice(TITLES)
    base = rng.choice(bases)
    due = claim_level_due(start.year, LEVELS[0], filed_on=day, started_on=day)
    routes = claim_routes(unit)
    return Claim.objects.create(
        professional_id=person_id, unit=unit, region=unit.region, **routes, year=start.year,
        category=rng.choice([SubjectCategory.PROFESSIONAL] * 3 + [SubjectCategory.PUBLIC]), kind=kind, title=title,
        content="按培训计划参加，全程签到并通过考核。", provider_base=base, start_date=start, end_date=end,
        hours=Decimal(rng.choice([4, 6, 8])) * days, result="考核合格", status=Claim.Status.SUBMITTED, version=1,
        submitted_at=now, filed_on=day, review_started_on=day, due_on=due.on, due_provisional=due.provisional,
    )


def _decide(rng: random.Random, claim: Claim, reviewer, now: dt.datetime) -> bool:
    for evidence in claim.evidence.filter(removed_at__isnull=True):
        evidence_opened(user=reviewer, evidence=evidence, now=now)
    roll = rng.random()
    action, reason = ("approve", "")
    if roll > 0.9:
        action, reason = "return", "证书扫描件不清晰，请补充清晰的扫描件或签到表。"
    elif roll > 0.85:
        action, reason = "reject", "该活动不属于本年度专业科目培训计划范围。"
    try:
        review_decide(claim_id=claim.pk, reviewer=reviewer, action=action, reason=reason, now=now)
    except DomainError:
        return False
    return True


def seed_review_traffic(run, *, county: str) -> None:
    if run.size != "demo" or AuditEvent.objects.filter(action=MARKER).exists():
        return
    rng = random.Random(20260926)
    units = list(Unit.objects.filter(region__name=county).order_by("pk")[:8])
    bases = list(TrainingBase.objects.filter(active=True))
    reviewers = _reviewers()
    if not units or not bases or not reviewers:
        return
    # The first unit reviewer keeps the demo's CE register: the scans are theirs to upload.
    uploader_id = RoleMembership.objects.filter(role=Role.UNIT_REVIEWER).values_list("user_id", flat=True).first()
    filed = decided = 0
    for offset in range(DAYS, -1, -1):
        day = run.today - dt.timedelta(days=offset)
        # Flagged as beat's after-midnight run flags them: from the day after the due date, before the day's
        # work, so the flags, the queues and that evening's snapshot count the same claims.
        mark_overdue(today=day, now=dt.datetime.combine(day, dt.time(0, 5), tzinfo=SHANGHAI))
        morning = dt.datetime.combine(day, dt.time(9, 30), tzinfo=SHANGHAI)
        today_filed = []
        for unit in units:
            if rng.random() < 0.45 and (claim := _file_claim(rng, unit, day, morning, bases)):
                today_filed.append(claim)
        certificates_attach(today_filed, uploader_id=uploader_id)  # before anyone reviews them
        filed += len(today_filed)
        if offset:  # today's queue is left for the person trying the demo
            afternoon = morning + dt.timedelta(hours=6)
            for claim in Claim.objects.filter(
                region__name=county, status__in=waiting_statuses(),
                filed_on__lt=day,
            ).order_by("pk"):
                reviewer = _reviewer_for(claim, reviewers)
                if reviewer is not None and rng.random() < 0.3 and _decide(rng, claim, reviewer, afternoon):
                    decided += 1
        evening = dt.datetime.combine(day, dt.time(23, 55), tzinfo=SHANGHAI)
        snapshot_refresh(today=day, now=evening)
    # This morning's reminders and county digest, as the 08:00/08:30 jobs would have sent them.
    morning = dt.datetime.combine(run.today, dt.time(8), tzinfo=SHANGHAI)
    send_due_reminders(today=run.today, now=morning)
    send_overdue_digests(today=run.today, now=morning)
    record_event(actor=None, action=MARKER, target=("demo", county), after={"filed": filed, "decided": decided})
    run.stats.update({"review_claims": filed, "review_decisions": decided})
