"""People between jobs can still file and be reviewed (issue 12, case 4).

A person whose employment ended on 31 May files, in September, a claim for an activity on 10 May: the unit
that employed them on the activity's date reviews it (a person with a current employer is reviewed by it,
as before). Without any employer they still log in and see their history.
"""
import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from audits.review.services import review_decide
from ce_portal.clock import SHANGHAI
from records.hours.models import Claim
from tests.audits.review_helpers import open_all
from tests.factories import ClaimFactory
from tests.records.evidence_bytes import upload
from tests.records.test_claims import form_data

SEPTEMBER = dt.datetime(2025, 9, 26, 10, tzinfo=SHANGHAI)
MAY_ACTIVITY = {"start_date": "2025-05-10", "end_date": "2025-05-10", "hours": "8"}


@pytest.fixture
def left_in_may(alice):
    alice.employments.update(started_on=dt.date(2020, 3, 1), ended_on=dt.date(2025, 5, 31))
    return alice


@pytest.mark.django_db
def test_a_claim_for_an_activity_at_the_former_unit_goes_to_that_unit(client, left_in_may, ada, unit_a):
    client.force_login(left_in_may.user)
    with time_machine.travel(SEPTEMBER, tick=False):
        home = client.get(reverse("records:my_home"))
        assert home.status_code == 200
        response = client.post(reverse("records:claim_new"),
                               {**form_data(**MAY_ACTIVITY), "action": "submit", "evidence": [upload()]})
    assert response.status_code == 302, response.content.decode()
    claim = Claim.objects.get()
    assert (claim.status, claim.unit, claim.region) == ("submitted", unit_a, unit_a.region)
    assert claim.level2_authority == unit_a.authority

    # The former unit's reviewer finds it, opens the papers and decides it.
    client.force_login(ada)
    with time_machine.travel(SEPTEMBER, tick=False):
        queue = client.get(reverse("review:queue")).content.decode()
        assert claim.title in queue
        assert client.get(reverse("review:claim", args=[claim.pk])).status_code == 200
        evidence = claim.evidence.get()
        assert client.get(reverse("records:evidence_download", args=[evidence.pk])).status_code == 200
    open_all(ada, claim, now=SEPTEMBER)
    review_decide(claim_id=claim.pk, reviewer=ada, action="approve", now=SEPTEMBER)
    claim.refresh_from_db()
    assert claim.status == "unit_approved"


@pytest.mark.django_db
def test_an_activity_after_the_employment_ended_still_has_nobody_to_review_it(client, left_in_may):
    client.force_login(left_in_may.user)
    with time_machine.travel(SEPTEMBER, tick=False):
        response = client.post(reverse("records:claim_new"), {**form_data(), "action": "submit", "evidence": [upload()]})
    assert response.status_code == 200
    assert "今天或活动期间的任职单位记录" in response.content.decode()
    assert not Claim.objects.exists()


@pytest.mark.django_db
def test_someone_employed_nowhere_logs_in_and_sees_their_history(client, left_in_may, unit_a):
    ClaimFactory(professional=left_in_may, unit=unit_a, title="往年已通过的面授培训", status="approved", year=2024,
                 start_date=dt.date(2024, 4, 1), end_date=dt.date(2024, 4, 2), filed_on=dt.date(2024, 4, 8))
    client.force_login(left_in_may.user)
    with time_machine.travel(SEPTEMBER, tick=False):
        home = client.get(reverse("records:my_home"))
        year = client.get(reverse("records:my_year", args=[2024]))
    assert home.status_code == 200
    assert year.status_code == 200
    assert "往年已通过的面授培训" in year.content.decode()
