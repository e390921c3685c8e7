"""A session ends after a working day without a request, and lasts as long as its owner keeps working
(issue 11, finding 5): 8 hours, counted again from every request."""
import datetime as dt

import pytest
import redis
import time_machine
from django.conf import settings
from django.core.cache import cache

from tests.factories import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
MONDAY_9AM = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)


def cached_copy(client) -> tuple[redis.Redis, str]:
    """Production's cached_db sessions (the tests run with REDIS_URL): the Redis key of the session's copy."""
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
    key = cache.make_and_validate_key("django.contrib.sessions.cached_db" + client.session.session_key)
    return redis.Redis.from_url(settings.REDIS_URL), key


def still_logged_in(client) -> bool:
    # Redis counts its TTLs on the real clock, which time-machine cannot move: the cached copy is dropped as
    # Redis would drop it, so the session's fate is what the database's expiry date (on the moved clock) says.
    cache.clear()
    return client.get("/me/").status_code == 200


def test_a_session_idle_for_a_working_day_is_logged_out(client, alice):
    with time_machine.travel(MONDAY_9AM, tick=False) as clock:
        assert client.post("/login/", {"username": "alice", "password": DEMO_PASSWORD}).status_code == 302
        clock.shift(dt.timedelta(hours=7, minutes=59))
        assert still_logged_in(client)
        clock.shift(dt.timedelta(hours=8, minutes=1))  # since that last request
        assert not still_logged_in(client)
        assert client.get("/me/").url.startswith("/login/")


def test_a_session_used_every_hour_lasts_the_whole_day_and_beyond(client, alice):
    with time_machine.travel(MONDAY_9AM, tick=False) as clock:
        client.post("/login/", {"username": "alice", "password": DEMO_PASSWORD})
        for _ in range(12):
            clock.shift(dt.timedelta(hours=1))
            assert still_logged_in(client)


def test_every_request_renews_the_cached_copy_for_eight_hours(client, alice):
    client.post("/login/", {"username": "alice", "password": DEMO_PASSWORD})
    server, key = cached_copy(client)
    assert 8 * 3600 - 60 < server.ttl(key) <= 8 * 3600
    server.expire(key, 60)  # as if the last request had been almost 8 hours ago
    assert client.get("/me/").status_code == 200
    assert 8 * 3600 - 60 < server.ttl(key) <= 8 * 3600
