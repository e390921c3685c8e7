"""Training plans' timer: takes nothing, calls one service, safe to run twice."""
from celery import shared_task

from ce_portal.clock import business_clock
from records.plans import services


@shared_task
def mark_overdue_plans() -> int:
    """Flag the submitted plans whose review is overdue; returns how many were newly flagged."""
    today, now = business_clock()
    return services.plan_mark_overdue(today=today, now=now)
