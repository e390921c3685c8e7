"""The kernel's nightly housekeeping: built downloads past their retention, stored files no row names."""
from celery import shared_task
from django.utils import timezone

from ce_portal.downloads import expired_downloads_purge
from ce_portal.storage import orphan_files_sweep


@shared_task
def purge_expired_downloads() -> int:
    return expired_downloads_purge(now=timezone.now())


@shared_task
def sweep_orphan_files() -> int:
    return len(orphan_files_sweep(now=timezone.now()))
