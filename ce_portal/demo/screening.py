"""Demo stage (ce_portal/demo/seed.py STAGES): planted duplicates, so the demo city_hr has screening flags to resolve.

Four colleagues at the demo unit: the first's approved claim and the second's pending one carry the same
scanned certificate; the third's approved claim and the fourth's pending one the same external certificate
number. A screening run then puts four flags in city_hr's queue, and the two pending claims cannot be
approved until city_hr has dealt with them; the last two also name a provider that is no CE base (a hint,
not a block). Nothing is planted twice.
"""
import datetime as dt
from decimal import Decimal

from django.utils import timezone

from audits.review.rules import LEVELS, routing
from audits.review.services import claim_level_due
from audits.screening.services import screening_run
from ce_portal.clock import SHANGHAI
from ce_portal.demo.evidence import certificate_scans, evidence_attach, scan_of
from platforms.registry.models import TrainingBase
from records.hours.models import ActivityKind, Claim, SubjectCategory
from records.hours.services import add_to_year_totals, year_deltas
from records.people.models import Professional, Role, RoleMembership, Unit

PLANTED_CERTIFICATE_NO = "PDS-JXJY-2025-0427"


def _claim(person: Professional, unit: Unit, *, approved: bool, title: str, kind: str, start: dt.date, days: int,
           hours: str, today: dt.date, now: dt.datetime, **fields) -> Claim:
    end = min(start + dt.timedelta(days=days - 1), today)
    filed_on = min(end + dt.timedelta(days=1), today)
    # Filed in the morning of filed_on (its evidence is uploaded then too), never after the seeding's now.
    filed_at = min(dt.datetime.combine(filed_on, dt.time(9, 30), tzinfo=SHANGHAI), now)
    routes = {"unit": unit, "region": unit.region}
    for level in LEVELS:
        routes.update(routing(level, {"authority_id": unit.authority_id, "region_id": unit.region_id}))
    if approved:
        review = {"status": Claim.Status.APPROVED, "decided_at": now}
    else:
        due = claim_level_due(start.year, LEVELS[0], filed_on=filed_on, started_on=filed_on)
        review = {"status": LEVELS[0].waiting_status, "review_started_on": filed_on, "due_on": due.on,
                  "due_provisional": due.provisional}
    claim = Claim.objects.create(
        professional=person, year=start.year, category=SubjectCategory.PROFESSIONAL, kind=kind, title=title,
        content="专题授课与实操考核", start_date=start, end_date=end, hours=Decimal(hours), result="合格",
        filed_on=filed_on, submitted_at=filed_at, version=1, **routes, **review, **fields,
    )
    if approved:
        add_to_year_totals(year_deltas([(person.pk, claim.year, claim.category, claim.hours)]))
    return claim


def plant_screening_examples(run, *, unit: Unit) -> None:
    """Plant the duplicates among `unit`'s staff and screen them; skipped when already planted."""
    if Claim.objects.filter(external_certificate_no=PLANTED_CERTIFICATE_NO).exists():
        return
    people = list(Professional.objects.filter(
        employments__unit=unit, employments__ended_on__isnull=True, user__isnull=True,
    ).order_by("pk")[:4])
    # The unit's reviewer keeps its CE register, so uploading for staff without a log-in is theirs to do.
    reviewer = RoleMembership.objects.filter(role=Role.UNIT_REVIEWER, unit=unit).values_list("user", flat=True).first()
    if len(people) < 4 or reviewer is None:
        return
    now = timezone.now()
    today = run.today
    start = max(dt.date(today.year, 1, 1), today - dt.timedelta(days=40))
    base = TrainingBase.objects.filter(active=True).order_by("pk").first()
    common = {"today": today, "now": now, "start": start}

    first = _claim(people[0], unit, approved=True, title="急诊急救技能面授培训", kind=ActivityKind.FACE_TO_FACE, days=2,
                   hours="12", provider_base=base, **common)
    copy = _claim(people[1], unit, approved=False, title="急诊急救技能面授培训", kind=ActivityKind.FACE_TO_FACE, days=2,
                  hours="12", provider_base=base, **common)
    third = _claim(people[2], unit, approved=True, title="医院感染管理研修班", kind=ActivityKind.WORKSHOP, days=1,
                   hours="8", provider_name="平顶山市医学会", external_certificate_no=PLANTED_CERTIFICATE_NO, **common)
    fourth = _claim(people[3], unit, approved=False, title="医院感染管理研修班", kind=ActivityKind.WORKSHOP, days=1,
                    hours="8", provider_name="平顶山市医学会", external_certificate_no=PLANTED_CERTIFICATE_NO, **common)
    # The second person hands in the first one's certificate as theirs: the same file, so the same SHA-256.
    scan, third_scan, fourth_scan = certificate_scans([scan_of(claim) for claim in (first, third, fourth)])
    for claim, content in ((first, scan), (copy, scan), (third, third_scan), (fourth, fourth_scan)):
        evidence_attach(claim, content, name=f"{claim.professional.name}-培训证书.pdf", uploader_id=reviewer)
    run.stats["screening_claims"] += 4
    screened = screening_run(now=now)
    run.stats["screening_flags"] += screened.flags_created if screened else 0
