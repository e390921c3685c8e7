from celery import shared_task
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from audits.calendar.models import OfficialCalendarYear, WorkingDayOverride
from audits.calendar.selectors import fresh_calendar
from audits.review import services as overdue
from ce_portal.clock import business_clock
from records.hours.models import Claim

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


@shared_task
def mark_overdue_claims() -> int:
    """Flag the claims whose review is overdue; returns how many were newly flagged."""
    today, now = business_clock()
    return overdue.mark_overdue(today=today, now=now).total


@shared_task
def remind_due_reviews() -> int:
    today, now = business_clock()
    return overdue.send_due_reminders(today=today, now=now)


@receiver(post_save, sender=WorkingDayOverride, dispatch_uid="review_override_saved")
@receiver(post_delete, sender=WorkingDayOverride, dispatch_uid="review_override_deleted")
@receiver(post_save, sender=OfficialCalendarYear, dispatch_uid="review_official_year_saved")
@receiver(post_delete, sender=OfficialCalendarYear, dispatch_uid="review_official_year_deleted")
def working_calendar_changed(**kwargs):
    """Recompute the stored provisional deadlines once a calendar edit is committed. Connected after the
    calendar's own receiver (audits.apps), whose commit hook publishes the new calendar first, so the worker
    reads the new version."""
    transaction.on_commit(recompute_provisional_due_dates.delay)
