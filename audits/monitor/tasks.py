"""The monitors' timers on Celery beat: the backlog snapshot and the county digest."""
from celery import shared_task

from audits.monitor import services as overdue
from audits.review.services import mark_overdue
from ce_portal.clock import business_clock


@shared_task
def send_overdue_digests() -> int:
    """The bureaus' digest, after the overdue flags are brought up to date: the claims it counts are the ones
    the monitors and the queues show flagged."""
    today, now = business_clock()
    mark_overdue(today=today, now=now)
    return overdue.send_overdue_digests(today=today, now=now)


@shared_task
def refresh_overdue_snapshot() -> int:
    today, now = business_clock()
    return overdue.snapshot_refresh(today=today, now=now)
