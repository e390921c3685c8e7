"""Compliance work in the background: the XLSX export, and the nightly purge of expired downloads."""
from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from records.compliance.services import compliance_export_build


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def compliance_export_task(job_id: int) -> bool:
    return compliance_export_build(job_id=job_id, now=timezone.now())
