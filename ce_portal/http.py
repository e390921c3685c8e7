import ipaddress
import re
import time
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import render


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
    `per_minute` of them in the current minute."""
    return over_limit(bucket, client_ip(request) or "", limit=per_minute, window_seconds=60)


def over_limit(bucket: str, subject: str, *, limit: int, window_seconds: int) -> bool:
    """Count one more try by `subject` (a client address, a digest of what was typed) against `bucket`; True
    once it has made more than `limit` of them in the current window. A fixed window, counted in the shared
    cache (Redis in production), so every web process sees the same count."""
    key = f"rate:{bucket}:{subject}:{window_seconds}:{int(time.time() // window_seconds)}"
    cache.add(key, 0, timeout=2 * window_seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # the window's key expired between add and incr
        cache.add(key, 1, timeout=2 * window_seconds)
        count = 1
    return count > limit


MB = 1024 * 1024


class BodyRefusal(NamedTuple):
    status: int
    code: str
    message: str


def _megabytes(size: int) -> str:
    return f"{size / MB:.1f}".removesuffix(".0")


def body_refusal(*, content_length: str | None, transfer_encoding: str | None, limit: int) -> BodyRefusal | None:
    """Why a request's body is refused before it is read, or None.

    A body sent in chunks names no length, so nothing could be checked before reading it (and Django would
    read it as empty): it is refused outright. A declared length over `limit` is refused as it stands; within
    the limit, Django never reads past the declared length, so the body cannot grow beyond it either.
    """
    if transfer_encoding:
        return BodyRefusal(411, "length_required",
                           "请求须注明内容长度（Content-Length），不接受分块传输的请求体；未接收，也没有保存任何内容。")
    try:
        size = int(content_length or 0)
    except ValueError:
        return None  # Django reads such a body as empty
    if size > limit:
        return BodyRefusal(413, "payload_too_large",
                           f"提交的内容（{_megabytes(size)} MB）超过此处允许的 {_megabytes(limit)} MB，未接收，"
                           "也没有保存任何内容。请缩小文件（例如降低扫描分辨率）或分次提交。")
    return None


class RequestBodyLimitMiddleware:
    """Refuses a body larger than its page accepts (REQUEST_BODY_LIMITS, first matching path pattern, else
    REQUEST_BODY_DEFAULT_LIMIT) before anything reads it: DATA_UPLOAD_MAX_MEMORY_SIZE leaves uploaded files
    uncounted, and the CSRF check reads the whole form. 413 (411 for a chunked body), a Chinese page, or
    {"code", "message"} under /api/. Placed before every middleware that could read the body."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.limits = [(re.compile(pattern), limit) for pattern, limit in settings.REQUEST_BODY_LIMITS]

    def limit_for(self, path: str) -> int:
        return next((limit for pattern, limit in self.limits if pattern.match(path)),
                    settings.REQUEST_BODY_DEFAULT_LIMIT)

    def __call__(self, request):
        refusal = body_refusal(content_length=request.META.get("CONTENT_LENGTH"),
                               transfer_encoding=request.META.get("HTTP_TRANSFER_ENCODING"),
                               limit=self.limit_for(request.path_info))
        if refusal is None:
            return self.get_response(request)
        if request.path_info.startswith("/api/"):
            response = JsonResponse({"code": refusal.code, "message": refusal.message}, status=refusal.status)
        else:
            response = render(request, "request_refused.html", {"message": refusal.message}, status=refusal.status)
        # The answer's own length, so the client can read it whole while the unread body is still on its way.
        response["Content-Length"] = str(len(response.content))
        return response
