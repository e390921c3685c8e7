"""The kernel's housekeeping: downloads that stalled (every few minutes); nightly, built downloads past their
retention and stored files no row names, and the year partitions of the coming year."""
from celery import shared_task
from django.utils import timezone

from ce_portal.clock import business_today
from ce_portal.downloads import expired_downloads_purge, stalled_downloads_sweep
from ce_portal.partitions import year_partitions_ensure, years_ahead
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


@shared_task
def create_year_partitions() -> list[str]:
    """This year's and next year's partitions, made ahead (ce_portal/partitions.py)."""
    return year_partitions_ensure(years_ahead(business_today()))
