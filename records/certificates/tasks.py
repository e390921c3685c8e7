"""Certificate work in the background: take ids, call one service, safe to run twice."""
from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from records.certificates.services import certificate_bundle_build, certificate_render, stalled_renders_sweep


# Database hiccups are worth retrying; a render error is not (the row says failed and why, and the person
# can ask again once it is fixed).
@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def certificate_render_task(certificate_id: int) -> bool:
    return certificate_render(certificate_id=certificate_id, now=timezone.now())


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def certificate_bundle_task(bundle_id: int) -> bool:
    return certificate_bundle_build(bundle_id=bundle_id, now=timezone.now())


@shared_task
def sweep_stalled_renders() -> dict:
    """Renders whose message was lost or whose worker died, queued again (ce_portal/jobs.py)."""
    return {verdict.value: count for verdict, count in stalled_renders_sweep(now=timezone.now()).items()}
