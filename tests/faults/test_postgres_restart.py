"""Issue 11, faults: PostgreSQL restarted under load. While it is down every request gets a clean 503 (系统繁忙，
请稍后再试 on a page, `service_unavailable` in the API), never a 500; once it is back the same portal
processes answer again, without a restart of their own.

Real processes: a private PostgreSQL cluster holding a copy of the test database, the portal under gunicorn
against it, a client thread requesting a signed-in page in a loop while the cluster is stopped and started.
"""
import json
import threading

import pytest

from tests.certificate_data import make_compliant
from tests.faults.processes import database_url, serving_portal, wait_until

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def portal(private_postgres, client, alice):
    """gunicorn against the private cluster, with alice signed in (her session copied with the database)."""
    make_compliant(alice)
    client.force_login(alice.user)
    private_postgres.copy_of(database_url())
    with serving_portal({"DATABASE_URL": private_postgres.url}, client.cookies["sessionid"].value) as portal:
        yield portal


def test_requests_fail_cleanly_while_postgresql_is_down_and_succeed_again_once_it_is_back(
        portal, private_postgres, alice):
    answers: list[int] = []
    bodies: dict[int, str] = {}
    running = threading.Event()
    running.set()

    def load():
        while running.is_set():
            status, body = portal.get("/me/")
            answers.append(status)
            bodies.setdefault(status, body)

    client_thread = threading.Thread(target=load)
    client_thread.start()
    try:
        wait_until(lambda: len(answers) >= 5, timeout=20, what="requests answered before the stop")
        down_from = len(answers)
        private_postgres.stop()
        wait_until(lambda: answers.count(503) >= 5, timeout=20, what=f"503s while the database is down (so far {sorted(set(answers))})")
        api_status, api_body = portal.get(f"/api/v1/compliance/{alice.id_number}/2025/")
        private_postgres.start()
        up_from = len(answers)
        wait_until(lambda: answers[up_from:].count(200) >= 5, timeout=30, what="answers again once it is back")
    finally:
        running.clear()
        client_thread.join(timeout=30)

    assert set(answers) <= {200, 503}, f"answers: {sorted(set(answers))}"  # never a 500
    assert set(answers[:down_from]) == {200}
    assert "系统繁忙，请稍后再试" in bodies[503] and "Traceback" not in bodies[503]
    assert api_status == 503 and json.loads(api_body)["code"] == "service_unavailable"
    assert answers[-1] == 200

    # A restart with nobody asking meanwhile: the process's kept connection is dead, and the health check
    # replaces it before the first query, so the very first request after it succeeds.
    private_postgres.restart()
    status, page = portal.get("/me/")
    assert status == 200 and alice.name in page
