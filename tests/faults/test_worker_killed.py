"""Issue 11, finding 7: a worker killed mid-bundle loses nothing, on Redis and on the filesystem broker.

Real processes: a Celery worker starts building a unit's certificate bundle, is SIGKILLed (with its pool)
while it renders, a new worker starts, and the sweep finds the bundle stalled in the database and queues it
again; the new worker finishes it with every certificate in it.
"""
import datetime as dt
import signal
import zipfile

import pytest
from django.utils import timezone

from ce_portal.downloads import stalled_downloads_sweep
from ce_portal.jobs import Verdict
from records.certificates.models import Certificate, CertificateBundle
from records.certificates.services import STALE_RENDER, certificate_bundle_request, stalled_renders_sweep
from tests.certificate_data import make_compliant
from tests.factories import ProfessionalFactory
from tests.faults.processes import app_broker, filesystem_transport_options, stop, wait_until, worker_env

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

PEOPLE = 8  # below BUNDLE_FAN_OUT_MIN: the bundle's own worker renders every certificate


@pytest.fixture(params=["redis", "filesystem"])
def broker(request, tmp_path):
    """(worker environment, this process's broker) for a private Redis or a private filesystem folder."""
    if request.param == "redis":
        redis = request.getfixturevalue("private_redis")
        with app_broker(redis.url, {"socket_connect_timeout": 1}):
            yield worker_env(redis_url=redis.url)
    else:
        folder = tmp_path / "celery"
        with app_broker("filesystem://", filesystem_transport_options(folder)):
            yield worker_env(filesystem_dir=folder)


def test_a_bundle_whose_worker_was_killed_mid_render_is_queued_again_by_the_sweep_and_finished(
        broker, workers, ada, unit_a):
    for n in range(PEOPLE):
        make_compliant(ProfessionalFactory(name=f"员工{n:02d}", unit=unit_a))
    first = workers(broker)
    bundle = certificate_bundle_request(actor=ada, unit_id=unit_a.pk, year=2025, now=timezone.now())

    def rendering():
        bundle.refresh_from_db()
        return (bundle.status == CertificateBundle.Status.RUNNING
                and Certificate.objects.filter(render_status=Certificate.RenderStatus.RENDERING).exists())

    wait_until(rendering, timeout=45, what="the first worker renders the bundle's certificates")
    stop(first, sig=signal.SIGKILL)

    bundle.refresh_from_db()
    assert (bundle.status, bundle.attempts) == (CertificateBundle.Status.RUNNING, 1)
    assert bundle.done < PEOPLE  # lost mid-way: nothing will move it on its own

    workers(broker)
    # The sweep as it runs once the time limits have passed without a heartbeat.
    later = timezone.now() + max(CertificateBundle.time_limit, STALE_RENDER) + dt.timedelta(seconds=1)
    assert stalled_renders_sweep(now=later)[Verdict.REQUEUE] >= 1  # the rendering the dead worker held
    assert stalled_downloads_sweep(now=later)[Verdict.REQUEUE] == 1

    def finished():
        bundle.refresh_from_db()
        return bundle.status in (CertificateBundle.Status.READY, CertificateBundle.Status.FAILED)

    wait_until(finished, timeout=90, what="the new worker finishes the bundle", every=0.2)
    assert (bundle.status, bundle.attempts, bundle.included, bundle.done) == (
        CertificateBundle.Status.READY, 2, PEOPLE, PEOPLE)
    with bundle.file.open("rb") as zipped:
        assert len([n for n in zipfile.ZipFile(zipped).namelist() if n.endswith(".pdf")]) == PEOPLE
