"""The timers run by a real Celery worker (a separate process) against Redis and the test database."""
import datetime as dt
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from audits.monitor.models import OverdueSnapshot
from audits.monitor.tasks import refresh_overdue_snapshot
from audits.review.tasks import mark_overdue_claims
from records.hours.models import Claim
from tests.factories import ClaimFactory

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.celery,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def _redis_broker():
    # Not a skip: without Redis this test cannot show what it is for, so it fails and says why.
    assert settings.REDIS_URL, "REDIS_URL must name the test Redis (scripts/test sets it): the worker's broker"


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def worker_queue():
    """A worker on a queue of its own (so no other worker on the same Redis takes our jobs)."""
    queue = f"ce_timers_test_{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": _database_url(), "REDIS_URL": settings.REDIS_URL,
           "CONN_MAX_AGE": "0", "CELERY_TASK_ALWAYS_EAGER": "false"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "ce_portal", "worker", "-Q", queue, "-P", "prefork", "-c", "2",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    try:
        yield queue
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def test_a_real_worker_flags_overdue_claims_once_even_when_run_twice_at_once(worker_queue, alice, bob):
    # Due dates far from any clock the machine may have, so the worker's own (real) today decides nothing.
    overdue = [*ClaimFactory.create_batch(3, professional=alice, due_on=dt.date(2025, 10, 10)),
               ClaimFactory(professional=bob, status="unit_approved", due_on=dt.date(2025, 10, 17))]
    not_yet = ClaimFactory(professional=alice, due_on=dt.date(2099, 12, 31))

    results = [mark_overdue_claims.apply_async(queue=worker_queue) for _ in range(2)]
    flagged = [r.get(timeout=120) for r in results]

    assert sum(flagged) == len(overdue)
    assert set(Claim.objects.filter(overdue_since__isnull=False).values_list("pk", flat=True)) == {
        c.pk for c in overdue}
    not_yet.refresh_from_db()
    assert not_yet.overdue_since is None
    assert Claim.objects.filter(pk__in=[c.pk for c in overdue], status__in=["submitted", "unit_approved"]).count() == 4

    assert refresh_overdue_snapshot.apply_async(queue=worker_queue).get(timeout=120) > 0
    total = OverdueSnapshot.objects.get(region=alice.employments.get().unit.region, unit=None, authority=None)
    assert (total.pending, total.overdue) == (5, 4)
