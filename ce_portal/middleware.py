"""The database unreachable (restarting, failing over): a clear 503 to come back later, never a traceback.

Django reconnects at the next request once the database is back (CONN_HEALTH_CHECKS in settings), so the
portal recovers by itself; meanwhile people read 系统繁忙，请稍后再试 and API clients the code
`service_unavailable`, with Retry-After, and nothing was changed (the request's transaction never began or
was rolled back).
"""
import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

MESSAGE = "系统繁忙，请稍后再试。"

RETRY_AFTER_SECONDS = 30


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.error("database unavailable: %s %s answered 503", request.method, request.path, exc_info=exception)
        if request.path.startswith("/api/"):
            response = JsonResponse({"code": "service_unavailable", "message": MESSAGE}, status=503)
        else:
            # Without the request: its context processors would ask the database who is signed in.
            response = HttpResponse(render_to_string("503.html", {"message": MESSAGE}), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
