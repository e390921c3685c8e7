from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from records.models import Claim
from records.timeutil import business_now

from . import overdue
from .screening_services import screening_run
from .workdays import fresh_calendar

_DUE_FIELDS = ["level1_due_on", "level1_due_provisional", "level2_due_on", "level2_due_provisional"]


@shared_task
def recompute_provisional_due_dates() -> int:
    """Recompute every stored provisional review deadline with the calendar now in force.

    Enqueued whenever an override or an official year changes. Idempotent: a second run finds nothing to
    change. The rows are locked while they are recomputed so that a claim re-filed or approved meanwhile
    is not written back with a deadline computed from its old date. Returns how many claims changed.
    """
    calendar = fresh_calendar()  # the edit that enqueued us may be younger than this worker's calendar
    with transaction.atomic():
        claims = (
            Claim.objects.select_for_update()
            .filter(Q(level1_due_provisional=True, filed_on__isnull=False)
                    | Q(level2_due_provisional=True, unit_approved_on__isnull=False))
            .only("filed_on", "unit_approved_on", *_DUE_FIELDS)
            .order_by("pk")
        )
        changed = []
        for claim in claims:
            dirty = False
            if claim.level1_due_provisional and claim.filed_on:
                due = calendar.review_due(claim.filed_on)
                if (claim.level1_due_on, claim.level1_due_provisional) != (due.on, due.provisional):
                    claim.level1_due_on, claim.level1_due_provisional = due.on, due.provisional
                    dirty = True
            if claim.level2_due_provisional and claim.unit_approved_on:
                due = calendar.review_due(claim.unit_approved_on)
                if (claim.level2_due_on, claim.level2_due_provisional) != (due.on, due.provisional):
                    claim.level2_due_on, claim.level2_due_provisional = due.on, due.provisional
                    dirty = True
            if dirty:
                changed.append(claim)
        Claim.objects.bulk_update(changed, _DUE_FIELDS, batch_size=1000)
    return len(changed)


# --- review timers (audits/overdue.py): each reads the clock once and may run late, twice, or at once --

def _clock() -> tuple:
    now = business_now()
    return timezone.localdate(now), now


@shared_task
def mark_overdue_claims() -> int:
    """Flag the claims whose review is overdue; returns how many were newly flagged."""
    today, now = _clock()
    return overdue.mark_overdue(today=today, now=now).total


@shared_task
def remind_due_reviews() -> int:
    today, now = _clock()
    return overdue.send_due_reminders(today=today, now=now)


@shared_task
def send_overdue_digests() -> int:
    today, now = _clock()
    return overdue.send_overdue_digests(today=today, now=now)


@shared_task
def refresh_overdue_snapshot() -> int:
    today, now = _clock()
    return overdue.snapshot_refresh(today=today, now=now)


@shared_task
def screen_incremental(requested_by_id: int | None = None) -> int | None:
    """Fraud screening of what changed since the last run (a full run the first time); returns the new
    flags, or None when another run was in progress and covers the same changes."""
    requested_by = get_user_model().objects.filter(pk=requested_by_id).first() if requested_by_id else None
    run = screening_run(now=business_now(), requested_by=requested_by)
    return run.flags_created if run else None
