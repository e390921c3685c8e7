import datetime as dt

import pytest

from audits.trail.models import AuditEvent
from ce_portal.errors import DomainError
from records.people.access import professionals_in_scope
from records.people.models import Employment, Professional, Role, RoleMembership
from records.people.services import professional_transfer
from tests.factories import ProfessionalFactory, UserFactory, grant
from tests.records.people import TODAY, new_id_number, today, wrong_checksum  # noqa: F401  (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("today")]
URL = "/unit/staff/transfer/"
MARCH_1 = dt.date(2025, 3, 1)


def employments(person):
    return list(person.employments.order_by("started_on").values_list("unit__name", "started_on", "ended_on"))


# --- the service ----------------------------------------------------------------------------------------


def test_a_transfer_closes_the_old_employment_the_day_before_and_opens_the_new(alice, unit_a, unit_b, ada):
    new = professional_transfer(professional=alice, to_unit=unit_b, on=MARCH_1, actor=ada)
    assert employments(alice) == [
        (unit_a.name, dt.date(2020, 1, 1), dt.date(2025, 2, 28)),
        (unit_b.name, MARCH_1, None),
    ]
    assert new.unit == unit_b and new.professional == alice
    assert AuditEvent.objects.filter(action="professional.transfer", object_id=str(alice.pk)).exists()


def test_the_person_keeps_their_record_account_and_role(alice, unit_b, ada):
    user_id = alice.user_id
    professional_transfer(professional=alice, to_unit=unit_b, on=MARCH_1, actor=ada)
    alice.refresh_from_db()
    assert alice.user_id == user_id and alice.status == Professional.Status.ACTIVE
    assert Professional.objects.filter(id_number=alice.id_number).count() == 1
    assert RoleMembership.objects.filter(user_id=user_id, role=Role.PROFESSIONAL, professional=alice).exists()


def test_the_new_unit_sees_the_person_and_the_old_one_no_longer_does(alice, unit_b, ada):
    bella = UserFactory(username="bella")
    grant(bella, Role.UNIT_REVIEWER, unit_b)
    professional_transfer(professional=alice, to_unit=unit_b, on=MARCH_1, actor=bella)
    assert alice in professionals_in_scope(bella)
    assert alice not in professionals_in_scope(ada)


@pytest.mark.parametrize("on, code", [
    (dt.date(2019, 12, 31), "transfer_before_start"),
    (dt.date(2020, 1, 1), "transfer_before_start"),  # the old employment would end before it began
])
def test_a_date_not_after_the_current_start_is_refused(alice, unit_a, unit_b, ada, on, code):
    before = employments(alice)
    with pytest.raises(DomainError) as refused:
        professional_transfer(professional=alice, to_unit=unit_b, on=on, actor=ada)
    assert refused.value.code == code and "2020-01-01" in refused.value.message
    assert employments(alice) == before


def test_the_day_after_the_start_is_the_earliest_transfer(alice, unit_a, unit_b, ada):
    professional_transfer(professional=alice, to_unit=unit_b, on=dt.date(2020, 1, 2), actor=ada)
    assert employments(alice)[0] == (unit_a.name, dt.date(2020, 1, 1), dt.date(2020, 1, 1))


def test_a_transfer_to_the_same_unit_is_refused(alice, unit_a, ada):
    with pytest.raises(DomainError) as refused:
        professional_transfer(professional=alice, to_unit=unit_a, on=MARCH_1, actor=ada)
    assert refused.value.code == "transfer_same_unit"
    assert alice.employments.get().ended_on is None


def test_a_person_without_a_current_employer_is_not_transferred(unit_a, unit_b, ada):
    person = ProfessionalFactory()
    Employment.objects.create(professional=person, unit=unit_b, started_on="2019-01-01", ended_on="2023-12-31")
    with pytest.raises(DomainError) as refused:
        professional_transfer(professional=person, to_unit=unit_a, on=MARCH_1, actor=ada)
    assert refused.value.code == "not_employed"
    assert person.employments.count() == 1


def test_a_pending_registration_is_not_transferred(unit_a, unit_b, ada):
    person = ProfessionalFactory(unit=unit_b, status=Professional.Status.PENDING)
    with pytest.raises(DomainError) as refused:
        professional_transfer(professional=person, to_unit=unit_a, on=MARCH_1, actor=ada)
    assert refused.value.code == "pending_registration"
    assert person.employments.get().ended_on is None


# --- the page -------------------------------------------------------------------------------------------


def post(client, **data):
    return client.post(URL, data)


def test_a_reviewer_takes_in_someone_from_another_unit(client, ada, bob, unit_a, unit_b):
    client.force_login(ada)
    response = post(client, id_number=bob.id_number, on="2025-03-01")
    assert response.status_code == 302
    assert employments(bob) == [(unit_b.name, dt.date(2020, 1, 1), dt.date(2025, 2, 28)), (unit_a.name, MARCH_1, None)]
    page = client.get("/unit/", follow=True).content.decode()
    assert "已于 2025-03-01 调入本单位" in page
    assert bob.name in page  # now in the unit's staff list


def test_the_page_explains_what_happens(client, ada):
    client.force_login(ada)
    page = client.get(URL).content.decode()
    assert "原单位任职截至调入日期前一天" in page and "学时记录全部保留" in page


@pytest.mark.parametrize("data, field, message", [
    ({"id_number": "", "on": "2025-03-01"}, "id_number", "请填写身份证号码"),
    ({"id_number": wrong_checksum(new_id_number(1)), "on": "2025-03-01"}, "id_number", "校验位不正确"),
    ({"id_number": new_id_number(1), "on": "2025-03-01"}, "id_number", "系统中没有该身份证号码的人员"),
    ({"id_number": "BOB", "on": ""}, "on", "请填写调入日期"),
    ({"id_number": "BOB", "on": "2025-13-01"}, "on", "请填写正确的日期"),
    ({"id_number": "BOB", "on": "2025-03-11"}, "on", "调入日期不能晚于今天"),
    ({"id_number": "BOB", "on": "2019-06-01"}, "on", "必须晚于该人员在原单位的入职日期（2020-01-01）"),
    ({"id_number": "ALICE", "on": "2025-03-01"}, None, "已在本单位任职"),
])
def test_bad_input_is_refused_in_chinese_and_changes_nothing(client, ada, alice, bob, data, field, message):
    data = {**data, "id_number": {"BOB": bob.id_number, "ALICE": alice.id_number}.get(data["id_number"],
                                                                                  data["id_number"])}
    client.force_login(ada)
    before = (employments(alice), employments(bob))
    response = post(client, **data)
    assert response.status_code == 200
    errors = response.context["form"].errors.get(field or "__all__", [])
    assert any(message in e for e in errors), response.context["form"].errors
    assert (employments(alice), employments(bob)) == before


@pytest.mark.parametrize("viewer", ["alice", "hank", "xin", "cheng"])
def test_only_unit_reviewers_may_transfer(client, request, viewer, bob):
    user = request.getfixturevalue(viewer)
    client.force_login(getattr(user, "user", user))
    assert client.get(URL).status_code == 404
    assert post(client, id_number=bob.id_number, on="2025-03-01").status_code == 404
    assert bob.employments.get().ended_on is None


def test_a_single_unit_reviewer_cannot_transfer_into_another_unit(client, ada, bob, carol, unit_a, unit_c):
    client.force_login(ada)
    post(client, id_number=bob.id_number, on="2025-03-01", unit=unit_c.pk)
    assert bob.employments.get(ended_on__isnull=True).unit == unit_a
