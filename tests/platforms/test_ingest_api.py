"""POST /api/v1/platform/records/: authentication, batch refusals, per-record outcomes, crediting."""
import datetime as dt
import json
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from platforms.ingest import rules as ingest
from platforms.ingest.models import PlatformToken
from platforms.ingest.services import platform_records_ingest
from records.hours.models import MakeUpExemption, PersonYearTotal, PlatformRecord, RequirementPolicy
from records.hours.selectors import credited_hours
from records.people.models import Professional
from tests.factories import ProfessionalFactory, UserFactory
from tests.platforms.helpers import NOW, RECORDS_URL, SHANGHAI, client_for, issue, make_platform, post, record_for
from tests.threads import at_once

pytestmark = pytest.mark.usefixtures("frozen")


def results_of(response) -> list[tuple]:
    return [(r["status"], r.get("code")) for r in response.json()["results"]]


def assert_nothing_registered():
    assert not PlatformRecord.objects.exists()
    assert not PersonYearTotal.objects.exists()


# ---- created, duplicate, conflict ------------------------------------------------------------------

def test_a_record_is_registered_and_credited_at_once(alice, bob, public_platform, public_token):
    response = post(client_for(public_token), {"records": [
        record_for(alice, 1, hours="2.5"), record_for(alice, 2, hours=3), record_for(bob, 3, hours="1.5"),
    ]})

    assert response.status_code == 200
    body = response.json()
    assert (body["received"], body["created"], body["duplicate"], body["rejected"]) == (3, 3, 0, 0)
    assert body["results"][0] == {"index": 0, "external_id": "EXT-1", "status": "created"}
    row = PlatformRecord.objects.get(platform=public_platform, external_id="EXT-1")
    assert (row.professional, row.category, row.hours, row.year) == (alice, "public", D("2.5"), 2025)
    assert row.completed_at == dt.datetime(2025, 5, 1, 10, 30, tzinfo=SHANGHAI)
    assert row.received_at == NOW
    assert credited_hours(alice.pk, 2025) == (D("5.5"), D("0"))
    assert credited_hours(bob.pk, 2025) == (D("1.5"), D("0"))


def test_a_registered_record_shows_on_the_professionals_page(client, alice, public_platform, public_token):
    post(client_for(public_token), {"records": [record_for(alice, 1, course_title="专业技术人员诚信建设", hours="2.5")]})

    client.force_login(alice.user)
    page = client.get("/me/").content.decode()

    assert "专业技术人员诚信建设" in page
    assert f"<td>平台：{public_platform.name}</td>" in page


def test_resending_the_same_records_is_a_no_op_duplicate(alice, public_token):
    batch = {"records": [record_for(alice, 1), record_for(alice, 2)]}
    post(client_for(public_token), batch)

    again = post(client_for(public_token), batch)

    assert results_of(again) == [("duplicate", None), ("duplicate", None)]
    assert PlatformRecord.objects.count() == 2
    assert credited_hours(alice.pk, 2025) == (D("4"), D("0"))


def test_a_resend_in_another_but_equivalent_form_is_a_duplicate(alice, public_token):
    post(client_for(public_token), {"records": [record_for(alice, 1, hours="2")]})

    again = post(client_for(public_token), {"records": [
        record_for(alice, 1, hours=2.0, completed_at="2025-05-01T02:30:00Z", name=f" {alice.name} "),
    ]})

    assert results_of(again) == [("duplicate", None)]


def test_the_same_external_id_with_other_content_is_a_conflict_that_changes_nothing(alice, public_token):
    post(client_for(public_token), {"records": [record_for(alice, 1, hours="2")]})

    response = post(client_for(public_token), {"records": [record_for(alice, 1, hours="8"), record_for(alice, 2)]})

    assert results_of(response) == [("rejected", "conflict"), ("created", None)]
    assert response.json()["results"][0]["field"] == "external_id"
    assert PlatformRecord.objects.get(external_id="EXT-1").hours == D("2")
    assert credited_hours(alice.pk, 2025) == (D("4"), D("0"))


def test_external_ids_are_unique_per_platform_not_across_platforms(alice, public_platform, public_token):
    other = make_platform("public", name="另一公需平台")
    post(client_for(public_token), {"records": [record_for(alice, 1)]})

    response = post(client_for(issue(other)), {"records": [record_for(alice, 1)]})

    assert results_of(response) == [("created", None)]
    assert credited_hours(alice.pk, 2025) == (D("4"), D("0"))


def test_a_resend_after_the_year_closed_is_still_a_duplicate(alice, public_token, frozen):
    batch = {"records": [record_for(alice, 1, completed_at="2025-12-30T09:00:00+08:00")]}
    frozen.move_to(dt.datetime(2025, 12, 31, 9, 0, tzinfo=SHANGHAI))
    post(client_for(public_token), batch)
    frozen.move_to(dt.datetime(2026, 1, 5, 9, 0, tzinfo=SHANGHAI))

    again = post(client_for(public_token), batch)
    changed = post(client_for(public_token), {"records": [{**batch["records"][0], "hours": "5"}]})

    assert results_of(again) == [("duplicate", None)]
    assert results_of(changed) == [("rejected", "conflict")]


# ---- record-level refusals --------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"external_id": None}, "missing_field", "external_id"),
        ({"course_title": ""}, "missing_field", "course_title"),
        ({"external_id": "x" * 65}, "invalid_external_id", "external_id"),
        ({"id_number": "12345"}, "invalid_id_number", "id_number"),
        ({"name": 42}, "invalid_name", "name"),
        ({"course_title": "课\x00程"}, "invalid_course_title", "course_title"),
        ({"category": "公需"}, "invalid_category", "category"),
        ({"hours": "1.3"}, "invalid_hours", "hours"),
        ({"hours": 0}, "invalid_hours", "hours"),
        ({"hours": "61"}, "invalid_hours", "hours"),
        ({"hours": "两小时"}, "invalid_hours", "hours"),
        ({"completed_at": "2025/05/01"}, "invalid_completed_at", "completed_at"),
        ({"completed_at": "2025-06-16T10:00:00+08:00"}, "future_completion", "completed_at"),
        ({"category": "professional"}, "category_not_allowed", "category"),
        ({"completed_at": "2023-05-01T10:00:00+08:00"}, "platform_not_approved_for_year", "completed_at"),
        ({"id_number": "41040019650101999X"}, "invalid_id_number", "id_number"),  # its check digit is 6
        ({"id_number": "410400196501019996"}, "unknown_learner", "id_number"),
        ({"name": "李博"}, "name_mismatch", "name"),
    ],
)
def test_each_bad_record_is_rejected_with_its_code_and_changes_nothing(alice, public_token, overrides, code, field):
    response = post(client_for(public_token), {"records": [record_for(alice, 1, **overrides)]})

    assert response.status_code == 200
    result = response.json()["results"][0]
    assert (result["status"], result["code"], result["field"]) == ("rejected", code, field)
    assert result["message"]  # a Chinese sentence a vendor can act on
    assert code in ingest.RECORD_CODES  # documented in the schema
    assert_nothing_registered()


def test_a_record_that_is_not_an_object_is_rejected(public_token, db):
    response = post(client_for(public_token), {"records": ["EXT-1", None]})
    assert results_of(response) == [("rejected", "invalid_record"), ("rejected", "invalid_record")]
    assert_nothing_registered()


def test_a_public_platform_cannot_register_professional_hours_and_vice_versa(alice, professional_platform,
                                                                               public_token):
    professional_token = issue(professional_platform)

    to_public = post(client_for(public_token), {"records": [record_for(alice, 1, category="professional")]})
    to_professional = post(client_for(professional_token), {"records": [record_for(alice, 2, category="public")]})
    allowed = post(client_for(professional_token), {"records": [record_for(alice, 3, category="professional")]})

    assert results_of(to_public) == [("rejected", "category_not_allowed")]
    assert "公需科目" in to_public.json()["results"][0]["message"]
    assert results_of(to_professional) == [("rejected", "category_not_allowed")]
    assert results_of(allowed) == [("created", None)]
    assert credited_hours(alice.pk, 2025) == (D("0"), D("2"))


def test_a_repeated_external_id_in_one_batch_is_rejected_and_the_first_registered(alice, public_token):
    response = post(client_for(public_token), {"records": [record_for(alice, 1), record_for(alice, 1, hours="5")]})
    assert results_of(response) == [("created", None), ("rejected", "duplicate_in_batch")]
    assert credited_hours(alice.pk, 2025) == (D("2"), D("0"))


def test_a_closed_year_is_refused(alice, public_token, frozen):
    # Past the 15 days after the close in which a record completed before it is still taken (test_late_push.py).
    frozen.move_to(dt.datetime(2026, 1, 16, 0, 0, 1, tzinfo=SHANGHAI))
    response = post(client_for(public_token), {"records": [record_for(alice, 1, completed_at="2025-12-31T23:00:00")]})
    assert results_of(response) == [("rejected", "year_closed")]
    assert_nothing_registered()


def test_the_year_closes_at_the_policy_filing_close(alice, public_token):
    RequirementPolicy.objects.update_or_create(year=2025, defaults={
        # Completed on 1 May, before this close, but pushed on 15 June: after the close's 15 days of grace.
        "filing_closes_at": dt.datetime(2025, 5, 20, tzinfo=SHANGHAI)})
    response = post(client_for(public_token), {"records": [record_for(alice, 1)]})
    assert results_of(response) == [("rejected", "year_closed")]


def test_a_make_up_exemption_reopens_the_closed_year_for_that_person_only(alice, bob, cheng, public_token, frozen):
    frozen.move_to(dt.datetime(2026, 2, 1, 9, 0, tzinfo=SHANGHAI))
    MakeUpExemption.objects.create(professional=alice, year=2025, reason="病休", granted_by=cheng,
                                   expires_at=dt.datetime(2026, 3, 1, tzinfo=SHANGHAI))
    expired = ProfessionalFactory()
    MakeUpExemption.objects.create(professional=expired, year=2025, reason="出差", granted_by=cheng,
                                   expires_at=dt.datetime(2026, 1, 15, tzinfo=SHANGHAI))
    when = {"completed_at": "2025-12-20T10:00:00+08:00"}

    response = post(client_for(public_token), {"records": [
        record_for(alice, 1, **when), record_for(bob, 2, **when), record_for(expired, 3, **when),
    ]})

    assert results_of(response) == [("created", None), ("rejected", "year_closed"), ("rejected", "year_closed")]
    assert credited_hours(alice.pk, 2025) == (D("2"), D("0"))


def test_a_pending_learner_is_accepted_and_a_refused_one_rejected(public_token, db):
    pending = ProfessionalFactory(status=Professional.Status.PENDING)
    refused = ProfessionalFactory(status=Professional.Status.REJECTED)
    response = post(client_for(public_token), {"records": [record_for(pending, 1), record_for(refused, 2)]})
    assert results_of(response) == [("created", None), ("rejected", "learner_rejected")]


def test_the_id_number_check_letter_may_be_lower_case(public_token, db):
    person = ProfessionalFactory(id_number="41040019650101903X")
    response = post(client_for(public_token), {"records": [record_for(person, 1, id_number="41040019650101903x")]})
    assert results_of(response) == [("created", None)]


def test_one_bad_record_does_not_affect_the_others(alice, bob, public_token):
    response = post(client_for(public_token), {"records": [
        record_for(alice, 1), record_for(alice, 2, hours="-3"), record_for(bob, 3, name="别人"), record_for(bob, 4),
    ]})
    assert results_of(response) == [
        ("created", None), ("rejected", "invalid_hours"), ("rejected", "name_mismatch"), ("created", None),
    ]
    assert set(PlatformRecord.objects.values_list("external_id", flat=True)) == {"EXT-1", "EXT-4"}


# ---- batch-level refusals ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "malformed_json"),
        (b'{"records": [{"hours": NaN}]}', "malformed_json"),
        (b"\xff\xfe\x00garbage", "malformed_json"),
        (b"[" * 100_000 + b"]" * 100_000, "malformed_json"),
        (b"[]", "invalid_batch"),
        (b'"records"', "invalid_batch"),
        (b'{"records": {"external_id": "x"}}', "invalid_batch"),
        (b'{"records": []}', "empty_batch"),
        (b"", "invalid_batch"),
    ],
)
def test_a_bad_body_is_a_400_with_a_clear_message(public_token, body, code):
    response = client_for(public_token).post(RECORDS_URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["message"]
    assert (400, code) in ingest.BATCH_CODES
    assert_nothing_registered()


def test_a_batch_over_the_limit_is_refused_whole(alice, public_token):
    response = post(client_for(public_token), {"records": [record_for(alice, n) for n in range(1001)]})
    assert response.status_code == 400
    assert response.json()["code"] == "batch_too_large"
    assert "1000" in response.json()["message"]
    assert_nothing_registered()


def test_an_oversized_body_is_a_413(public_token, db):
    body = json.dumps({"records": [], "padding": "x" * (ingest.MAX_BODY_BYTES + 1)})
    response = client_for(public_token).post(RECORDS_URL, body, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (413, "payload_too_large")


def test_a_body_that_is_not_json_is_a_415(public_token, db):
    response = client_for(public_token).post(RECORDS_URL, "records=1", content_type="application/x-www-form-urlencoded")
    assert (response.status_code, response.json()["code"]) == (415, "unsupported_media_type")


def test_only_post_is_allowed(public_token, db):
    response = client_for(public_token).get(RECORDS_URL)
    assert (response.status_code, response.json()["code"]) == (405, "method_not_allowed")


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "not_authenticated"),
        ("Bearer", "invalid_token"),
        ("Token abc", "invalid_token"),
        ("Bearer cep_not-a-real-token", "invalid_token"),
    ],
)
def test_a_missing_or_wrong_token_is_a_401(alice, public_token, header, code):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = post(client_for(None), {"records": [record_for(alice)]}, **extra)
    assert response.status_code == 401
    assert response.json()["code"] == code
    assert (401, code) in ingest.BATCH_CODES
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert_nothing_registered()


def test_a_revoked_token_is_a_401(alice, public_token, frozen):
    PlatformToken.objects.update(revoked_at=NOW)
    response = post(client_for(public_token), {"records": [record_for(alice)]})
    assert (response.status_code, response.json()["code"]) == (401, "token_revoked")
    assert_nothing_registered()


def test_an_inactive_platform_is_a_403(alice, public_platform, public_token):
    public_platform.active = False
    public_platform.save()
    response = post(client_for(public_token), {"records": [record_for(alice)]})
    assert (response.status_code, response.json()["code"]) == (403, "platform_inactive")
    assert_nothing_registered()


def test_a_logged_in_person_is_not_a_platform(alice, public_token):
    client = client_for(None)
    client.force_login(UserFactory(username="admin", is_superuser=True, is_staff=True))
    response = post(client, {"records": [record_for(alice)]})
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")


def test_using_a_token_marks_it_used_at_most_once_a_minute(alice, public_token, frozen):
    post(client_for(public_token), {"records": [record_for(alice, 1)]})
    assert PlatformToken.objects.get().last_used_at == NOW
    frozen.shift(30)
    post(client_for(public_token), {"records": [record_for(alice, 2)]})
    assert PlatformToken.objects.get().last_used_at == NOW
    frozen.shift(31)
    post(client_for(public_token), {"records": [record_for(alice, 3)]})
    assert PlatformToken.objects.get().last_used_at == NOW + dt.timedelta(seconds=61)


# ---- cost ------------------------------------------------------------------------------------------

def test_a_batch_costs_the_same_few_queries_whatever_its_size(public_token, db):
    people = ProfessionalFactory.create_batch(40)

    def queries_for(batch) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            response = post(client_for(public_token), {"records": batch})
        assert response.status_code == 200
        # The test's own transaction turns the service's atomic block into savepoints: not work of ours.
        return [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]

    small = queries_for([record_for(p, f"s{i}") for i, p in enumerate(people[:2])])
    # 1,000 records of 40 people: new ones, resends, conflicts and refusals all in one batch.
    mixed = [record_for(people[i % 40], f"s{i}" if i < 2 else f"m{i}", hours="2" if i else "3")
             for i in range(1000)]
    mixed[500]["name"] = "别人"
    large = queries_for(mixed)

    # token (+ its last-used mark, once a minute), learners, policies, staging table (its COPY is not a
    # query Django sees), insert, (stored hashes), year totals
    assert len(small) <= 7, small
    assert len(large) <= 7, large


# ---- concurrency -----------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_two_concurrent_pushes_of_the_same_batch_register_and_credit_once(public_platform):
    people = ProfessionalFactory.create_batch(20)
    batch = [record_for(people[i % 20], i) for i in range(400)]
    outcomes = at_once(lambda: platform_records_ingest(platform=public_platform, records=batch, now=NOW))

    statuses = sorted(o.status for run in outcomes for o in run)
    assert statuses == ["created"] * 400 + ["duplicate"] * 400
    assert PlatformRecord.objects.count() == 400
    assert credited_hours(people[0].pk, 2025) == (D("2") * 20, D("0"))


# ---- never a 500 -----------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=3),
    max_leaves=12,
)
record_like = st.fixed_dictionaries({}, optional={
    "external_id": json_values | st.text(min_size=1, max_size=70),
    "id_number": json_values | st.just("41040019650101903X"),
    "name": json_values | st.just("张爱丽"),
    "course_title": json_values | st.text(max_size=210),
    "category": json_values | st.sampled_from(["public", "professional"]),
    "hours": json_values | st.decimals(allow_nan=False).map(str),
    "completed_at": json_values | st.datetimes(timezones=st.just(SHANGHAI)).map(lambda d: d.isoformat()),
})
bodies = json_values | st.fixed_dictionaries({"records": st.lists(record_like | json_values, max_size=5)})


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_no_body_ever_causes_a_500(public_token, body):
    response = client_for(public_token).post(RECORDS_URL, json.dumps(body), content_type="application/json")
    assert response.status_code in (200, 400), response.content
    payload = response.json()
    if response.status_code == 200:
        assert payload["received"] == len(body["records"])
        assert {r["status"] for r in payload["results"]} <= {"created", "duplicate", "rejected"}
    else:
        assert payload["code"] in {"invalid_batch", "empty_batch", "malformed_json"}  # Infinity is not JSON
