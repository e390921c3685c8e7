"""Django's Redis cache, failing soft: while Redis is down the cache answers as an empty one.

Everything the portal keeps in Redis can be done without: sessions are written through to the database
(SESSION_ENGINE cached_db), the unread badge and the compliance filters are recomputed, the working-day
calendar keeps the version it has. So a stopped Redis must not stop a professional filing or a reviewer
deciding. Each outage is logged; the per-client rate limits (ce_portal/http.py) count nothing meanwhile.
"""
import functools
import logging

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)


def _key_missing(*args):
    # Django's answer for incrementing a key that is not there: callers already handle it.
    raise ValueError("cache unavailable")


# What each operation answers while Redis is down: what an empty cache would.
_WHEN_DOWN = {
    "add": lambda *a: False, "get": lambda key, default: default, "set": lambda *a: None,
    "touch": lambda *a: False, "delete": lambda *a: False, "get_many": lambda *a: {},
    "has_key": lambda *a: False, "incr": _key_missing, "set_many": lambda *a: [], "delete_many": lambda *a: None,
    "clear": lambda *a: False,
}


def _fail_soft(name, method):
    @functools.wraps(method)
    def wrapper(self, *args):
        try:
            return method(self, *args)
        except (RedisConnectionError, RedisTimeoutError):
            logger.warning("cache unavailable: %s answered as by an empty cache", name, exc_info=True)
            return _WHEN_DOWN[name](*args)
    return wrapper


FailSoftClient = type("FailSoftClient", (RedisCacheClient,), {
    name: _fail_soft(name, getattr(RedisCacheClient, name)) for name in _WHEN_DOWN
})


class FailSoftRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = FailSoftClient
