"""Missing data is not non-compliance (issue 12, case 8).

For a year before the portal held any records (`RECORDS_SINCE`), or before a person was registered in it
when no hours reached them, the portal holds nothing: the lists, their counts and exports, and the API say
无记录 / `no_record`, a distinct state, instead of "not compliant" with 0/0.
"""
import datetime as dt
from decimal import Decimal as D

import pytest
import time_machine
from django.urls import reverse

from ce_portal.clock import SHANGHAI
from records.compliance.selectors import compliance_list
from records.hours.models import PersonYearTotal
from records.hours.rules import year_on_record
from records.people.models import Professional

NOW = dt.datetime(2025, 10, 15, 10, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_a_year_is_on_record_from_the_portals_start_and_the_persons_registration_or_first_hours():
    registered = dt.date(2025, 3, 1)
    assert not year_on_record(2022, records_since=2023, registered_on=dt.date(2020, 1, 1), has_hours=True)
    assert not year_on_record(2024, records_since=2023, registered_on=registered, has_hours=False)
    assert year_on_record(2024, records_since=2023, registered_on=registered, has_hours=True)
    assert year_on_record(2025, records_since=2023, registered_on=registered, has_hours=False)


@pytest.fixture
def registered_this_year(alice, bob):
    """Both registered in March 2025, employed since 2020; bob's platform pushed him 2024 hours afterwards."""
    Professional.objects.filter(pk__in=[alice.pk, bob.pk]).update(
        created_at=dt.datetime(2025, 3, 1, 9, tzinfo=SHANGHAI))
    for person in (alice, bob):
        person.employments.update(started_on=dt.date(2020, 1, 1))
    PersonYearTotal.objects.create(professional=bob, year=2024, public_hours=D("10"), professional_hours=D("0"))
    return alice, bob


@pytest.mark.django_db
def test_the_list_of_a_year_before_registration_says_no_record_not_non_compliant(client, registered_this_year, xin):
    alice, bob = registered_this_year
    listing = compliance_list(xin, year=2024)
    rows = {row.professional_id: row for row in listing[0:50]}
    assert rows[alice.pk].state == "no_record" and not rows[alice.pk].compliant
    assert rows[bob.pk].state == "not_compliant"  # hours reached him for 2024: on record, short
    assert (listing.counts.total, listing.counts.no_record, listing.counts.non_compliant) == (2, 1, 1)

    client.force_login(xin)
    page = client.get(reverse("records:compliance"), {"year": 2024}).content.decode()
    assert f'data-professional="{alice.pk}" data-compliant="none"' in page
    assert 'data-count="no_record"' in page
    only_none = client.get(reverse("records:compliance"), {"year": 2024, "compliant": "none"}).content.decode()
    assert f'data-professional="{alice.pk}"' in only_none and f'data-professional="{bob.pk}"' not in only_none
    only_short = client.get(reverse("records:compliance"), {"year": 2024, "compliant": "no"}).content.decode()
    assert f'data-professional="{bob.pk}"' in only_short and f'data-professional="{alice.pk}"' not in only_short
    csv_text = b"".join(client.get(reverse("records:compliance_csv"), {"year": 2024}).streaming_content).decode("utf-8-sig")
    assert "无记录" in csv_text and "无记录 1 人" in csv_text


def _ask(client, person, year):
    return client.post(reverse("registry_api:compliance"), {"id_number": person.id_number, "year": year},
                       content_type="application/json")


@pytest.mark.django_db
def test_the_api_answers_no_record_with_compliant_null(client, registered_this_year, xin):
    alice, bob = registered_this_year
    client.force_login(xin)
    body = _ask(client, alice, 2024).json()
    assert (body["state"], body["compliant"], body["total_hours"]) == ("no_record", None, "0.0")
    assert (_ask(client, bob, 2024).json()["state"], _ask(client, bob, 2024).json()["compliant"]) == (
        "not_compliant", False)
    assert _ask(client, alice, 2025).json()["state"] == "not_compliant"


@pytest.mark.django_db
def test_a_year_before_the_portal_held_records_is_no_record_for_everyone(client, alice, xin, settings):
    PersonYearTotal.objects.create(professional=alice, year=2025, public_hours=D("30"), professional_hours=D("60"))
    settings.RECORDS_SINCE = 2026  # as if the city started the portal next year and looked back
    client.force_login(xin)
    assert _ask(client, alice, 2025).json()["state"] == "no_record"
    listing = compliance_list(xin, year=2025)
    assert listing.counts.no_record == listing.counts.total == 1
    assert listing.counts.compliant == 0
