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
from audits.review.selectors import held_by_screening, review_queue
from audits.review.services import waiting_statuses
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


def test_county_hr_has_this_mornings_overdue_digest_and_the_unit_its_morning_list(seeded):
    from audits.review.models import Notification

    assert Notification.objects.filter(user__username="demo_county", kind__contains="digest").exists()
    lists = Notification.objects.filter(kind="review_reminder")
    assert lists.exists() and all(n.text.startswith("2025-10-20 审核待办：") for n in lists)


def test_the_overdue_flags_and_the_monitor_agree(seeded):
    today = NOW.date()
    waiting = Claim.objects.filter(status__in=waiting_statuses())
    flagged = waiting.filter(overdue_since__isnull=False)
    assert flagged.exists()
    assert set(flagged) == set(waiting.filter(due_on__lt=today))
    for claim in flagged:  # flagged from the day after its due date (the traffic's at 00:05, as beat would)
        assert claim.due_on < claim.overdue_since.astimezone(NOW.tzinfo).date() and claim.overdue_since <= NOW
    county = OverdueSnapshot.objects.get(date=today, region__name="新华区", unit=None, authority=None)
    # A claim an open screening flag holds waits on the city, not on its unit: counted apart (rule 9).
    in_county = flagged.filter(region__name="新华区").annotate(held=held_by_screening())
    assert (county.overdue, county.flagged) == (in_county.filter(held=False).count(),
                                                waiting.filter(region__name="新华区").annotate(
                                                    held=held_by_screening()).filter(held=True).count())


def test_starting_the_demo_again_days_later_flags_what_fell_overdue_meanwhile(seeded):
    later = NOW + dt.timedelta(days=10)
    waiting = Claim.objects.filter(status__in=waiting_statuses())
    falling_due = set(waiting.filter(due_on__gte=NOW.date(), due_on__lt=later.date()))
    assert falling_due
    with time_machine.travel(later, tick=False):
        call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert set(waiting.filter(overdue_since=later)) == falling_due
    assert not waiting.filter(due_on__lt=later.date(), overdue_since__isnull=True).exists()


def test_the_monitor_chart_has_a_month_of_history(seeded):
    dates = set(OverdueSnapshot.objects.values_list("date", flat=True))
    assert min(dates) == dt.date(2025, 9, 20) and max(dates) == NOW.date()


def test_the_traffic_raises_no_screening_flags_of_its_own(seeded):
    planted = {"same_evidence", "same_certificate_no", "unknown_provider"}
    assert set(ScreeningFlag.objects.values_list("rule", flat=True)) <= planted


def test_a_second_run_adds_nothing(seeded):
    history = OverdueSnapshot.objects.filter(date__lte=NOW.date())
    before = (Claim.objects.count(), ReviewDecision.objects.count(), history.count())
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert (Claim.objects.count(), ReviewDecision.objects.count(), history.count()) == before
    # Only the new day's figures, as the monitor's timer would have written them.
    assert set(OverdueSnapshot.objects.exclude(date__lte=NOW.date()).values_list("date", flat=True)) == {
        NOW.date() + dt.timedelta(days=1)}


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


def test_the_demo_persons_and_units_shortfall_messages_can_be_shown_for_the_release_note(seeded):
    import io

    from audits.review.models import Notification
    from records.people.models import RoleMembership

    unit = RoleMembership.objects.get(user__username="demo_unit").unit
    before = Notification.objects.count()

    def show(*args):
        out = io.StringIO()
        call_command("show_shortfall_messages", *args, "--date=2025-11-01", stdout=out)
        return out.getvalue()

    listing = show(f"--unit={unit.name}")
    assert listing.startswith(f"—— {unit.name}的审核员 ——\n截至 2025-11-01，{unit.name}有 ")
    first_behind = listing.split("\n· ")[1].split("：")[0]
    person = show(f"--person={first_behind}")
    assert f"—— {first_behind} ——\n截至 2025-11-01，您 2025 年度的继续教育学时尚未达标：还差" in person
    assert "/providers/?year=2025" in person
    assert Notification.objects.count() == before


def _pdf_text(evidence) -> str:
    return subprocess.run(["pdftotext", evidence.file.path, "-"], capture_output=True, check=True, text=True).stdout


def test_each_demo_scan_is_a_certificate_of_its_claim_uploaded_when_the_claim_was_filed(seeded):
    # The demo session's attendance sheet is the session's, named by its attendees' claims (test_demo.py).
    evidence = list(EvidenceFile.objects.filter(session_file__isnull=True)
                    .select_related("claim__professional", "claim__provider_base"))
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
