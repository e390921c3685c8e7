"""The demo's month of review traffic: queues with work in them, overdue claims, a chart with history."""
import datetime as dt
import os
import subprocess
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command

from audits.monitor.models import OverdueSnapshot
from audits.review.models import ReviewDecision
from audits.review.selectors import review_queue
from audits.screening.models import ScreeningFlag
from ce_portal.clock import SHANGHAI
from ce_portal.formatting import hours_text
from records.hours.models import Claim, EvidenceFile

# 2025-10-20: the month before it holds National Day, so deadlines cross an eight-day holiday.
NOW = dt.datetime(2025, 10, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def seeded(db):
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo", stdout=open("/dev/null", "w"))


def test_reviewers_find_work_and_the_county_has_overdue_claims(seeded):
    User = get_user_model()
    claims = Claim.objects.filter(region__name="新华区")
    assert claims.filter(status="submitted").exists() and claims.filter(status="unit_approved").exists()
    assert review_queue(User.objects.get(username="demo_unit"), today=NOW.date(), level=1).exists()
    overdue = claims.filter(overdue_since__isnull=False)
    assert overdue.exists()
    for claim in overdue:  # flagged only once its due date had passed, never auto-approved
        due = claim.due_on
        assert claim.is_pending_review and due < NOW.date()
    assert ReviewDecision.objects.filter(action="approve", level=2).exists()


def test_county_hr_has_this_mornings_overdue_digest(seeded):
    from audits.review.models import Notification

    assert Notification.objects.filter(user__username="demo_county", kind__contains="digest").exists()


def test_the_monitor_chart_has_a_month_of_history(seeded):
    dates = set(OverdueSnapshot.objects.values_list("date", flat=True))
    assert min(dates) == dt.date(2025, 9, 20) and max(dates) == NOW.date()


def test_the_traffic_raises_no_screening_flags_of_its_own(seeded):
    planted = {"same_evidence", "same_certificate_no", "unknown_provider"}
    assert set(ScreeningFlag.objects.values_list("rule", flat=True)) <= planted


def test_a_second_run_adds_nothing(seeded):
    before = (Claim.objects.count(), ReviewDecision.objects.count(), OverdueSnapshot.objects.count())
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert (Claim.objects.count(), ReviewDecision.objects.count(), OverdueSnapshot.objects.count()) == before


def test_every_claim_waiting_in_the_demo_has_someone_who_can_decide_it(seeded):
    """A unit with staff but no reviewer shows the county standing in (issue 12, case 1)."""
    from audits.review.selectors import reviewable_claims
    from records.people.models import RoleMembership

    waiting = Claim.objects.filter(status__in=["submitted", "unit_approved"])
    reviewers = get_user_model().objects.filter(
        pk__in=RoleMembership.objects.exclude(role="professional").values("user_id"), is_active=True)
    decidable = set()
    for user in reviewers:
        decidable |= set(reviewable_claims(user).filter(pk__in=waiting).values_list("pk", flat=True))
    assert waiting.exists()
    assert set(waiting.values_list("pk", flat=True)) <= decidable
    assert waiting.filter(level1_region__isnull=False).exists()  # the county's stand-in is part of the demo


def _pdf_text(evidence) -> str:
    return subprocess.run(["pdftotext", evidence.file.path, "-"], capture_output=True, check=True, text=True).stdout


def test_each_demo_scan_is_a_certificate_of_its_claim_uploaded_when_the_claim_was_filed(seeded):
    evidence = list(EvidenceFile.objects.select_related("claim__professional", "claim__provider_base"))
    assert len(evidence) > 20
    assert len({e.sha256 for e in evidence}) == len(evidence) - 1  # the one planted copy (test_demo_screening.py)
    for file in evidence[:: max(1, len(evidence) // 12)]:
        claim = file.claim
        text = "".join(_pdf_text(file).split())  # pdftotext breaks lines inside long names
        assert file.file.open("rb").read(5) == b"%PDF-" and file.size > 10_000
        assert claim.title in text and f"共计{hours_text(claim.hours)}学时" in text
        assert claim.professional.name in text
        assert (claim.provider_base.name if claim.provider_base_id else claim.provider_name) in text
        assert file.uploaded_at == claim.submitted_at == file.submitted_at
        assert file.uploaded_at.astimezone(SHANGHAI).date() == claim.filed_on
        assert os.path.getmtime(file.file.path) == file.uploaded_at.timestamp()
