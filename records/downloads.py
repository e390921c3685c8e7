"""Built downloads (a compliance XLSX, a unit's certificate ZIP): their state as the progress pages show it,
and how long they are kept.

Each is built for the person who asked, who downloads it within minutes; kept for ever, they would fill the disk (a city XLSX is
11 MB, a 500-person ZIP tens of MB) and keep personal data lying around. After DOWNLOAD_RETENTION the file is
deleted and the job says 已过期; asking again builds a fresh one from the current data.

Safe to run twice at once and after downtime: each row is taken under a skip-locked row lock, and the file
is deleted only once the row no longer points at it.
"""
import datetime as dt

from django.db import transaction
from django.urls import reverse

from .models import CertificateBundle, ExportJob

DOWNLOAD_RETENTION = dt.timedelta(days=7)


def expired_downloads_purge(*, now: dt.datetime) -> int:
    """Delete the files of downloads finished before now - DOWNLOAD_RETENTION; returns how many."""
    purged = 0
    for model in (ExportJob, CertificateBundle):
        due = model.objects.filter(status=model.Status.READY, finished_at__lt=now - DOWNLOAD_RETENTION)
        for pk in due.values_list("pk", flat=True).iterator():
            with transaction.atomic():
                job = model.objects.select_for_update(skip_locked=True).filter(pk=pk, status=model.Status.READY).first()
                if job is None:
                    continue
                storage, name = job.file.storage, job.file.name
                job.status, job.file = model.Status.EXPIRED, ""
                job.save(update_fields=["status", "file"])
                if name:
                    transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))
            purged += 1
    return purged


def download_state(job: ExportJob | CertificateBundle, file_url_name: str) -> dict:
    """What a download's progress page and its polling script (static/js/job_progress.js) show."""
    ready = job.status == job.Status.READY
    return {
        "status": job.status, "status_label": job.get_status_display(), "done": job.done, "total": job.total,
        "percent": job.percent, "ready": ready, "failed": job.status == job.Status.FAILED, "error": job.error,
        "expired": job.status == job.Status.EXPIRED,
        "download_url": reverse(file_url_name, args=[job.pk]) if ready else None,
    }
