"""The database unreachable (restarting, failing over): a clear 503 to come back later, never a 500.

Django reconnects at the next request once the database is back (CONN_HEALTH_CHECKS in settings), so the
portal recovers by itself; meanwhile people read 系统繁忙，请稍后再试 and API clients the code
`service_unavailable`, with Retry-After, and nothing was changed (the request's transaction never began or
was rolled back).

The project's handler500 and handler400 (ce_portal/urls.py) rather than a middleware's process_exception: the
database can fail outside the view too, when the session is saved on the way out (SESSION_SAVE_EVERY_REQUEST).
A save that fails there is reported by Django as the session having been deleted meanwhile, a 400
(SessionInterrupted); its chain of exceptions still names the database, which is what is looked for.
"""
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults

MESSAGE = "系统繁忙，请稍后再试。"

RETRY_AFTER_SECONDS = 30


def _database_out_of_reach(exception: BaseException | None) -> bool:
    """The exception, or one it was raised while handling, says the database could not be reached."""
    while exception is not None:
        if isinstance(exception, (OperationalError, InterfaceError)):
            return True
        exception = exception.__cause__ or exception.__context__
    return False


def _unavailable(request):
    if request.path.startswith("/api/"):
        response = JsonResponse({"code": "service_unavailable", "message": MESSAGE}, status=503,
                                json_dumps_params={"ensure_ascii": False})
    else:
        # Without the request: its context processors would ask the database who is signed in.
        response = HttpResponse(render_to_string("503.html", {"message": MESSAGE}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request):
    """handler500: a 503 when the cause is the database being out of reach, Django's 500 page otherwise."""
    if _database_out_of_reach(sys.exc_info()[1]):
        return _unavailable(request)
    return defaults.server_error(request)


def bad_request(request, exception):
    """handler400: the same for a session that could not be saved because the database went away."""
    if _database_out_of_reach(exception):
        return _unavailable(request)
    return defaults.bad_request(request, exception)
