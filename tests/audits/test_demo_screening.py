"""The demo's planted duplicates: demo_city finds them in the screening queue and resolves one."""
import datetime as dt

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from audits.review.rules import LEVELS
from audits.review.services import approval_refusal
from audits.screening.models import ScreeningFlag
from ce_portal.demo.screening import PLANTED_CERTIFICATE_NO
from records.hours.models import Claim
from records.hours.selectors import credited_hours
from tests.factories import SHANGHAI

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 6, 3, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def seeded():
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo", stdout=open("/dev/null", "w"))
        yield


def _user(username):
    return get_user_model().objects.get(username=username)


def _planted():
    # The unit's reviewer uploaded their evidence (the staff have no log-ins): other demo stages' claims differ.
    return Claim.objects.filter(evidence__uploaded_by__username="demo_unit").distinct()


def test_the_demo_plants_duplicates_that_screening_flags_once():
    flags = ScreeningFlag.objects.filter(status="open", claim__in=_planted())
    assert sorted(flags.values_list("rule", flat=True)) == [
        "same_certificate_no", "same_certificate_no", "same_evidence", "same_evidence",
        "unknown_provider", "unknown_provider",
    ]
    assert Claim.objects.filter(external_certificate_no=PLANTED_CERTIFICATE_NO).count() == 2
    pending = Claim.objects.filter(screening_flags__rule="same_evidence", status="submitted").get()
    assert approval_refusal(pending, _user("demo_unit"), level=LEVELS[0]).code == "screening_flag_open"

    counts = ScreeningFlag.objects.count(), Claim.objects.count()
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert (ScreeningFlag.objects.count(), Claim.objects.count()) == counts


def test_demo_city_resolves_a_planted_flag(client):
    client.force_login(_user("demo_city"))
    page = client.get(reverse("screening:flags")).content.decode()
    for flag in ScreeningFlag.objects.filter(claim__in=_planted()):
        assert f'data-flag="{flag.pk}"' in page

    original = Claim.objects.get(screening_flags__rule="same_evidence", status="approved")
    copy = Claim.objects.get(screening_flags__rule="same_evidence", status="submitted")
    credited = credited_hours(original.professional_id, original.year)
    flag = ScreeningFlag.objects.get(claim=original, rule="same_evidence")
    client.post(reverse("screening:resolve", args=[flag.pk]), {"action": "dismiss", "reason": "原件持有人，已核实"})
    flag = ScreeningFlag.objects.get(claim=copy, rule="same_evidence")
    client.post(reverse("screening:resolve", args=[flag.pk]), {"action": "confirm", "confirmed": "on"})

    assert dict(ScreeningFlag.objects.filter(rule="same_evidence").values_list("claim", "status")) == {
        original.pk: "dismissed", copy.pk: "confirmed"}
    assert credited_hours(original.professional_id, original.year) == credited  # the original's hours stand
    assert Claim.objects.get(pk=copy.pk).credit_revoked_at is not None
    refusal = approval_refusal(Claim.objects.get(pk=copy.pk), _user("demo_unit"), level=LEVELS[0])
    assert refusal.code == "screening_confirmed"
