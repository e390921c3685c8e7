"""Issue 15: Celery queues by kind of work, and acks-late tasks that a killed worker leaves done exactly once.

Real processes on a private redis-server: a `reports` worker busy rendering certificates does not hold up the
overdue marking, which a `timers` worker does meanwhile; a worker SIGKILLed in the middle of a certificate
render leaves it to the next worker, and the PDF is rendered and stored once.
"""
import datetime as dt
import signal
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from ce_portal.celery import app as celery_app
from ce_portal.jobs import Verdict
from ce_portal.queue import enqueue
from platforms.registry.models import LearningPlatform
from records.certificates.models import Certificate
from records.certificates.services import STALE_RENDER, certificate_request, stalled_renders_sweep
from records.hours.models import Claim, PlatformRecord
from records.hours.services import recompute_year_totals
from tests.certificate_data import make_compliant
from tests.factories import SHANGHAI, ClaimFactory, person_with_login
from tests.faults.processes import app_broker, stop, wait_until, worker_env

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("task", "queue"), [
    ("audits.review.tasks.mark_overdue_claims", "timers"),
    ("audits.review.tasks.remind_due_reviews", "timers"),
    ("audits.monitor.tasks.send_overdue_digests", "timers"),
    ("audits.review.tasks.mail_pending_notifications", "timers"),
    ("records.certificates.tasks.sweep_stalled_renders", "timers"),
    ("records.certificates.tasks.certificate_render_task", "reports"),
    ("records.certificates.tasks.certificate_bundle_task", "reports"),
    ("records.compliance.tasks.compliance_export_task", "reports"),
    ("audits.screening.tasks.screen_incremental", "screening"),
    ("audits.coach.tasks.send_shortfall_messages", "reports"),
    ("records.people.tasks.password_reset_mail", "timers"),
])
def test_each_kind_of_work_goes_to_its_queue(task, queue):
    assert celery_app.amqp.router.route({}, task)["queue"].name == queue
    assert queue in {q.name for q in settings.CELERY_TASK_QUEUES}


@pytest.fixture
def redis_broker(private_redis):
    with app_broker(private_redis.url, {"socket_connect_timeout": 1}):
        yield worker_env(redis_url=private_redis.url)


def slow_to_render(person, records: int = 250):
    """A compliant year plus `records` short courses: a certificate of several pages, seconds to render."""
    make_compliant(person)
    platform = LearningPlatform.objects.filter(category="public").order_by("pk").first()
    PlatformRecord.objects.bulk_create(
        PlatformRecord(platform=platform, professional=person, external_id=f"{person.pk}-short-{n}",
                       course_title=f"专题讲座第{n + 1}讲", category="public", hours=Decimal("0.1"), year=2025,
                       content_hash=f"{n:064d}",
                       completed_at=dt.datetime(2025, 5, 1, 20, tzinfo=SHANGHAI) + dt.timedelta(hours=n))
        for n in range(records)
    )
    recompute_year_totals([(person.pk, 2025)])


def test_a_busy_reports_worker_does_not_delay_the_overdue_marking(redis_broker, workers, unit_a, alice):
    people = [person_with_login(f"staff{n}", f"员工{n}", unit_a) for n in range(4)]
    for person in people:
        slow_to_render(person)
    # Due long ago, whatever the worker's real clock says.
    overdue = ClaimFactory.create_batch(3, professional=alice, due_on=dt.date(2025, 10, 10))
    workers(redis_broker, queues=("reports",))
    workers(redis_broker, queues=("timers",))

    certificates = [certificate_request(actor=p.user, professional=p, year=2025, now=timezone.now()) for p in people]
    wait_until(lambda: Certificate.objects.filter(render_status=Certificate.RenderStatus.RENDERING).exists(),
               timeout=45, what="the reports worker starts rendering")
    enqueue("audits.review.tasks.mark_overdue_claims")

    wait_until(lambda: Claim.objects.filter(pk__in=[c.pk for c in overdue], overdue_since__isnull=False).count() == 3,
               timeout=30, what="the timers worker flags the overdue claims")
    # Done while the reports queue is still working through the certificates queued before it.
    assert Certificate.objects.filter(pk__in=[c.pk for c in certificates]).exclude(
        render_status=Certificate.RenderStatus.READY).exists()


def test_a_worker_killed_mid_render_leaves_the_certificate_rendered_exactly_once(redis_broker, workers, unit_a):
    person = person_with_login("cut", "被中断的人", unit_a)
    slow_to_render(person, records=400)
    first = workers(redis_broker, queues=("reports",))
    certificate = certificate_request(actor=person.user, professional=person, year=2025, now=timezone.now())

    def rendering():
        certificate.refresh_from_db()
        return certificate.render_status == Certificate.RenderStatus.RENDERING

    wait_until(rendering, timeout=45, what="the first worker starts rendering")
    stop(first, sig=signal.SIGKILL)
    certificate.refresh_from_db()
    assert (certificate.render_status, certificate.render_attempts, certificate.pdf.name) == (
        Certificate.RenderStatus.RENDERING, 1, "")

    workers(redis_broker, queues=("reports", "timers"))
    later = timezone.now() + STALE_RENDER + dt.timedelta(seconds=1)
    assert stalled_renders_sweep(now=later)[Verdict.REQUEUE] == 1

    def ready():
        certificate.refresh_from_db()
        return certificate.render_status == Certificate.RenderStatus.READY

    wait_until(ready, timeout=90, what="the new worker renders the certificate", every=0.2)
    # The message the dead worker held (acks-late) and the sweep's both reach a worker; the claim on the row
    # lets one render. A later sweep finds nothing to do.
    assert stalled_renders_sweep(now=later + STALE_RENDER)[Verdict.REQUEUE] == 0
    stored = default_storage.listdir(f"certificates/{certificate.year}")[1]
    assert stored == [certificate.pdf.name.rsplit("/", 1)[1]]
    assert certificate.render_attempts == 2
