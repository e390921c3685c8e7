import time

from django.core.cache import cache


def client_ip(request) -> str | None:
    """The client's address, as the audit trail and the per-client rate limits record it.

    One place on purpose: behind a reverse proxy this is where X-Forwarded-For handling would go.
    """
    return request.META.get("REMOTE_ADDR") or None


def rate_limited(request, bucket: str, per_minute: int) -> bool:
    """Count this request against `bucket` for its client address; True once the client has made more than
    `per_minute` of them in the current minute. A fixed one-minute window, counted in the shared cache (Redis
    in production), so every web process sees the same count."""
    key = f"rate:{bucket}:{client_ip(request) or ''}:{int(time.time() // 60)}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # the window's key expired between add and incr
        cache.add(key, 1, timeout=120)
        count = 1
    return count > per_minute
