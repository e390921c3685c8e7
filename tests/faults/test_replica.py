"""Issue 15: heavy reads from a real streaming replica, the rest from the primary, and the primary when the
replica is down or behind.

Real processes: a private primary cluster holding a copy of the test database, a standby made from it with
pg_basebackup that streams its WAL, and the portal under gunicorn with DATABASE_URL on the primary and
REPLICA_DATABASE_URL on the standby. Both clusters log every statement, so the test reads in their logs which
server answered a page.
"""
import datetime as dt
import re
import time

import pytest
from django.test import Client

from ce_portal.replica import ReplicaRouter, replica_lag_seconds, replica_reads
from records.hours.models import Claim
from tests.factories import ClaimFactory
from tests.faults.processes import PrivatePostgres, Portal, database_url, serving_portal, wait_until

pytestmark = [pytest.mark.django_db(transaction=True)]

# A statement that reads the claims or the monitors' figures: what a monitor export and a claim page are
# made of (who may see them — sessions, users, role memberships — is always decided on the primary).
PORTAL_TABLE_READ = re.compile(r'statement: SELECT .*FROM "(records_claim|audits_overduesnapshot)"')


class Log:
    """What a cluster logged since the last look."""

    def __init__(self, cluster: PrivatePostgres):
        self.cluster, self.seen = cluster, cluster.log.stat().st_size

    def new_table_reads(self) -> int:
        with self.cluster.log.open("rb") as log:
            log.seek(self.seen)
            text = log.read().decode("utf-8", "replace")
        self.seen += len(text.encode())
        return len(PORTAL_TABLE_READ.findall(text))


@pytest.fixture
def clusters():
    primary = PrivatePostgres(server_settings=("log_statement=all",))
    try:
        primary.start()
        yield primary
    finally:
        primary.remove()


@pytest.fixture
def portals(clusters, xin, alice, xinhua):
    """The portal on primary + standby, with the county bureau (xin) and alice signed in."""
    primary = clusters
    ClaimFactory(professional=alice, title="急诊急救技能面授培训", due_on=dt.date(2025, 10, 10))
    county, person = Client(), Client()
    county.force_login(xin)
    person.force_login(alice.user)
    primary.copy_of(database_url())
    standby = PrivatePostgres.standby_of(primary, server_settings=("log_statement=all",))
    standby.start()
    try:
        env = {"DATABASE_URL": primary.url, "REPLICA_DATABASE_URL": standby.url,
               "REPLICA_CHECK_SECONDS": "0", "REPLICA_MAX_LAG_SECONDS": "2"}
        with serving_portal(env, county.cookies["sessionid"].value, ready_path=f"/monitor/region/{xinhua.pk}/") as portal:
            yield portal, Portal(portal.port, person.cookies["sessionid"].value), primary, standby
    finally:
        standby.remove()


def copy_of_claim_on(primary: PrivatePostgres, claim_id: int, title: str) -> int:
    """A new claim written straight to the primary (as a filing would be): a copy of one with a new id."""
    return int(primary.sql(
        "CREATE TEMP TABLE c AS SELECT * FROM records_claim WHERE id = %d; "
        "UPDATE c SET id = nextval('records_claim_id_seq'), title = '%s'; "
        "INSERT INTO records_claim SELECT * FROM c RETURNING id" % (claim_id, title)).splitlines()[-1])


def test_monitors_read_the_replica_and_a_persons_own_claim_reads_the_primary(portals, alice, xinhua):
    county, person, primary, standby = portals
    on_primary, on_standby = Log(primary), Log(standby)

    status, _ = county.get(f"/monitor/region/{xinhua.pk}/export.csv")
    assert status == 200
    assert on_standby.new_table_reads() > 0
    assert on_primary.new_table_reads() == 0

    # The standby stops replaying: what is filed now is on the primary only.
    standby.sql("SELECT pg_wal_replay_pause()")
    new_id = copy_of_claim_on(primary, Claim.objects.get(professional=alice).pk, "刚刚提交的申报")
    assert standby.sql(f"SELECT count(*) FROM records_claim WHERE id = {new_id}") == "0"

    status, page = person.get(f"/me/claims/{new_id}/")
    assert status == 200 and "刚刚提交的申报" in page
    assert on_primary.new_table_reads() > 0
    assert on_standby.new_table_reads() == 0


def test_a_replica_behind_or_down_leaves_the_heavy_reads_to_the_primary(portals, alice, xinhua):
    county, _, primary, standby = portals
    export = f"/monitor/region/{xinhua.pk}/export.csv"
    on_primary, on_standby = Log(primary), Log(standby)

    standby.sql("SELECT pg_wal_replay_pause()")
    copy_of_claim_on(primary, Claim.objects.get(professional=alice).pk, "回放暂停后的申报")
    time.sleep(2.5)  # REPLICA_MAX_LAG_SECONDS is 2 in this portal
    assert county.get(export)[0] == 200
    assert on_primary.new_table_reads() > 0
    assert on_standby.new_table_reads() == 0

    # Caught up again: back to the standby.
    standby.sql("SELECT pg_wal_replay_resume()")
    wait_until(lambda: standby.sql("SELECT pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()") == "t",
               timeout=20, what="the standby replays what it received")
    assert county.get(export)[0] == 200
    assert on_standby.new_table_reads() > 0
    on_primary.new_table_reads()

    standby.stop()
    status, body = county.get(export)
    assert status == 200 and "回放暂停后的申报" not in body  # a CSV of figures, served all the same
    assert on_primary.new_table_reads() > 0


def test_the_router_reads_the_primary_without_a_replica_and_never_writes_elsewhere():
    router = ReplicaRouter()
    with replica_reads():
        assert router.db_for_read(Claim) is None  # no REPLICA_DATABASE_URL: the default database
    assert router.db_for_write(Claim) == "default"
    assert router.allow_migrate("replica", "records") is False


@pytest.mark.parametrize(("row", "lag"), [
    ((True, 3600.0), 0.0),  # all received is replayed: an idle primary is no lag
    ((False, 4.5), 4.5),
    ((False, None), float("inf")),  # nothing replayed yet
])
def test_replica_lag(row, lag):
    assert replica_lag_seconds(row) == lag
