"""The API answers as /api/schema/ says it does (issue 11, finding 11).

schemathesis reads the schema the portal serves, generates requests from it for every operation (valid ones,
and invalid ones: wrong types, missing fields, undeclared methods, no or bad credentials), sends them to the
portal's WSGI application in this process and checks every answer with all its checks: no 5xx, only
documented status codes, content types, bodies and headers, invalid data refused, authentication enforced.

The callers are real: the session of a user who is both county HR of 新华区 and reviewer of a unit there (so
each registry operation is reachable), and a platform's bearer token. Bounded and repeatable: a few
examples per operation, derandomized, no deadline (the machine is shared), well under a minute.
"""
import secrets

import pytest
import schemathesis
import time_machine
from django.conf import settings
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from records.people.models import Role
from tests.factories import ProfessionalFactory, UnitFactory, UserFactory, grant, region
from tests.platforms.helpers import NOW, issue, make_platform

pytestmark = pytest.mark.django_db

CSRF_TOKEN = secrets.token_hex(16)  # Django takes an unmasked 32-character secret as cookie and header alike

CONFIG = {
    "checks": {
        # A schema-valid request may still break a rule no schema can state (an ID number's checksum, a
        # unit or an authority that exists, a year not yet begun): the portal refuses it 400 with its code.
        "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "403", "404", "429"]},
    },
    "operations": [{
        # A platform's batch is answered record by record: a malformed record inside a well-formed batch is
        # `rejected` in a 200 (docs/platform-api.md), and `every_record_is_answered` below holds that.
        "include-operation-id": "platform_records_ingest",
        "checks": {"negative_data_rejection": {"expected-statuses": ["200", "400", "401", "403", "413", "415"]}},
    }],
}


@schemathesis.check
def every_record_is_answered(ctx, response, case):
    """A 200 to a platform's push answers each record it sent, once, with a status that adds up."""
    pushed = case.operation.path == "/api/v1/platform/records/" and response.request.method == "POST"
    if not pushed or response.status_code != 200:
        return None
    body, sent = response.json(), case.body["records"]
    assert body["received"] == len(sent) == len(body["results"])
    assert body["created"] + body["duplicate"] + body["rejected"] == body["received"]
    assert [result["index"] for result in body["results"]] == list(range(len(sent)))
    return None


@pytest.fixture
def portal_wsgi(db):
    """The portal's WSGI application, in this process and inside this test's transaction. As Django's test
    client does, the connection stays open across requests (a request's end would close it, and the
    transaction with it)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(portal_wsgi):
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", portal_wsgi,
                                          config=schemathesis.Config.from_dict(CONFIG))


@pytest.fixture
def callers(db):
    xinhua = region("新华区")
    unit = UnitFactory(name="新华区第一医院", region=xinhua)
    ProfessionalFactory(name="张爱丽", unit=unit)
    user = UserFactory(username="api_caller")
    grant(user, Role.COUNTY_HR, xinhua)
    grant(user, Role.UNIT_REVIEWER, unit)
    browser = Client()
    browser.force_login(user)
    session = {settings.SESSION_COOKIE_NAME: browser.cookies[settings.SESSION_COOKIE_NAME].value,
               settings.CSRF_COOKIE_NAME: CSRF_TOKEN}
    return {"session": session, "token": issue(make_platform("public"))}


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@hypothesis_settings(max_examples=20, deadline=None, derandomize=True, database=None,
                     suppress_health_check=list(HealthCheck))
def test_the_api_answers_as_its_schema_says(case, callers):
    if case.path.startswith("/api/v1/platform/"):
        headers, cookies = {"Authorization": f"Bearer {callers['token']}"}, {}
    else:
        headers, cookies = {"X-CSRFToken": CSRF_TOKEN}, callers["session"]
    with time_machine.travel(NOW, tick=False):
        case.call_and_validate(headers=headers, cookies=cookies)
