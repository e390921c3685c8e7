"""One employment at a time (issue 12, case 5).

A second current employment used to fail with a raw database message, and an overlapping dated one passed,
after which the first unit could not see the person though its certificate bundle included them. The rule
now: a person works for one unit on any day — periods may follow each other but never share a day, and at
most one is current — refused with a clear message, and nothing is saved.
"""
import datetime as dt

import pytest
from django.urls import reverse

from records.people.models import Employment
from records.people.rules import EmploymentPeriod, employment_overlap
from tests.factories import UnitFactory

D = dt.date


def test_periods_may_follow_each_other_but_not_share_a_day():
    current = EmploymentPeriod("新华区第一医院", D(2020, 3, 1), None)
    assert "目前已在“新华区第一医院”任职" in employment_overlap(EmploymentPeriod("华兴科技", D(2025, 6, 1), None), [current])
    assert "重叠" in employment_overlap(EmploymentPeriod("华兴科技", D(2024, 1, 1), D(2024, 12, 31)), [current])
    ended = EmploymentPeriod("新华区第一医院", D(2020, 3, 1), D(2025, 5, 31))
    assert employment_overlap(EmploymentPeriod("华兴科技", D(2025, 6, 1), None), [ended]) is None
    assert "重叠" in employment_overlap(EmploymentPeriod("华兴科技", D(2025, 5, 31), None), [ended])
    assert employment_overlap(EmploymentPeriod("华兴科技", D(2019, 1, 1), D(2020, 2, 29)), [current]) is None


@pytest.fixture
def root_admin(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password="x-Very-long-1"))
    return client


def _post_employments(client, person, rows):
    """The professional's admin page as saved with these employment rows (existing rows carry their id)."""
    data = {
        "name": person.name, "id_number": person.id_number, "specialty": person.specialty,
        "title_level": person.title_level, "phone": person.phone, "status": person.status,
        "user": person.user_id or "", "employments-TOTAL_FORMS": str(len(rows)),
        "employments-INITIAL_FORMS": str(sum(1 for r in rows if r.get("id"))),
        "employments-MIN_NUM_FORMS": "0", "employments-MAX_NUM_FORMS": "1000", "_save": "保存",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"employments-{index}-{key}"] = "" if value is None else str(value)
        data[f"employments-{index}-professional"] = str(person.pk)
    return client.post(reverse("admin:records_professional_change", args=[person.pk]), data)


def _existing(employment):
    return {"id": employment.pk, "unit": employment.unit_id, "started_on": employment.started_on,
            "ended_on": employment.ended_on}


@pytest.mark.django_db
def test_a_second_current_employment_is_refused_in_chinese_and_nothing_is_saved(root_admin, alice):
    other = UnitFactory(name="华兴科技有限公司")
    first = alice.employments.get()
    response = _post_employments(root_admin, alice, [
        _existing(first), {"unit": other.pk, "started_on": "2025-06-01", "ended_on": None},
    ])
    assert response.status_code == 200
    assert "同一时间只能有一个在职单位" in response.content.decode()
    assert list(alice.employments.all()) == [first]


@pytest.mark.django_db
def test_an_overlapping_dated_employment_is_refused(root_admin, alice):
    other = UnitFactory(name="华兴科技有限公司")
    first = alice.employments.get()
    response = _post_employments(root_admin, alice, [
        _existing(first), {"unit": other.pk, "started_on": "2025-01-01", "ended_on": "2025-03-31"},
    ])
    assert response.status_code == 200
    assert "重叠，同一天只能在一个单位任职" in response.content.decode()
    assert Employment.objects.filter(professional=alice).count() == 1


@pytest.mark.django_db
def test_ending_one_and_starting_the_next_in_one_save_is_accepted(root_admin, alice):
    other = UnitFactory(name="华兴科技有限公司")
    first = alice.employments.get()
    response = _post_employments(root_admin, alice, [
        {**_existing(first), "ended_on": "2025-05-31"}, {"unit": other.pk, "started_on": "2025-06-01", "ended_on": None},
    ])
    assert response.status_code == 302, response.content.decode()
    assert [(e.unit_id, e.ended_on) for e in alice.employments.order_by("started_on")] == [
        (first.unit_id, D(2025, 5, 31)), (other.pk, None)]
