import ipaddress
import time

from django.conf import settings
from django.core.cache import cache


def forwarded_client(remote_addr: str | None, forwarded_for: str, trusted_proxies: int) -> str | None:
    """The client's address, given the connection's peer, the X-Forwarded-For header and how many proxies of
    ours stand in front of the portal.

    Each proxy appends the address it was connected from, so the last `trusted_proxies` entries were written
    by our own proxies and the one they name first is the client; anything to the left of it came from the
    client and may be forged. With no proxy (the embedded default) the header is ignored altogether, and a
    header too short or not an address falls back to the peer: it did not pass through all our proxies.
    """
    if trusted_proxies <= 0:
        return remote_addr or None
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    if len(hops) < trusted_proxies:
        return remote_addr or None
    candidate = hops[-trusted_proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote_addr or None


def client_ip(request) -> str | None:
    """The client's address, as the audit trail, the per-client rate limits and the login lock-out
    (`AXES_CLIENT_IP_CALLABLE`) record it; X-Forwarded-For counts only behind `TRUSTED_PROXY_COUNT` proxies."""
    return forwarded_client(request.META.get("REMOTE_ADDR"), request.META.get("HTTP_X_FORWARDED_FOR", ""),
                            settings.TRUSTED_PROXY_COUNT)


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
