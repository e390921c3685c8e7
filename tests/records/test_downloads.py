"""Built downloads are kept DOWNLOAD_RETENTION, then their files go and the job says 已过期 (records/downloads.py)."""
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.urls import reverse

from records.certificates.models import CertificateBundle
from records.compliance.models import ExportJob
from records.compliance.services import DOWNLOAD_RETENTION, expired_downloads_purge
from records.compliance.tasks import purge_expired_downloads

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2025, 10, 15, 3, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def export(user, *, finished_at, status=ExportJob.Status.READY) -> ExportJob:
    job = ExportJob(requested_by=user, kind=ExportJob.Kind.COMPLIANCE_XLSX, params={"year": 2025}, status=status,
                    created_at=finished_at, finished_at=finished_at, done=2, total=2)
    job.file.save("x.xlsx", ContentFile(b"PK\x03\x04 fake workbook"), save=False)
    job.save()
    return job


def bundle(user, unit, *, finished_at) -> CertificateBundle:
    row = CertificateBundle(unit=unit, year=2025, requested_by=user, status=CertificateBundle.Status.READY,
                            created_at=finished_at, finished_at=finished_at)
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
