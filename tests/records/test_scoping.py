import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.http import Http404

from records.hours.services import add_to_year_totals
from records.people.access import may_see_full_id_number, professionals_in_scope, units_in_scope
from records.people.models import Employment


def test_a_unit_reviewer_sees_only_their_unit(ada, alice, bob, unit_a):
    assert list(units_in_scope(ada)) == [unit_a]
    assert list(professionals_in_scope(ada)) == [alice]


def test_an_authority_sees_its_units_only(hank, alice, bob, carol, unit_a):
    assert list(units_in_scope(hank)) == [unit_a]
    assert set(professionals_in_scope(hank)) == {alice}


def test_a_county_sees_every_unit_of_the_county(xin, alice, bob, carol, unit_a, unit_b):
    assert set(units_in_scope(xin)) == {unit_a, unit_b}
    assert set(professionals_in_scope(xin)) == {alice, bob}


def test_the_city_sees_everything(cheng, alice, bob, carol):
    assert set(professionals_in_scope(cheng)) == {alice, bob, carol}


def test_a_professional_sees_only_themself(alice, bob):
    assert list(professionals_in_scope(alice.user)) == [alice]
    assert not units_in_scope(alice.user).exists()


def test_full_id_number_is_for_self_unit_and_hr_not_authority_or_others(alice, ada, hank, xin, ye, cheng, bob):
    assert may_see_full_id_number(alice.user, alice)
    assert may_see_full_id_number(ada, alice)
    assert may_see_full_id_number(xin, alice)
    assert may_see_full_id_number(cheng, alice)
    assert not may_see_full_id_number(hank, alice)
    assert not may_see_full_id_number(ye, alice)
    assert not may_see_full_id_number(bob.user, alice)


def test_a_former_employer_no_longer_sees_the_person(ada, alice, unit_b):
    Employment.objects.filter(professional=alice).update(ended_on="2024-06-30")
    Employment.objects.create(professional=alice, unit=unit_b, started_on="2024-07-01")
    assert not professionals_in_scope(ada).exists()


@pytest.mark.parametrize("viewer", ["ada", "hank", "xin", "cheng"])
def test_people_in_scope_open_the_person_page(client, request, viewer, alice):
    client.force_login(request.getfixturevalue(viewer))
    response = client.get(f"/people/{alice.pk}/")
    assert response.status_code == 200
    assert "张爱丽" in response.content.decode()


@pytest.mark.parametrize("viewer", ["bob", "ye"])
def test_anyone_outside_the_scope_gets_404(client, request, viewer, alice):
    user = request.getfixturevalue(viewer)
    client.force_login(getattr(user, "user", user))
    response = client.get(f"/people/{alice.pk}/")
    assert response.status_code == 404
    assert "张爱丽" not in response.content.decode()


def test_a_unit_reviewer_cannot_open_another_units_professional(client, ada, bob):
    client.force_login(ada)
    assert client.get(f"/people/{bob.pk}/").status_code == 404


def test_role_pages_of_roles_one_does_not_hold_are_404(client, alice):
    client.force_login(alice.user)
    for url in ("/unit/", "/authority/", "/county/", "/city/"):
        assert client.get(url).status_code == 404


def test_the_masked_number_is_shown_to_the_authority(client, hank, alice):
    client.force_login(hank)
    page = client.get(f"/people/{alice.pk}/").content.decode()
    assert alice.id_number not in page
    assert alice.masked_id_number in page


def test_scope_helper_raises_404_for_unknown_ids(ada):
    from records.people.selectors import professional_get

    with pytest.raises(Http404):
        professional_get(ada, 999_999)


@pytest.mark.django_db
def test_the_county_desk_lists_its_units_with_their_current_staff(client, xin, alice, unit_a, unit_b):
    from django.urls import reverse

    from tests.factories import ProfessionalFactory

    ProfessionalFactory(unit=unit_a)
    left = ProfessionalFactory(unit=unit_a)
    Employment.objects.filter(professional=left).update(ended_on="2025-01-31")  # has left: not counted
    client.force_login(xin)

    response = client.get(reverse("records:county_home"))

    counts = {unit.pk: unit.staff_count for unit in response.context["page"]}
    assert counts[unit_a.pk] == 2  # alice and the new colleague
    assert counts[unit_b.pk] == Employment.objects.filter(unit=unit_b, ended_on__isnull=True).count()
    assert response.context["page"].paginator.count == len(counts)


@pytest.mark.django_db
def test_the_person_page_shows_their_recent_years_hours_and_verdicts(client, ada, alice):
    add_to_year_totals({(alice.pk, 2025): (Decimal("32"), Decimal("64")),
                        (alice.pk, 2024): (Decimal("29.5"), Decimal("70"))})
    client.force_login(ada)
    with time_machine.travel(dt.datetime(2025, 10, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        page = client.get(f"/people/{alice.pk}/").content.decode()

    rows = dict(re.findall(r'<tr data-year="(\d+)">(.*?)</tr>', page, re.S))
    assert sorted(rows) == ["2023", "2024", "2025"]
    assert "<td>32</td><td>64</td><td>96</td>" in rows["2025"] and "<td>达标</td>" in rows["2025"]
    assert "<td>未达标</td>" in rows["2024"] and "公需科目 0.5 学时" in rows["2024"]
    assert "<td>0</td><td>0</td><td>0</td>" in rows["2023"]
