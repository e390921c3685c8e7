"""The kernel's housekeeping: downloads that stalled (every few minutes); nightly, built downloads past their
retention and stored files no row names."""
from celery import shared_task
from django.utils import timezone

from ce_portal.downloads import expired_downloads_purge, stalled_downloads_sweep
from ce_portal.storage import orphan_files_sweep


@shared_task
def purge_expired_downloads() -> int:
    return expired_downloads_purge(now=timezone.now())


@shared_task
def sweep_orphan_files() -> int:
    return len(orphan_files_sweep(now=timezone.now()))


@shared_task
def sweep_stalled_downloads() -> dict:
    """Downloads whose worker died or whose message was lost, queued again or failed (ce_portal/jobs.py)."""
    return {verdict.value: count for verdict, count in stalled_downloads_sweep(now=timezone.now()).items()}
