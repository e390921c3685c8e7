"""Issue 11, faults: backups. scripts/backup dumps the database and the media files; scripts/restore-drill
restores the newest dump into a scratch database, compares row counts with the source and checks the audit
trail's hash chain, and fails on a dump whose trail was tampered with. Both run for real, as scripts."""
import os
import subprocess
import sys
import tarfile
import uuid

import pytest
from django.conf import settings
from django.utils import timezone

from records.certificates.services import certificate_obtain
from tests.certificate_data import make_compliant
from tests.faults.processes import ROOT, database_url

pytestmark = [pytest.mark.django_db(transaction=True)]


def run(script, env, *args):
    return subprocess.run([str(ROOT / "scripts" / script), *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def backup_env(tmp_path, alice, bob):
    for person in (alice, bob):
        make_compliant(person)
        certificate_obtain(professional=person, year=2025, now=timezone.now(), actor=person.user)  # audited
    evidence = settings.MEDIA_ROOT / "evidence" / "2025" / "scan.pdf"
    evidence.parent.mkdir(parents=True)
    evidence.write_bytes(b"%PDF-1.4 evidence")
    return {**os.environ, "DATABASE_URL": database_url(), "BACKUP_DIR": str(tmp_path / "backups"),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT), "PYTHON": sys.executable}


def psql(url, sql):
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql], check=True, timeout=60,
                   stdout=subprocess.DEVNULL)


def tampered_copy(dump, backups):
    """The dump with one audit event's content altered (the trail's trigger refuses updates, so it is
    disabled on the copy), saved as the newest backup."""
    server = database_url().rsplit("/", 1)[0]
    scratch = f"ce_portal_tamper_{uuid.uuid4().hex[:8]}"
    psql(f"{server}/postgres", f'CREATE DATABASE "{scratch}"')
    try:
        subprocess.run(["pg_restore", "--no-owner", "-d", f"{server}/{scratch}", str(dump)], check=True, timeout=60)
        psql(f"{server}/{scratch}", "ALTER TABLE audits_auditevent DISABLE TRIGGER ALL; "
             "UPDATE audits_auditevent SET after = after || '{\"hours\": \"999\"}' "
             "WHERE id = (SELECT min(id) FROM audits_auditevent)")
        newest = backups / "ce_portal-99991231-235959.dump"
        subprocess.run(["pg_dump", "-Fc", "--no-owner", "-d", f"{server}/{scratch}", "-f", str(newest)], check=True,
                       timeout=60)
    finally:
        psql(f"{server}/postgres", f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
    return newest


def test_the_backup_restores_with_every_row_and_an_unbroken_trail_and_a_tampered_one_fails_the_drill(
        backup_env, tmp_path):
    backup = run("backup", backup_env)
    assert backup.returncode == 0, backup.stderr
    backups = tmp_path / "backups"
    [dump] = backups.glob("ce_portal-*.dump")
    assert dump.name == backup.stdout.strip().rsplit("/", 1)[-1]
    [media] = backups.glob("ce_portal-media-*.tar.gz")
    assert "./evidence/2025/scan.pdf" in tarfile.open(media).getnames()

    drill = run("restore-drill", backup_env)
    assert drill.returncode == 0, drill.stdout + drill.stderr
    assert "restore drill passed" in drill.stdout and "审计日志哈希链完整" in drill.stdout
    assert "records_certificate" in drill.stdout and "MISMATCH" not in drill.stdout

    tampered_copy(dump, backups)
    drill = run("restore-drill", backup_env)
    assert drill.returncode == 1
    assert "审计日志哈希链在第" in drill.stderr and "restore drill FAILED" in drill.stderr
    leftovers = subprocess.run(["psql", "-Atq", "-d", database_url().rsplit("/", 1)[0] + "/postgres", "-c",
                                "SELECT count(*) FROM pg_database WHERE datname LIKE 'ce_portal_drill_%'"],
                               capture_output=True, text=True, check=True).stdout.strip()
    assert leftovers == "0"  # the scratch databases are dropped, passed or failed


def test_the_backup_refuses_clearly_without_a_postgresql_database(backup_env):
    without = {k: v for k, v in backup_env.items() if k != "DATABASE_URL"}
    refused = run("backup", without)
    assert refused.returncode == 2 and "DATABASE_URL is not set" in refused.stderr
    sqlite = run("backup", {**backup_env, "DATABASE_URL": "sqlite:///ce_portal.sqlite3"})
    assert sqlite.returncode == 2 and "not a PostgreSQL database" in sqlite.stderr
