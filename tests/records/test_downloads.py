"""Built downloads are kept DOWNLOAD_RETENTION, then their files go and the job says 已过期 (ce_portal/downloads.py)."""
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.urls import reverse

from ce_portal.downloads import (
    DOWNLOAD_RETENTION, download_build, download_models, download_state, expired_downloads_purge,
    stalled_downloads_sweep,
)
from ce_portal.jobs import MAX_ATTEMPTS, Verdict
from ce_portal.errors import DomainError
from ce_portal.tasks import purge_expired_downloads
from records.certificates.models import CertificateBundle
from records.compliance.models import ExportJob

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2025, 10, 15, 3, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def export(user, *, finished_at, status=ExportJob.Status.READY) -> ExportJob:
    job = ExportJob(requested_by=user, kind=ExportJob.Kind.COMPLIANCE_XLSX, params={"year": 2025}, status=status,
                    created_at=finished_at or NOW, finished_at=finished_at, done=2, total=2)
    job.file.save("x.xlsx", ContentFile(b"PK\x03\x04 fake workbook"), save=False)
    job.save()
    return job


def bundle(user, unit, *, finished_at) -> CertificateBundle:
    row = CertificateBundle(unit=unit, year=2025, requested_by=user, status=CertificateBundle.Status.READY,
                            created_at=finished_at or NOW, finished_at=finished_at)
    row.file.save("x.zip", ContentFile(b"PK\x05\x06 fake zip"), save=False)
    row.save()
    return row


def test_files_past_the_retention_period_are_deleted_and_their_jobs_expire(xin, ada, unit_a,
                                                                         django_capture_on_commit_callbacks):
    old_export = export(xin, finished_at=NOW - DOWNLOAD_RETENTION - dt.timedelta(minutes=1))
    fresh_export = export(xin, finished_at=NOW - DOWNLOAD_RETENTION + dt.timedelta(minutes=1))
    old_bundle = bundle(ada, unit_a, finished_at=NOW - dt.timedelta(days=30))
    paths = {row: row.file.path for row in (old_export, fresh_export, old_bundle)}

    with django_capture_on_commit_callbacks(execute=True):  # the files go once the rows are committed
        assert expired_downloads_purge(now=NOW) == 2

    for row in (old_export, fresh_export, old_bundle):
        row.refresh_from_db()
    assert (old_export.status, old_export.file.name) == (ExportJob.Status.EXPIRED, "")
    assert (old_bundle.status, old_bundle.file.name) == (CertificateBundle.Status.EXPIRED, "")
    assert fresh_export.status == ExportJob.Status.READY and fresh_export.file.storage.exists(fresh_export.file.name)
    assert not Path(paths[old_export]).exists() and not Path(paths[old_bundle]).exists()
    assert Path(paths[fresh_export]).exists()
    assert expired_downloads_purge(now=NOW) == 0  # a second run finds nothing to do


def test_the_expired_export_page_says_why_and_the_file_link_leads_back_to_it(client, xin):
    job = export(xin, finished_at=NOW - dt.timedelta(days=8))
    with time_machine.travel(NOW, tick=False):
        purge_expired_downloads.apply()  # the beat task, which reads the clock itself
    client.force_login(xin)

    status = client.get(reverse("records:export_job_status", args=[job.pk])).json()
    assert (status["expired"], status["ready"], status["download_url"]) == (True, False, None)
    page = client.get(reverse("records:export_job", args=[job.pk])).content.decode()
    assert "文件已超过 7 天保存期限，已按规定清理" in page and "已过期" in page
    assert client.get(reverse("records:export_job_file", args=[job.pk]))["Location"] == reverse(
        "records:export_job", args=[job.pk])


def test_each_kind_says_in_its_own_words_what_it_is_doing(xin, ada, unit_a):
    running_export = export(xin, finished_at=None, status=ExportJob.Status.RUNNING)
    running_bundle = bundle(ada, unit_a, finished_at=None)
    running_bundle.status = CertificateBundle.Status.RUNNING
    running_bundle.save(update_fields=["status"])

    assert download_state(running_export, "records:export_job_file")["status_label"] == "正在生成"
    assert download_state(running_bundle, "records:certificate_bundle_zip")["status_label"] == "正在打包"
    assert set(download_models()) == {ExportJob, CertificateBundle}  # what the purge walks


def test_a_stalled_download_is_queued_again_and_once_given_up_asking_again_starts_anew(
        xin, ada, unit_a, django_capture_on_commit_callbacks):
    from records.certificates.services import certificate_bundle_request
    from records.compliance.selectors import Filters
    from records.compliance.services import compliance_export_request

    for model, ask in ((ExportJob, lambda now: compliance_export_request(actor=xin, filters=Filters(year=2025), now=now)),
                       (CertificateBundle,
                        lambda now: certificate_bundle_request(actor=ada, unit_id=unit_a.pk, year=2025, now=now))):
        first = ask(NOW)
        limit = model.time_limit
        at = NOW
        for attempt in range(1, MAX_ATTEMPTS + 1):
            with time_machine.travel(at, tick=False):  # a worker takes it up, then dies: no heartbeat after
                assert model.objects.claim(first.pk)
            assert ask(at + limit) == first  # not stalled yet: the same job
            at += limit + dt.timedelta(seconds=1)
            with django_capture_on_commit_callbacks() as queued:
                again = ask(at)
            first.refresh_from_db()
            if attempt < MAX_ATTEMPTS:  # stalled: the same job, pending and queued again
                assert again == first and first.status == model.Status.PENDING and len(queued) == 1
                assert first.attempts == attempt
            else:  # out of attempts: it says failed and why, and this request is a new job
                assert again != first and again.status == model.Status.PENDING
                assert (first.status, first.attempts) == (model.Status.FAILED, MAX_ATTEMPTS)
                assert first.error.startswith(f"后台任务已中断 {MAX_ATTEMPTS} 次，未能完成；请重新申请")


def test_the_sweep_queues_again_only_what_stalled_and_fails_what_ran_out_of_attempts(
        xin, ada, unit_a, django_capture_on_commit_callbacks):
    limit = ExportJob.time_limit

    def job(status, *, heartbeat_at, attempts=0):
        return ExportJob.objects.create(requested_by=xin, kind=ExportJob.Kind.COMPLIANCE_XLSX, params={"year": 2025},
                                        status=status, created_at=NOW - dt.timedelta(hours=1),
                                        heartbeat_at=heartbeat_at, attempts=attempts)

    moving = job(ExportJob.Status.RUNNING, heartbeat_at=NOW - limit, attempts=1)
    killed = job(ExportJob.Status.RUNNING, heartbeat_at=NOW - limit - dt.timedelta(seconds=1), attempts=1)
    never_queued = job(ExportJob.Status.PENDING, heartbeat_at=None)  # its message was lost with the broker
    hopeless = job(ExportJob.Status.RUNNING, heartbeat_at=NOW - dt.timedelta(hours=1), attempts=MAX_ATTEMPTS)
    finished = job(ExportJob.Status.READY, heartbeat_at=NOW - dt.timedelta(hours=1), attempts=1)
    silent_bundle = CertificateBundle.objects.create(unit=unit_a, year=2025, requested_by=ada, created_at=NOW,
                                                     status=CertificateBundle.Status.RUNNING, attempts=1,
                                                     heartbeat_at=NOW - dt.timedelta(minutes=20))

    with django_capture_on_commit_callbacks() as queued:
        counts = stalled_downloads_sweep(now=NOW)

    assert counts == {Verdict.WAIT: 1, Verdict.REQUEUE: 3, Verdict.GIVE_UP: 1}
    assert len(queued) == 3
    for row in (moving, killed, never_queued, hopeless, finished, silent_bundle):
        row.refresh_from_db()
    assert (moving.status, moving.heartbeat_at) == (ExportJob.Status.RUNNING, NOW - limit)
    assert (killed.status, killed.heartbeat_at, killed.attempts) == (ExportJob.Status.PENDING, NOW, 1)
    assert (never_queued.status, never_queued.heartbeat_at) == (ExportJob.Status.PENDING, NOW)
    assert silent_bundle.status == CertificateBundle.Status.PENDING
    assert hopeless.status == ExportJob.Status.FAILED and "请重新申请" in hopeless.error
    assert finished.status == ExportJob.Status.READY
    # Queued again counts as progress: the next sweep within the limit leaves those three alone (and takes
    # the one that was still moving at NOW, silent since).
    assert stalled_downloads_sweep(now=NOW + limit) == {Verdict.WAIT: 3, Verdict.REQUEUE: 1, Verdict.GIVE_UP: 0}


def test_a_claimed_download_is_built_once_and_a_failure_keeps_the_persons_words(xin):
    job = export(xin, finished_at=None, status=ExportJob.Status.PENDING)
    with time_machine.travel(NOW, tick=False):
        assert ExportJob.objects.claim(job.pk) is True
    assert ExportJob.objects.claim(job.pk) is False  # the second worker handed it
    job.refresh_from_db()
    assert (job.attempts, job.heartbeat_at) == (1, NOW)
    ExportJob.objects.failed(job.pk, DomainError("2025 年度没有学时要求政策。" + "很长" * 200))
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED and job.error.startswith("2025 年度没有学时要求政策。")
    assert len(job.error) == 300 and job.finished_at is not None


def writing(content: bytes, **figures):
    def write(spool) -> dict:
        spool.write(content)
        return figures
    return write


def test_a_built_file_is_stored_where_its_kind_keeps_them_and_a_failed_build_says_why(xin, ada, unit_a):
    job = export(xin, finished_at=None, status=ExportJob.Status.RUNNING)
    zip_job = bundle(ada, unit_a, finished_at=None)
    download_build(job=job, write=writing(b"PK\x03\x04 workbook", done=7))
    download_build(job=zip_job, write=writing(b"PK\x05\x06 zip", done=3, included=2))

    job.refresh_from_db()
    zip_job.refresh_from_db()
    assert (job.status, job.done) == (ExportJob.Status.READY, 7) and job.finished_at is not None
    assert job.file.name.startswith("exports/2025/10/") and job.file.read() == b"PK\x03\x04 workbook"
    assert (zip_job.done, zip_job.included) == (3, 2) and zip_job.file.name.startswith("certificate-bundles/2025/")

    def broken(spool):
        raise OSError("磁盘已满")

    with pytest.raises(OSError):
        download_build(job=job, write=broken)
    job.refresh_from_db()
    assert (job.status, job.error) == (ExportJob.Status.FAILED, "磁盘已满")
