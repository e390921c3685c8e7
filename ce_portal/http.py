def client_ip(request) -> str | None:
    """The client's address, as the audit trail and the per-client rate limits record it.

    One place on purpose: behind a reverse proxy this is where X-Forwarded-For handling would go.
    """
    return request.META.get("REMOTE_ADDR") or None
