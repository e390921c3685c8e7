"""The monitors' timers on Celery beat: the backlog snapshot and the county digest."""
from celery import shared_task

from audits.monitor import services as overdue
from ce_portal.clock import business_clock


@shared_task
def send_overdue_digests() -> int:
    today, now = business_clock()
    return overdue.send_overdue_digests(today=today, now=now)


@shared_task
def refresh_overdue_snapshot() -> int:
    today, now = business_clock()
    return overdue.snapshot_refresh(today=today, now=now)
