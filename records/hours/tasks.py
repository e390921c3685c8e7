"""Hours' housekeeping in the background: take the clock, call one service, safe to run twice."""
from celery import shared_task
from django.utils import timezone

from records.hours.services import staged_evidence_purge


@shared_task
def purge_staged_evidence() -> int:
    """Files kept from claim forms that were never saved, once a day has passed."""
    return staged_evidence_purge(now=timezone.now())
