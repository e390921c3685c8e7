"""The nightly sweep removes stored files that no row names (a killed upload's leftovers), and nothing else."""
import datetime as dt
import os

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from ce_portal.storage import ORPHAN_AGE, orphan_files_sweep
from tests.factories import SHANGHAI, ClaimFactory, EvidenceFileFactory

NOW = dt.datetime(2025, 10, 15, 3, 45, tzinfo=SHANGHAI)

pytestmark = pytest.mark.django_db


def stored(name: str, *, age: dt.timedelta) -> str:
    name = default_storage.save(name, ContentFile(b"%PDF-1.4 leftover"))
    moment = (NOW - age).timestamp()
    os.utime(default_storage.path(name), (moment, moment))
    return name


def test_it_removes_old_files_no_row_names_and_keeps_the_rest(alice):
    evidence = EvidenceFileFactory(claim=ClaimFactory(professional=alice))
    long_ago = (NOW - ORPHAN_AGE * 3).timestamp()
    os.utime(default_storage.path(evidence.file.name), (long_ago, long_ago))
    killed_upload = stored("evidence/2025/10/0123456789abcdef", age=ORPHAN_AGE * 2)
    still_uploading = stored("evidence/2025/10/fedcba9876543210", age=dt.timedelta(minutes=5))
    old_export = stored("exports/2025/09/abc.xlsx", age=ORPHAN_AGE * 30)

    assert sorted(orphan_files_sweep(now=NOW)) == sorted([killed_upload, old_export])
    assert default_storage.exists(evidence.file.name)  # named by its row, however old
    assert default_storage.exists(still_uploading)  # may belong to a transaction still open
    assert not default_storage.exists(killed_upload) and not default_storage.exists(old_export)
    assert orphan_files_sweep(now=NOW) == []  # a second run finds nothing


def test_it_does_nothing_before_anything_is_stored(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "never-created"
    assert orphan_files_sweep(now=NOW) == []
