"""Built downloads (a compliance XLSX, a unit's certificate ZIP): what every kind has in common, written once.

Each is built by a Celery task for the person who asked, who follows its progress on a page and downloads
it within minutes. A build writes its heartbeat as it progresses; one that stops moving (its worker killed,
its message lost) is queued again by the sweep, or failed once out of attempts (`ce_portal/jobs.py`). Kept for ever, they would fill the disk (a city XLSX is 11 MB, a 500-person ZIP tens of
MB) and keep personal data lying around: after DOWNLOAD_RETENTION the file is deleted and the job says
已过期; asking again builds a fresh one from the current data.

A kind of download is a concrete subclass of `DownloadJob` in its own part (records.certificates,
records.compliance). The purge finds every one of them through Django's app registry, so a new kind is
kept no longer than the others without being listed anywhere, and this module imports no part.
"""
import datetime as dt
import logging
import tempfile
from typing import IO, Callable

from django.apps import apps
from django.conf import settings
from django.core.files import File
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from ce_portal.jobs import Verdict, job_verdict, stalled_reason
from ce_portal.queue import enqueue_on_commit

logger = logging.getLogger(__name__)


DOWNLOAD_RETENTION = dt.timedelta(days=7)


ERROR_LENGTH = 300


class DownloadStatus(models.TextChoices):
    PENDING = "pending", "排队中"
    RUNNING = "running", "正在生成"
    READY = "ready", "已完成"
    FAILED = "failed", "失败"
    EXPIRED = "expired", "已过期"  # its file deleted after DOWNLOAD_RETENTION


UNDER_WAY = [DownloadStatus.PENDING, DownloadStatus.RUNNING]


def status_field(*, running: str = DownloadStatus.RUNNING.label) -> models.CharField:
    """The status column; `running` says what this kind of download is doing meanwhile (正在打包 for a ZIP)."""
    choices = [(value, running if value == DownloadStatus.RUNNING else label)
               for value, label in DownloadStatus.choices]
    return models.CharField("状态", max_length=10, choices=choices, default=DownloadStatus.PENDING)


class DownloadJobQuerySet(models.QuerySet):
    """A download's way from pending to ready or failed. Not atomic on purpose: each step must be visible to
    other workers and to the polling page while the (slow) build runs."""

    def under_way(self) -> "DownloadJobQuerySet":
        """Those still queued or being built (the sweep re-queues or fails the ones that stalled)."""
        return self.filter(status__in=UNDER_WAY)

    def claim(self, pk: int, **fields) -> bool:
        """Take a pending job to build it. A conditional UPDATE: of two workers handed it, only one builds.
        Each claim is one attempt (ce_portal/jobs.py bounds them)."""
        return bool(self.filter(pk=pk, status=DownloadStatus.PENDING).update(
            status=DownloadStatus.RUNNING, attempts=models.F("attempts") + 1, heartbeat_at=timezone.now(), **fields))

    def progress(self, pk: int, **fields) -> None:
        """The build moved on: its figures, and the heartbeat that keeps the sweep away."""
        self.filter(pk=pk).update(heartbeat_at=timezone.now(), **fields)

    def failed(self, pk: int, error: Exception) -> None:
        message = str(getattr(error, "message", error))  # a DomainError's message is what a person reads
        self.filter(pk=pk).update(status=DownloadStatus.FAILED, error=message[:ERROR_LENGTH],
                                  finished_at=timezone.now())

    def ready(self, pk: int, *, file: str, **fields) -> None:
        self.filter(pk=pk).update(status=DownloadStatus.READY, file=file, finished_at=timezone.now(), **fields)


class DownloadJob(models.Model):
    """A file built in the background for the person who asked. `done` of `total` counts what the kind
    counts (people for a ZIP, rows for an XLSX); each kind declares its own `file`, stored where it says,
    and `build_task`, the dotted name of the task that builds it."""

    Status = DownloadStatus

    # A build writes its heartbeat at least this often (every few people or thousands of rows): one silent
    # for longer is taken for lost.
    time_limit = dt.timedelta(minutes=5)
    build_task: str

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="+"
    )
    status = status_field()
    done = models.PositiveIntegerField("已完成数", default=0)
    total = models.PositiveIntegerField("总数", default=0)
    error = models.CharField("失败原因", max_length=ERROR_LENGTH, blank=True)
    created_at = models.DateTimeField("申请时间")
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    heartbeat_at = models.DateTimeField("最近进展时间", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("已尝试次数", default=0)

    file: models.FileField

    objects = DownloadJobQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    @property
    def last_progress_at(self) -> dt.datetime:
        return self.heartbeat_at or self.created_at

    @property
    def percent(self) -> int:
        return 100 if self.status == self.Status.READY else (self.done * 100 // self.total if self.total else 0)


def download_build(*, job: DownloadJob, write: Callable[[IO[bytes]], dict]) -> None:
    """Build a claimed job's file. `write` writes it into a temporary file and returns the figures to keep
    (`done`, and whatever else the kind counts); the file is stored where its kind keeps them and the job
    marked ready. On any error the job says failed, and why, and the error goes on to the task."""
    model = type(job)
    try:
        with tempfile.TemporaryFile() as spool:
            figures = write(spool)
            spool.seek(0)
            job.file.save("", File(spool), save=False)  # named by the kind's upload_to
    except Exception as exc:
        logger.exception("%s %s failed", model._meta.label, job.pk)
        model.objects.failed(job.pk, exc)
        raise
    model.objects.ready(job.pk, file=job.file.name, **figures)


def download_revive(job: DownloadJob, *, now: dt.datetime) -> Verdict:
    """Apply `job_verdict` to a job under way: queue a stalled one again (from the start: its worker is gone)
    or mark it failed once out of attempts. Conditional UPDATEs on the heartbeat read: a job that moved
    meanwhile, or that another sweep took care of, is left alone."""
    model = type(job)
    verdict = job_verdict(under_way=job.status in UNDER_WAY, last_progress_at=job.last_progress_at,
                          attempts=job.attempts, now=now, time_limit=model.time_limit)
    as_read = model.objects.filter(pk=job.pk, status=job.status, heartbeat_at=job.heartbeat_at)
    if verdict is Verdict.REQUEUE and as_read.update(status=DownloadStatus.PENDING, heartbeat_at=now):
        logger.warning("%s %s stalled (attempt %s): queued again", model._meta.label, job.pk, job.attempts)
        enqueue_on_commit(model.build_task, job.pk)
    elif verdict is Verdict.GIVE_UP and as_read.update(
            status=DownloadStatus.FAILED, error=stalled_reason(job.attempts), finished_at=now):
        logger.error("%s %s stalled %s times: failed", model._meta.label, job.pk, job.attempts)
    return verdict


def download_in_progress(jobs: DownloadJobQuerySet, *, now: dt.datetime) -> DownloadJob | None:
    """The newest of these jobs still under way, for a person asking again: queued again if it had stalled;
    None when there is none or it has just been failed, so that the request starts a new one."""
    job = jobs.under_way().order_by("-created_at", "-id").first()
    if job is None or download_revive(job, now=now) is Verdict.GIVE_UP:
        return None
    return job


def stalled_downloads_sweep(*, now: dt.datetime) -> dict[Verdict, int]:
    """The periodic sweep (ce_portal.tasks.sweep_stalled_downloads): every job of every kind still under way
    gets its verdict. Jobs under way are few (a handful per person asking), so each is judged in Python by
    the one rule rather than pre-filtered by a copy of it in SQL."""
    counts = {verdict: 0 for verdict in Verdict}
    for model in download_models():
        for job in model.objects.under_way().iterator():
            counts[download_revive(job, now=now)] += 1
    return counts


def download_models() -> list[type[DownloadJob]]:
    """Every kind of download, wherever it is declared."""
    return [model for model in apps.get_models() if issubclass(model, DownloadJob)]


def expired_downloads_purge(*, now: dt.datetime) -> int:
    """Delete the files of downloads finished before now - DOWNLOAD_RETENTION; returns how many.

    Safe to run twice at once and after downtime: each row is taken under a skip-locked row lock, and the
    file is deleted only once the row no longer points at it.
    """
    purged = 0
    for model in download_models():
        due = model.objects.filter(status=DownloadStatus.READY, finished_at__lt=now - DOWNLOAD_RETENTION)
        for pk in due.values_list("pk", flat=True).iterator():
            with transaction.atomic():
                job = model.objects.select_for_update(skip_locked=True).filter(
                    pk=pk, status=DownloadStatus.READY
                ).first()
                if job is None:
                    continue
                storage, name = job.file.storage, job.file.name
                job.status, job.file = DownloadStatus.EXPIRED, ""
                job.save(update_fields=["status", "file"])
                if name:
                    transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))
            purged += 1
    return purged


def download_state(job: DownloadJob, file_url_name: str) -> dict:
    """What a download's progress page and its polling script (static/js/job_progress.js) show."""
    ready = job.status == DownloadStatus.READY
    return {
        "status": job.status, "status_label": job.get_status_display(), "done": job.done, "total": job.total,
        "percent": job.percent, "ready": ready, "failed": job.status == DownloadStatus.FAILED, "error": job.error,
        "expired": job.status == DownloadStatus.EXPIRED,
        "download_url": reverse(file_url_name, args=[job.pk]) if ready else None,
    }
