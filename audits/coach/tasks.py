"""The shortfall coach on Celery beat (1 September, 1 November, 1 December; ce_portal/settings.py)."""
from celery import shared_task

from audits.coach import services as coach
from ce_portal.clock import business_clock


@shared_task
def send_shortfall_messages() -> int:
    today, now = business_clock()
    return coach.shortfall_messages_send(today=today, now=now)
