"""Review's timers and background work: take ids or nothing, call one service, safe to run twice."""
from celery import shared_task
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from audits.calendar.models import OfficialCalendarYear, WorkingDayOverride
from audits.calendar.selectors import fresh_calendar
from audits.review import services as review
from ce_portal.clock import business_clock
from ce_portal.queue import enqueue_on_commit


@shared_task
def recompute_due_dates() -> int:
    """Re-date every waiting claim with the calendar now in force; enqueued whenever the calendar changes
    (see the receiver below), so that an edit made elsewhere than in the admin — which re-dates at once, in
    its own transaction — reaches the deadlines too. Returns how many claims changed."""
    # The edit that enqueued us may be younger than this worker's calendar.
    with transaction.atomic():
        return review.due_dates_recompute(calendar=fresh_calendar(), today=business_clock()[0])


@shared_task
def mark_overdue_claims() -> int:
    """Flag the claims whose review is overdue; returns how many were newly flagged."""
    today, now = business_clock()
    return review.mark_overdue(today=today, now=now).total


@shared_task
def mail_pending_notifications() -> int:
    """Mail the notices that have not gone out yet (decisions, and whatever a mail server outage held up)."""
    return review.mail_pending_notifications(now=business_clock()[1])


@shared_task
def remind_due_reviews() -> int:
    """The reviewers' morning list. The overdue flags are brought up to date first, so the list counts what
    the queue and the monitors flag, even if the after-midnight run was missed."""
    today, now = business_clock()
    review.mark_overdue(today=today, now=now)
    return review.send_due_reminders(today=today, now=now)


@receiver(post_save, sender=WorkingDayOverride, dispatch_uid="review_override_saved")
@receiver(post_delete, sender=WorkingDayOverride, dispatch_uid="review_override_deleted")
@receiver(post_save, sender=OfficialCalendarYear, dispatch_uid="review_official_year_saved")
@receiver(post_delete, sender=OfficialCalendarYear, dispatch_uid="review_official_year_deleted")
def working_calendar_changed(**kwargs):
    """Recompute the stored provisional deadlines once a calendar edit is committed. Connected after the
    calendar's own receiver (audits.apps), whose commit hook publishes the new calendar first, so the worker
    reads the new version."""
    enqueue_on_commit("audits.review.tasks.recompute_due_dates")
