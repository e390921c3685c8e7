"""Issue 15: the portal behind PgBouncer in transaction mode (DATABASE_POOLER_TRANSACTION_MODE).

Real processes: a private cluster with a copy of the test database, PgBouncer in transaction mode with two
server connections handed out in turn, and the portal under gunicorn with two workers that keep their
connections to PgBouncer. Pages that run the same queries many times (psycopg would prepare them) and the
CSV export that streams its rows with .iterator() (a server-side cursor) all answer.
"""
import threading

import pytest
from django.test import Client

from tests.certificate_data import make_compliant
from tests.faults.processes import Portal, PrivatePgBouncer, database_url, serving_portal

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pooled_portal(private_postgres, alice, xin):
    make_compliant(alice)
    county = Client()
    county.force_login(xin)
    person = Client()
    person.force_login(alice.user)
    private_postgres.copy_of(database_url())
    bouncer = PrivatePgBouncer(private_postgres)
    try:
        env = {"DATABASE_URL": bouncer.url, "DATABASE_POOLER_TRANSACTION_MODE": "true", "WEB_CONCURRENCY": "2"}
        with serving_portal(env, person.cookies["sessionid"].value, workers=2) as portal:
            yield portal, Portal(portal.port, county.cookies["sessionid"].value)
    finally:
        bouncer.stop()


def test_pages_and_streamed_exports_work_through_pgbouncer_in_transaction_mode(pooled_portal, xinhua):
    person, county = pooled_portal
    pages = [(person, "/me/"), (county, f"/monitor/region/{xinhua.pk}/export.csv"),
             (county, "/compliance/list.csv?year=2025"), (county, "/compliance/?year=2025")]
    answers: list[tuple[str, int]] = []

    def browse():
        for _ in range(12):  # well past psycopg's prepare threshold of 5 runs of a query
            for portal, path in pages:
                answers.append((path, portal.get(path)[0]))

    threads = [threading.Thread(target=browse) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(answers) == 3 * 12 * len(pages)
    assert {status for _, status in answers} == {200}, sorted({a for a in answers if a[1] != 200})
