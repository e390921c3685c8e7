"""Screening in the background: nightly, and on city_hr's request."""
from celery import shared_task
from django.contrib.auth import get_user_model

from audits.screening.services import screening_run
from ce_portal.clock import business_now


@shared_task
def screen_incremental(requested_by_id: int | None = None) -> int | None:
    """Fraud screening of what changed since the last run (a full run the first time); returns the new
    flags, or None when another run was in progress and covers the same changes."""
    requested_by = get_user_model().objects.filter(pk=requested_by_id).first() if requested_by_id else None
    run = screening_run(now=business_now(), requested_by=requested_by)
    return run.flags_created if run else None
