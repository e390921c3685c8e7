"""The database unreachable (restarting, failing over): a clear 503 to come back later, never a 500.

Django reconnects at the next request once the database is back (CONN_HEALTH_CHECKS in settings), so the
portal recovers by itself; meanwhile people read 系统繁忙，请稍后再试 and API clients the code
`service_unavailable`, with Retry-After, and nothing was changed (the request's transaction never began or
was rolled back).

The project's handler500 (ce_portal/urls.py) rather than a middleware's process_exception: the database can
fail outside the view too, when the session is saved on the way out (SESSION_SAVE_EVERY_REQUEST), and every
uncaught exception, wherever it was raised, reaches handler500 with the exception still being handled.
"""
import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults

logger = logging.getLogger(__name__)

MESSAGE = "系统繁忙，请稍后再试。"

RETRY_AFTER_SECONDS = 30


def server_error(request):
    """handler500: a 503 when the cause is the database being out of reach, Django's 500 page otherwise."""
    if not isinstance(sys.exc_info()[1], (OperationalError, InterfaceError)):
        return defaults.server_error(request)
    if request.path.startswith("/api/"):
        response = JsonResponse({"code": "service_unavailable", "message": MESSAGE}, status=503)
    else:
        # Without the request: its context processors would ask the database who is signed in.
        response = HttpResponse(render_to_string("503.html", {"message": MESSAGE}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
