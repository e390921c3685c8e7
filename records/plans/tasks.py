"""Training plans' timers: take nothing, call one service, safe to run twice."""
from celery import shared_task
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from audits.calendar.models import OfficialCalendarYear, WorkingDayOverride
from audits.calendar.selectors import fresh_calendar
from ce_portal.clock import business_clock
from ce_portal.queue import enqueue_on_commit
from records.plans import services


@shared_task
def mark_overdue_plans() -> int:
    """Flag the submitted plans whose review is overdue; returns how many were newly flagged."""
    today, now = business_clock()
    return services.plan_mark_overdue(today=today, now=now)


@shared_task
def recompute_plan_due_dates() -> int:
    """Re-date the submitted plans with the calendar now in force; enqueued whenever the calendar changes."""
    with transaction.atomic():
        return services.plan_due_dates_recompute(calendar=fresh_calendar(), today=business_clock()[0])


@receiver(post_save, sender=WorkingDayOverride, dispatch_uid="plans_override_saved")
@receiver(post_delete, sender=WorkingDayOverride, dispatch_uid="plans_override_deleted")
@receiver(post_save, sender=OfficialCalendarYear, dispatch_uid="plans_official_year_saved")
@receiver(post_delete, sender=OfficialCalendarYear, dispatch_uid="plans_official_year_deleted")
def working_calendar_changed(**kwargs):
    """As review's receiver for claims: connected after the calendar's own (audits.apps)."""
    enqueue_on_commit("records.plans.tasks.recompute_plan_due_dates")
