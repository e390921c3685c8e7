"""The database out of reach answers 503 wherever it failed (ce_portal/outage.py). The real outage, with a
PostgreSQL cluster stopped under load, is tests/faults/test_postgres_restart.py; these pin the one case it
meets only by chance: the database going away between the view and the session's save on the way out."""
import json

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.exceptions import SessionInterrupted
from django.db import OperationalError

from ce_portal.outage import bad_request


def interrupted(cause: Exception | None) -> SessionInterrupted:
    """What SessionMiddleware raises when the session's save fails, as Django raises it."""
    try:
        try:
            if cause is not None:
                raise cause
            raise UpdateError
        except Exception:
            raise UpdateError
    except UpdateError:
        try:
            raise SessionInterrupted("The request's session was deleted before the request completed.")
        except SessionInterrupted as exc:
            return exc


@pytest.mark.parametrize("path", ["/me/", "/api/v1/units/"])
def test_a_session_save_lost_with_the_database_is_a_503_saying_busy(rf, path):
    response = bad_request(rf.get(path), interrupted(OperationalError("connection to server failed")))
    assert response.status_code == 503 and response["Retry-After"] == "30"
    if path.startswith("/api/"):
        assert json.loads(response.content)["code"] == "service_unavailable"
    else:
        assert "系统繁忙，请稍后再试" in response.content.decode()


def test_a_session_really_deleted_meanwhile_stays_a_400(rf):
    assert bad_request(rf.get("/me/"), interrupted(None)).status_code == 400
