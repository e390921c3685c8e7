"""Heavy reads from a PostgreSQL streaming replica, everything else from the primary.

Only the code that asks reads from the replica: the monitors, the compliance lists and their exports, the
screening scan (`reads_from_replica` on a view, `replica_reads()` around a task's reading). Writes, the
log-in, the session and every page that shows a person what they just filed stay on the primary, so nobody
reads an older copy of their own work. The replica is used only while it answers and is no further behind
than REPLICA_MAX_LAG_SECONDS; otherwise those reads go to the primary too: a replica that is down or lagging
makes the portal slower, never wrong or broken. Without REPLICA_DATABASE_URL there is no replica and this
module changes nothing.
"""
import contextvars
import functools
import logging
import time
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
# Django's own tables (session, user, permissions) are read-your-own-writes by nature: a session written at
# log-in must be found by the next request whatever the replica's lag.
_PRIMARY_ONLY_APPS = frozenset({"auth", "sessions", "contenttypes", "admin", "axes"})

_wanted = contextvars.ContextVar("replica_reads_wanted", default=False)
# Per process: (checked at, usable). One lag query every few seconds, not one a request.
_health: dict[str, tuple[float, bool]] = {}


def replica_lag_seconds(lag_sql_result) -> float:
    """The lag as the replica reports it: 0 when everything received is replayed (an idle primary leaves the
    last replayed transaction old, which is no lag), otherwise the age of the last replayed transaction."""
    caught_up, age = lag_sql_result
    if caught_up:
        return 0.0
    return float(age) if age is not None else float("inf")


_LAG_SQL = ("SELECT pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn(), "
            "EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())")


def _check() -> bool:
    connection = connections[REPLICA]
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute(_LAG_SQL)
            lag = replica_lag_seconds(cursor.fetchone())
    except DatabaseError:
        logger.warning("replica unreachable: heavy reads go to the primary", exc_info=True)
        connection.close()
        return False
    if lag > settings.REPLICA_MAX_LAG_SECONDS:
        logger.warning("replica %.1f s behind: heavy reads go to the primary", lag)
        return False
    return True


def replica_usable(*, now: float | None = None) -> bool:
    if REPLICA not in settings.DATABASES:
        return False
    now = time.monotonic() if now is None else now
    checked_at, usable = _health.get(REPLICA, (float("-inf"), False))
    if now - checked_at >= settings.REPLICA_CHECK_SECONDS:
        usable = _check()
        _health[REPLICA] = (now, usable)
    return usable


def forget_replica_health() -> None:
    """Check again at the next read (after the replica was stopped or started, say)."""
    _health.clear()


@contextmanager
def replica_reads():
    token = _wanted.set(True)
    try:
        yield
    finally:
        _wanted.reset(token)


def reads_from_replica(view):
    """The view's own reads may come from the replica. Put it below the access decorators, so that who may
    see the page is decided on the primary."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        with replica_reads():
            return view(*args, **kwargs)
    return wrapped


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _wanted.get() and model._meta.app_label not in _PRIMARY_ONLY_APPS and replica_usable():
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database: the replica is a copy of the primary

    def allow_migrate(self, db, app_label, **hints):
        return db == "default"
