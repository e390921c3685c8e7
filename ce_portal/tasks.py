from celery import shared_task
from django.utils import timezone

from ce_portal.downloads import expired_downloads_purge


@shared_task
def purge_expired_downloads() -> int:
    return expired_downloads_purge(now=timezone.now())
