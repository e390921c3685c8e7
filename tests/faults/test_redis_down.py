"""Issue 11, faults: Redis stopped. Professionals still file and reviewers still decide, quickly; work asked
for meanwhile stays queued in the database and is done once Redis is back (the sweep queues it again).

A private redis-server is the portal's cache (sessions, badges, rate limits) and broker for the test; it is
really stopped and started again on the same port.
"""
import logging
import time

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from ce_portal.downloads import stalled_downloads_sweep
from ce_portal.jobs import Verdict
from records.certificates.models import CertificateBundle
from records.hours.models import Claim
from tests.audits.review_helpers import claim_with_evidence, open_all
from tests.faults.processes import app_broker, wait_until, worker_env
from tests.records.evidence_bytes import upload
from tests.records.test_claims import FRIDAY, form_data

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

QUICK = 3.0  # seconds: a request must not hang on the missing Redis


@pytest.fixture
def redis_is_the_portals(private_redis, settings):
    settings.CACHES = {**settings.CACHES, "default": {
        "BACKEND": "ce_portal.cache.FailSoftRedisCache", "LOCATION": private_redis.url,
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2}}}
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
    with app_broker(private_redis.url, {"socket_connect_timeout": 1}):
        yield private_redis


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_with_redis_stopped_people_file_and_decide_and_queued_work_is_done_once_it_returns(
        redis_is_the_portals, workers, client, alice, bob, ada, unit_a, caplog):
    redis = redis_is_the_portals
    waiting = claim_with_evidence(alice)
    open_all(ada, waiting)
    professional, reviewer = client, client.__class__()
    professional.force_login(bob.user)
    reviewer.force_login(ada)

    redis.stop()
    with time_machine.travel(FRIDAY, tick=True), caplog.at_level(logging.WARNING):
        filed, filing_took = timed(lambda: professional.post(
            reverse("records:claim_new"), {**form_data(), "action": "submit", "evidence": [upload()]}))
        decided, deciding_took = timed(lambda: reviewer.post(
            reverse("review:decide", args=[waiting.pk]), {"action": "approve", "version": 0}))
        asked, asking_took = timed(lambda: reviewer.post(
            reverse("records:certificate_bundles"), {"unit": unit_a.pk, "year": 2025}))

    assert filed.status_code == 302 and Claim.objects.get(professional=bob).status == "submitted"
    assert decided.status_code == 302 and Claim.objects.get(pk=waiting.pk).status == "unit_approved"
    assert asked.status_code == 302
    assert max(filing_took, deciding_took, asking_took) < QUICK
    bundle = CertificateBundle.objects.get()
    assert bundle.status == CertificateBundle.Status.PENDING  # asked for, but no message could be sent
    assert any("not queued now" in r.getMessage() for r in caplog.records)
    assert any("cache unavailable" in r.getMessage() for r in caplog.records)

    redis.start()
    workers(worker_env(redis_url=redis.url))
    assert stalled_downloads_sweep(now=timezone.now())[Verdict.REQUEUE] == 1

    def done():
        bundle.refresh_from_db()
        return bundle.status == CertificateBundle.Status.READY

    wait_until(done, timeout=60, what="the bundle asked for while Redis was down is built", every=0.2)
    assert bundle.attempts == 1
