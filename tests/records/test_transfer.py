"""调入 is a request (issue 11, finding 3): the requesting unit names the person (ID number and name), and the
move happens when the person confirms it in the portal or the releasing unit — or the HR bureau of the
releasing unit's region — approves it. Until then nothing moves and the requesting unit sees the masked
number only."""
import datetime as dt
import re
import threading

import pytest
from django.db import connections

from audits.trail.models import AuditEvent
from ce_portal.errors import DomainError, NotFound
from records.people.access import professionals_in_scope
from records.people.models import Employment, Professional, Role, RoleMembership, TransferRequest
from records.people.services import transfer_approve, transfer_refuse, transfer_request, transfer_withdraw
from tests.factories import ProfessionalFactory, UnitFactory, UserFactory, grant
from tests.records.people import TODAY, new_id_number, today, wrong_checksum  # noqa: F401  (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("today")]
URL = "/unit/staff/transfer/"
MARCH_1 = dt.date(2025, 3, 1)
NOBODY_MATCHES = "系统中没有姓名与该身份证号码相符、且目前在其他单位任职的人员"


def employments(person):
    return list(person.employments.order_by("started_on").values_list("unit__name", "started_on", "ended_on"))


def post(client, **data):
    return client.post(URL, data)


def ask(person, to_unit, actor, *, on=MARCH_1, name=None):
    return transfer_request(id_number=person.id_number, name=name or person.name, to_unit=to_unit, on=on,
                            actor=actor, today=TODAY)


@pytest.fixture
def bella(unit_b):
    user = UserFactory(username="bella", first_name="华兴公司审核员")
    grant(user, Role.UNIT_REVIEWER, unit_b)
    return user


# --- asking ---------------------------------------------------------------------------------------------


def test_asking_moves_nothing_and_shows_the_requesting_unit_the_masked_number_only(client, ada, bob, unit_a, unit_b):
    """Finding 3: an ID number alone moved anyone into the unit, which then saw the full number and the
    history while the old unit lost them."""
    client.force_login(ada)
    response = post(client, id_number=bob.id_number, name=bob.name, on="2025-03-01")
    assert response.status_code == 302
    assert employments(bob) == [(unit_b.name, dt.date(2020, 1, 1), None)]
    page = client.get("/unit/", follow=True).content.decode()
    assert "已提交 李博 的调入申请" in page
    assert bob not in professionals_in_scope(ada)
    assert client.get(f"/people/{bob.pk}/").status_code == 404
    section = re.search(r'<section class="card" id="transfers-requested">.*?</section>', page, re.S)[0]
    assert bob.masked_id_number in section and "2025-03-01" in section and "待确认" in section
    assert bob.id_number not in page and unit_b.name not in section
    request = TransferRequest.objects.get()
    assert (request.from_unit, request.to_unit, request.on, request.status) == (unit_b, unit_a, MARCH_1, "pending")
    assert AuditEvent.objects.filter(action="professional.transfer_request", object_id=str(bob.pk)).exists()


@pytest.mark.parametrize("case", ["unknown", "wrong_name", "employed_nowhere", "pending_registration"])
def test_the_name_must_match_and_every_miss_reads_the_same(client, ada, bob, unit_b, case):
    nowhere = ProfessionalFactory(name="闲人")
    Employment.objects.create(professional=nowhere, unit=unit_b, started_on="2019-01-01", ended_on="2023-12-31")
    pending = ProfessionalFactory(name="待审", unit=unit_b, status=Professional.Status.PENDING)
    id_number, name = {
        "unknown": (new_id_number(1), "李博"),
        "wrong_name": (bob.id_number, "李波"),
        "employed_nowhere": (nowhere.id_number, "闲人"),
        "pending_registration": (pending.id_number, "待审"),
    }[case]
    client.force_login(ada)
    response = post(client, id_number=id_number, name=name, on="2025-03-01")
    assert response.status_code == 200
    assert [str(e) for e in response.context["form"].errors["id_number"]] == [
        f"{NOBODY_MATCHES}。如其目前没有任职单位，请使用“添加人员”或批量导入。"]
    assert not TransferRequest.objects.exists()
    assert employments(bob) == [(unit_b.name, dt.date(2020, 1, 1), None)]


def test_the_page_explains_what_happens(client, ada):
    client.force_login(ada)
    page = client.get(URL).content.decode()
    assert "本人在平台确认" in page and "原单位" in page and "在此之前人员不作任何变动" in page


@pytest.mark.parametrize("data, field, message", [
    ({"id_number": "", "name": "李博", "on": "2025-03-01"}, "id_number", "请填写身份证号码"),
    ({"id_number": wrong_checksum(new_id_number(1)), "name": "李博", "on": "2025-03-01"}, "id_number",
     "校验位不正确"),
    ({"id_number": "BOB", "name": "", "on": "2025-03-01"}, "name", "请填写姓名"),
    ({"id_number": "BOB", "name": "李博", "on": ""}, "on", "请填写调入日期"),
    ({"id_number": "BOB", "name": "李博", "on": "2025-13-01"}, "on", "请填写正确的日期"),
    ({"id_number": "BOB", "name": "李博", "on": "2025-03-11"}, "on", "调入日期不能晚于今天"),
    ({"id_number": "BOB", "name": "李博", "on": "2019-06-01"}, "on", "须晚于该人员在原单位的入职日期"),
    ({"id_number": "ALICE", "name": "张爱丽", "on": "2025-03-01"}, None, "已在本单位任职"),
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
    assert not TransferRequest.objects.exists()


def test_asking_twice_for_the_same_person_is_refused(ada, bob, unit_a):
    ask(bob, unit_a, ada)
    with pytest.raises(DomainError) as refused:
        ask(bob, unit_a, ada)
    assert refused.value.code == "transfer_pending"
    assert TransferRequest.objects.count() == 1


@pytest.mark.parametrize("viewer", ["alice", "hank", "xin", "cheng"])
def test_only_unit_reviewers_may_ask(client, request, viewer, bob):
    user = request.getfixturevalue(viewer)
    client.force_login(getattr(user, "user", user))
    assert client.get(URL).status_code == 404
    assert post(client, id_number=bob.id_number, name=bob.name, on="2025-03-01").status_code == 404
    assert not TransferRequest.objects.exists()


def test_a_single_unit_reviewer_cannot_ask_for_another_unit(client, ada, bob, unit_c):
    client.force_login(ada)
    post(client, id_number=bob.id_number, name=bob.name, on="2025-03-01", unit=unit_c.pk)
    assert TransferRequest.objects.get().to_unit != unit_c
    with pytest.raises(NotFound):
        ask(bob, unit_c, ada)


# --- deciding ---------------------------------------------------------------------------------------------


def test_the_person_confirms_on_their_home_page_and_the_move_happens(client, ada, bob, unit_a, unit_b):
    request = ask(bob, unit_a, ada)
    client.force_login(bob.user)
    page = client.get("/me/").content.decode()
    section = re.search(r'<section class="card" id="transfers-mine">.*?</section>', page, re.S)[0]
    assert unit_a.name in section and "2025-03-01" in section
    response = client.post(f"/transfers/{request.pk}/approve/", follow=True)
    assert "已确认调入" in response.content.decode()
    assert employments(bob) == [(unit_b.name, dt.date(2020, 1, 1), dt.date(2025, 2, 28)), (unit_a.name, MARCH_1, None)]
    request.refresh_from_db()
    assert (request.status, request.decided_as, request.decided_by) == ("completed", "person", bob.user)
    event = AuditEvent.objects.get(action="professional.transfer", object_id=str(bob.pk))
    assert event.after["decided_as"] == "person" and event.after["request"] == request.pk
    assert bob in professionals_in_scope(ada)  # now the new unit's, with its history


def test_the_releasing_unit_approves_on_its_desk(client, ada, bella, bob, unit_a):
    request = ask(bob, unit_a, ada)
    client.force_login(bella)
    page = client.get("/unit/").content.decode()
    section = re.search(r'<section class="card" id="transfers-outgoing">.*?</section>', page, re.S)[0]
    assert bob.id_number in section and unit_a.name in section  # its own staff: the full number
    client.post(f"/transfers/{request.pk}/approve/")
    assert bob.employments.get(ended_on__isnull=True).unit == unit_a
    request.refresh_from_db()
    assert (request.status, request.decided_as) == ("completed", "releasing_unit")
    assert bob not in professionals_in_scope(bella)


@pytest.mark.parametrize("bureau", ["xin", "city_level"])
def test_the_hr_bureau_of_the_releasing_units_region_approves(client, request, ada, bob, unit_a, unit_b, bureau,
                                                               cheng, city):
    if bureau == "city_level":  # a unit registered at city level: the city's bureau is its region's
        unit_b.region = city
        unit_b.save()
        user = cheng
    else:
        user = request.getfixturevalue(bureau)
    transfer = ask(bob, unit_a, ada)
    client.force_login(user)
    page = client.get("/", follow=True).content.decode()
    assert f'data-transfer="{transfer.pk}"' in page
    client.post(f"/transfers/{transfer.pk}/approve/")
    transfer.refresh_from_db()
    assert (transfer.status, transfer.decided_as) == ("completed", "hr_bureau")


def test_either_side_may_refuse_with_a_reason_and_nothing_moves(client, ada, bella, bob, unit_a, unit_b):
    first = ask(bob, unit_a, ada)
    client.force_login(bob.user)
    response = client.post(f"/transfers/{first.pk}/refuse/", {"reason": " "}, follow=True)
    assert "请填写拒绝原因" in response.content.decode()
    client.post(f"/transfers/{first.pk}/refuse/", {"reason": "我没有调动"})
    first.refresh_from_db()
    assert (first.status, first.decided_as, first.reason) == ("refused", "person", "我没有调动")
    second = ask(bob, unit_a, ada)
    transfer_refuse(request=second, actor=bella, reason="尚未办理离职")
    second.refresh_from_db()
    assert (second.status, second.decided_as) == ("refused", "releasing_unit")
    assert employments(bob) == [(unit_b.name, dt.date(2020, 1, 1), None)]
    assert AuditEvent.objects.filter(action="professional.transfer_refuse").count() == 2
    client.force_login(ada)
    section = re.search(r'<section class="card" id="transfers-requested">.*?</section>',
                        client.get("/unit/").content.decode(), re.S)[0]
    assert "尚未办理离职" in section and "已拒绝" in section


@pytest.mark.parametrize("viewer", ["ada", "alice", "hank", "ye", "carol", "other_reviewer"])
def test_nobody_else_may_decide_and_gets_404(client, request, ada, bob, unit_a, viewer):
    """ada asked (she may only withdraw); alice, hank, 叶县 and carol have nothing to do with bob's unit."""
    transfer = ask(bob, unit_a, ada)
    if viewer == "other_reviewer":
        user = UserFactory(username="other")
        grant(user, Role.UNIT_REVIEWER, UnitFactory(name="别的单位"))
    else:
        user = request.getfixturevalue(viewer)
        user = getattr(user, "user", user)
    client.force_login(user)
    assert client.post(f"/transfers/{transfer.pk}/approve/").status_code == 404
    assert client.post(f"/transfers/{transfer.pk}/refuse/", {"reason": "x"}).status_code == 404
    with pytest.raises(NotFound):
        transfer_approve(request=transfer, actor=user)
    if viewer != "ada":
        assert client.post(f"/transfers/{transfer.pk}/withdraw/").status_code == 404
    transfer.refresh_from_db()
    assert transfer.status == "pending" and bob.employments.get().ended_on is None


def test_the_requesting_unit_may_withdraw_and_the_others_then_see_nothing(client, ada, bella, bob, unit_a):
    transfer = ask(bob, unit_a, ada)
    client.force_login(ada)
    client.post(f"/transfers/{transfer.pk}/withdraw/")
    transfer.refresh_from_db()
    assert (transfer.status, transfer.decided_as) == ("withdrawn", "requesting_unit")
    client.force_login(bob.user)
    assert f'data-transfer="{transfer.pk}"' not in client.get("/me/").content.decode()
    assert client.post(f"/transfers/{transfer.pk}/approve/").status_code == 404
    assert bob.employments.get().ended_on is None


def test_a_decided_request_cannot_be_decided_again(ada, bella, bob, unit_a):
    transfer = ask(bob, unit_a, ada)
    transfer_approve(request=transfer, actor=bella)
    for decide in (lambda: transfer_approve(request=transfer, actor=bob.user),
                   lambda: transfer_refuse(request=transfer, actor=bob.user, reason="迟到的拒绝"),
                   lambda: transfer_withdraw(request=transfer, actor=ada)):
        with pytest.raises(DomainError) as refused:
            decide()
        assert refused.value.code == "not_pending"
    assert len(employments(bob)) == 2


def test_when_one_unit_takes_the_person_the_other_requests_lapse(ada, bob, unit_a, unit_c):
    carl = UserFactory(username="carl")
    grant(carl, Role.UNIT_REVIEWER, unit_c)
    ours, theirs = ask(bob, unit_a, ada), ask(bob, unit_c, carl)
    transfer_approve(request=theirs, actor=bob.user)
    ours.refresh_from_db()
    assert ours.status == "lapsed" and ours.reason
    assert bob.employments.get(ended_on__isnull=True).unit == unit_c


@pytest.mark.django_db(transaction=True)
def test_two_requests_for_one_person_decided_at_once_move_them_once(ada, bella, bob, unit_a, unit_c):
    carl = UserFactory(username="carl")
    grant(carl, Role.UNIT_REVIEWER, unit_c)
    ours, theirs = ask(bob, unit_a, ada), ask(bob, unit_c, carl)
    barrier, outcomes = threading.Barrier(2), []

    def decide(request, actor):
        try:
            barrier.wait(timeout=10)
            transfer_approve(request=request, actor=actor)
            outcomes.append("moved")
        except DomainError as refused:
            outcomes.append(refused.code)
        except Exception as error:  # a deadlock would land here
            outcomes.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=decide, args=(ours, bob.user)),
               threading.Thread(target=decide, args=(theirs, bella))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["moved", "not_pending"]
    assert sorted(TransferRequest.objects.values_list("status", flat=True)) == ["completed", "lapsed"]
    assert bob.employments.filter(ended_on__isnull=True).count() == 1 and bob.employments.count() == 2


# --- the move itself ---------------------------------------------------------------------------------------


def test_the_old_employment_ends_the_day_before_and_the_person_keeps_record_account_and_role(ada, bob, unit_a,
                                                                                           unit_b):
    user_id = bob.user_id
    transfer_approve(request=ask(bob, unit_a, ada), actor=bob.user)
    assert employments(bob) == [(unit_b.name, dt.date(2020, 1, 1), dt.date(2025, 2, 28)), (unit_a.name, MARCH_1, None)]
    bob.refresh_from_db()
    assert bob.user_id == user_id and bob.status == Professional.Status.ACTIVE
    assert Professional.objects.filter(pk=bob.pk).count() == 1
    assert RoleMembership.objects.filter(user_id=user_id, role=Role.PROFESSIONAL, professional=bob).exists()


def test_the_day_after_the_start_is_the_earliest_transfer(ada, bob, unit_a, unit_b):
    with pytest.raises(DomainError) as refused:
        ask(bob, unit_a, ada, on=dt.date(2020, 1, 1))
    assert refused.value.code == "transfer_before_start" and "2020" not in refused.value.message
    transfer_approve(request=ask(bob, unit_a, ada, on=dt.date(2020, 1, 2)), actor=bob.user)
    assert employments(bob)[0] == (unit_b.name, dt.date(2020, 1, 1), dt.date(2020, 1, 1))
