"""Demo stage (ce_portal/demo/seed.py STAGES): the demo unit with an industry authority has filed this year's
training plan through the notice's chain: demo_unit drafts and submits it, demo_authority approves it, which
files it with the HR bureau of the authority's level (新华区). Through the real services, so the steps, the
due date and the audit trail are real. Runs once: a plan of the unit for the year means it is done.

Then the unit ran a session of the latest item that began at least a fortnight ago: demo_professional checked in
by the QR code's signed address, colleagues were ticked from the staff list, the clerk uploaded the attendance
sheet once. demo_professional confirmed the pre-filled claim; the clerk opened the sheet once on the session's
page and batch-approved, demo_authority likewise from the claims: the hours are credited. The ticked colleagues
registered in the demo's story (each logs in with the ID number and the demo password) and confirmed theirs too.
"""
import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from audits.review.services import claim_submit, evidence_opened, review_batch, session_evidence_opened
from ce_portal.clock import SHANGHAI
from ce_portal.demo.registry import DEMO_PASSWORD, Seeding, _demo_units
from ce_portal.pdf import CJK_FAMILY, render_pdf
from records.people.models import Professional, Role, RoleMembership
from records.people.selectors import professional_username
from records.plans.models import SessionAttendance, TrainingPlan
from records.plans.services import (
    PlanItemInput, SessionInput, check_in_token, plan_create, plan_decide, plan_items_save, plan_submit,
    session_attendees_tick, session_check_in, session_claim_note, session_create, session_evidence_add,
)

# How long before the demo's today a session's item must have begun, so its reviews are over.
SESSION_AGE = dt.timedelta(days=14)
COLLEAGUES = 4

# (title, category, subject area, (month, day) start, days, hours, place, provider, participants)
ITEMS = [
    ("专业技术人员职业道德与法律法规", "public", "公需科目", (3, 10), 1, "8", "本单位学术报告厅", "平顶山学院", 60),
    ("本专业新技术、新规范专题培训", "professional", "本专业", (5, 19), 2, "16", "本单位学术报告厅",
     "本单位技术委员会", 40),
    ("安全生产与应急处置实训", "professional", "安全生产", (9, 15), 1, "8", "本单位实训基地", "平顶山市应急管理培训中心", 35),
]


def seed_training_plan(run: Seeding) -> None:
    unit, _ = _demo_units()
    year = run.today.year
    if unit is None or TrainingPlan.objects.filter(unit=unit, year=year).exists():
        return
    User = get_user_model()
    clerk, authority = User.objects.get(username="demo_unit"), User.objects.get(username="demo_authority")
    # Filed early in the year, before its first session.
    submitted = dt.datetime(year, 2, 24, 9, 30, tzinfo=SHANGHAI)
    now = min(submitted, dt.datetime.combine(run.today, dt.time(9, 30), tzinfo=SHANGHAI))
    plan = plan_create(actor=clerk, unit=unit, year=year, now=now)
    plan_items_save(actor=clerk, plan_id=plan.pk, now=now, items=[
        PlanItemInput(title=title, category=category, subject_area=area, start_date=dt.date(year, *start),
                      end_date=dt.date(year, *start) + dt.timedelta(days=days - 1), hours=Decimal(hours),
                      place=place, provider=provider, expected_participants=participants)
        for title, category, area, start, days, hours, place, provider, participants in ITEMS
    ])
    plan_submit(actor=clerk, plan_id=plan.pk, now=now)
    plan_decide(actor=authority, plan_id=plan.pk, action="file", now=now + dt.timedelta(days=1))
    run.stats["training_plans"] += 1
    item = plan.items.filter(start_date__lte=run.today - SESSION_AGE).order_by("-start_date").first()
    if item is not None:
        seed_checked_in_session(run, item=item, clerk=clerk, authority=authority)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def seed_checked_in_session(run: Seeding, *, item, clerk, authority) -> None:
    day = item.start_date
    session = session_create(actor=clerk, now=_at(day, 8), data=SessionInput(
        item_id=item.pk, date=day, starts_at=dt.time(8, 30), ends_at=dt.time(9, 30), place=item.place,
        hours=min(item.hours, Decimal("8"))))
    person = Professional.objects.get(user__username="demo_professional")
    session_check_in(actor=person.user, session_id=session.pk, token=check_in_token(session), now=_at(day, 8, 41))
    colleagues = (Professional.objects.filter(employments__unit=item.plan.unit, employments__ended_on__isnull=True,
                                              employments__started_on__lte=day)
                  .exclude(pk=person.pk).order_by("pk").values_list("pk", flat=True)[:COLLEAGUES])
    session_attendees_tick(actor=clerk, session_id=session.pk, professional_ids=list(colleagues), now=_at(day, 9, 35))
    attendances = SessionAttendance.objects.filter(session=session).select_related("professional").order_by("pk")
    sheet = render_pdf("records/pdf/demo_attendance_sheet.html", {
        "session": session, "attendances": attendances, "cjk_family": CJK_FAMILY})
    kept = session_evidence_add(actor=clerk, session_id=session.pk, now=_at(day, 10),
                                upload=SimpleUploadedFile("培训签到表.pdf", sheet, content_type="application/pdf"))
    claims = []
    for n, attendance in enumerate(attendances):
        attendee = attendance.professional
        user = attendee.user or _registered(attendee)
        if attendee.pk == person.pk:
            session_claim_note(actor=user, claim_id=attendance.claim.pk, note="全程参加并通过现场考核。")
        claims.append(claim_submit(actor=user, claim_id=attendance.claim.pk, now=_at(day, 18, n)))
    next_day = day + dt.timedelta(days=1)
    # One look at the sheet on the session's page counts for every attendee's claim: an honest batch approval.
    session_evidence_opened(user=clerk, session_file=kept, now=_at(next_day, 9))
    ids = [claim.pk for claim in claims]
    review_batch(claim_ids=ids, reviewer=clerk, action="approve", now=_at(next_day, 9, 5))
    evidence_opened(user=authority, evidence=claims[0].evidence.get(), now=_at(next_day, 15))
    review_batch(claim_ids=ids, reviewer=authority, action="approve", now=_at(next_day, 15, 5))
    run.stats["training_sessions"] += 1
    run.stats["session_claims_credited"] += len(ids)


def _registered(professional: Professional):
    """An account as registration would have made it: logged in by ID number, the demo's password."""
    user = get_user_model()(username=professional_username(professional.id_number), first_name=professional.name)
    user.set_password(DEMO_PASSWORD)
    user.save()
    professional.user = user
    professional.save(update_fields=["user"])
    RoleMembership.objects.create(user=user, role=Role.PROFESSIONAL, professional=professional)
    return user
