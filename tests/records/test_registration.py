import re
import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

from audits.trail.models import AuditEvent
from ce_portal.errors import DomainError, NotFound
from records.people.models import Employment, Professional, RecordClaim, Role, RoleMembership
from records.people.rules import RegistrationFacts, registration_path
from records.people.selectors import id_number_q, professional_username
from records.people.services import (
    record_claim_approve, record_claim_reject, registration_approve, registration_reject,
)
from records.people.views import REGISTER_RATE_PER_MINUTE, UNIT_SEARCH_RATE_PER_MINUTE
from tests.factories import DEMO_PASSWORD, ProfessionalFactory, UnitFactory, UserFactory, grant
from tests.records.people import TODAY, new_id_number, today, wrong_checksum  # noqa: F401  (fixture)

User = get_user_model()
PASSWORD = "Pds-jixu-2025"
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("today")]


def form(chosen, **overrides):
    data = {
        "id_number": new_id_number(1), "name": "赵新人", "phone": "13803750001",
        "password1": PASSWORD, "password2": PASSWORD, "q": "", "unit": chosen.pk,
    }
    data.update(overrides)
    return data


def counts():
    return (User.objects.count(), Professional.objects.count(), Employment.objects.count(),
            RoleMembership.objects.count())


def errors_of(response, field):
    return [str(e) for e in response.context["form"].errors.get(field, [])]


# --- the page and the unit look-up ------------------------------------------------------------------------


def test_the_login_page_links_to_registration(client, db):
    page = client.get("/login/").content.decode()
    assert 'href="/register/"' in page
    assert "专业技术人员注册" in page


def test_units_are_found_by_part_of_the_name_and_by_credit_code(client, unit_a, unit_b):
    by_name = client.get("/register/units/", {"q": "第一医院"}).content.decode()
    assert unit_a.name in by_name and unit_b.name not in by_name
    by_code = client.get("/register/units/", {"q": unit_b.credit_code.lower()}).content.decode()
    assert unit_b.name in by_code and unit_a.name not in by_code


def test_a_one_character_search_finds_nothing_and_says_why(client, unit_a):
    page = client.get("/register/units/", {"q": "医"}).content.decode()
    assert unit_a.name not in page
    assert "至少两个字" in page


def test_searching_without_javascript_posts_the_form_and_lists_units_without_saving(client, unit_a):
    before = counts()
    response = client.post("/register/", form(unit_a, unit="", q="第一医院", find="1"))
    page = response.content.decode()
    assert response.status_code == 200
    assert f'value="{unit_a.pk}"' in page
    assert 'value="赵新人"' in page  # what was typed is kept
    assert not response.context["form"].errors
    assert counts() == before


def test_registration_is_rate_limited_per_client_address_and_a_refused_try_saves_nothing(client, unit_a):
    for attempt in range(REGISTER_RATE_PER_MINUTE):  # each try may put an application on a unit's desk
        response = client.post("/register/", form(unit_a, id_number=new_id_number(1), name=f"试探{attempt}",
                                                     password2="不一致的密码"))
        assert response.status_code == 200
    before = counts()

    refused = client.post("/register/", form(unit_a, id_number=new_id_number(2)))

    page = refused.content.decode()
    assert refused.status_code == 429 and "注册提交过于频繁" in page and "已填写的内容未保存" in page
    assert 'value="赵新人"' in page and PASSWORD not in page  # typed fields kept, passwords not
    assert counts() == before
    other = Client(REMOTE_ADDR="10.0.0.7")  # another address has its own window
    assert other.post("/register/", form(unit_a, id_number=new_id_number(2))).status_code == 302


def test_the_unit_search_is_rate_limited_too(client, unit_a):
    for _ in range(UNIT_SEARCH_RATE_PER_MINUTE):
        assert client.get("/register/units/", {"q": "第一医院"}).status_code == 200
    refused = client.get("/register/units/", {"q": "第一医院"})
    assert refused.status_code == 429 and "查询过于频繁" in refused.content.decode()


def test_the_page_loads_its_lookup_script_from_our_own_static_files(client, db):
    page = client.get("/register/").content.decode()
    assert '<script src="/static/js/register.js"' in page
    assert "http" not in page.split("<script", 1)[1].split(">", 1)[0]


# --- registering ---------------------------------------------------------------------------------------


def test_a_new_professional_registers_and_waits_for_the_unit(client, unit_a):
    response = client.post("/register/", form(unit_a))
    assert response.status_code == 302 and response.url == "/login/"
    user = User.objects.get(username=professional_username(new_id_number(1)))
    assert not user.is_active and user.check_password(PASSWORD) and user.first_name == "赵新人"
    person = user.professional
    assert (person.status, person.name, person.phone) == (Professional.Status.PENDING, "赵新人", "13803750001")
    employment = person.employments.get()
    assert (employment.unit, employment.started_on, employment.ended_on) == (unit_a, TODAY, None)
    assert RoleMembership.objects.filter(user=user, role=Role.PROFESSIONAL, professional=person).exists()
    assert AuditEvent.objects.filter(action="professional.register", object_id=str(person.pk)).exists()


def test_a_pending_account_is_told_it_awaits_review_at_login(client, unit_a):
    client.post("/register/", form(unit_a))
    response = client.post("/login/", {"username": new_id_number(1), "password": PASSWORD})
    assert "等待用人单位审核" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_lower_case_x_and_spaces_in_the_id_number_are_forgiven(client, unit_a):
    number = next(new_id_number(i) for i in range(200) if new_id_number(i).endswith("X"))
    client.post("/register/", form(unit_a, id_number=f" {number[:6]} {number[6:].lower()}"))
    assert User.objects.filter(username=professional_username(number)).exists()


@pytest.mark.parametrize("field, value, message", [
    ("id_number", wrong_checksum(new_id_number(1)), "校验位不正确"),
    ("id_number", "41040219900101", "应为 18 位"),
    ("id_number", "", "请填写身份证号码"),
    ("name", "", "请填写姓名"),
    ("phone", "0375-1234567", "手机号码应为 11 位"),
    ("password2", "Another-pass-99", "两次输入的密码不一致"),
    ("unit", "", "请先查找并选择您所在的单位"),
    ("unit", "999999", "所选单位不存在"),
])
def test_bad_input_gets_a_specific_message_and_saves_nothing(client, unit_a, field, value, message):
    before = counts()
    response = client.post("/register/", form(unit_a, **{field: value}))
    assert response.status_code == 200
    assert any(message in e for e in errors_of(response, field)), response.context["form"].errors
    assert counts() == before


def test_a_weak_password_is_refused_in_chinese(client, unit_a):
    response = client.post("/register/", form(unit_a, password1="12345678", password2="12345678"))
    assert any("密码" in e for e in errors_of(response, "password1"))
    assert not User.objects.filter(username=professional_username(new_id_number(1))).exists()


def test_an_id_number_that_already_has_an_account_changes_nothing(client, alice, unit_a):
    before = counts()
    response = client.post("/register/", form(unit_a, id_number=alice.id_number, name=alice.name))
    assert response.status_code == 302
    assert counts() == before
    alice.user.refresh_from_db()
    assert alice.user.check_password(DEMO_PASSWORD) and alice.user.is_active
    assert AuditEvent.objects.filter(action="professional.register_ignored", object_id=str(alice.pk)).exists()


def test_a_username_taken_by_a_staff_account_changes_nothing(client, unit_a):
    staff = UserFactory(username=professional_username(new_id_number(1)))
    response = client.post("/register/", form(unit_a))
    assert response.status_code == 302
    assert not Professional.objects.exists()
    staff.refresh_from_db()
    assert staff.check_password(DEMO_PASSWORD)


@pytest.mark.parametrize("case", ["nobody", "registered", "imported_here", "imported_name_differs",
                                  "imported_elsewhere", "pending_claim"])
def test_registration_gives_one_answer_whatever_the_registry_holds(client, alice, bob, unit_a, case):
    """Finding 10: "already registered", "name mismatch" and "registered elsewhere" each told a stranger
    something about the person behind an ID number. Every well-formed registration now reads the same."""
    data = {
        "nobody": form(unit_a),
        "registered": form(unit_a, id_number=alice.id_number, name=alice.name),
        "imported_here": form(unit_a, id_number=new_id_number(5), name="孙已导"),
        "imported_name_differs": form(unit_a, id_number=new_id_number(5), name="孙别名"),
        "imported_elsewhere": form(unit_a, id_number=bob.id_number, name="李博"),
        "pending_claim": form(unit_a, id_number=new_id_number(5), name="孙已导"),
    }[case]
    ProfessionalFactory(id_number=new_id_number(5), name="孙已导", unit=unit_a, user=None)
    bob.user.delete()  # bob: imported by 华兴公司, no account yet
    if case == "pending_claim":
        Client(REMOTE_ADDR="10.0.0.9").post("/register/", form(unit_a, id_number=new_id_number(5), name="孙已导",
                                                               phone="13903750009"))

    response = client.post("/register/", data, follow=True)

    assert response.redirect_chain == [("/login/", 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "注册申请已提交，请等待单位审核；审核通过后即可用身份证号码登录。如该身份证号码已有账号，请直接登录，忘记密码请联系单位。"
    ]


@pytest.mark.parametrize("facts, path", [
    (RegistrationFacts(), "new"),
    (RegistrationFacts(account=True), "ignore"),  # a staff account with that username
    (RegistrationFacts(record=True), "claim"),
    (RegistrationFacts(record=True, record_held=True), "claim"),
    (RegistrationFacts(record=True, record_held=True, account=True, account_reusable=True), "claim"),
    (RegistrationFacts(record=True, record_held=True, account=True), "ignore"),  # its claim is pending
    (RegistrationFacts(record=True, record_has_account=True, account=True), "ignore"),  # active, or pending
    (RegistrationFacts(record=True, record_has_account=True), "ignore"),  # linked to another account
    (RegistrationFacts(record=True, record_has_account=True, record_is_own_refused=True, account=True,
                       account_reusable=True), "reapply"),
    (RegistrationFacts(record=True, record_has_account=True, record_is_own_refused=True, record_held=True,
                       account=True, account_reusable=True), "claim"),  # refused, then entered by a unit
])
def test_what_a_registration_does(facts, path):
    assert registration_path(facts) == path


# --- a record the unit entered: a claim on an existing person ----------------------------------------------


def imported(unit, **kwargs):
    kwargs.setdefault("phone", "13937500000")
    return ProfessionalFactory(id_number=new_id_number(1), name="赵新人", unit=unit, user=None, **kwargs)


def test_registering_onto_a_record_the_unit_imported_waits_for_the_unit_and_changes_nothing(client, unit_a):
    """Finding 1: whoever knew the ID number, name and employer got an active account at once, and the
    registrant's phone replaced the one the unit entered."""
    person = imported(unit_a)
    response = client.post("/register/", form(unit_a))
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.user, person.phone, person.status) == (None, "13937500000", Professional.Status.ACTIVE)
    assert person.employments.count() == 1 and Professional.objects.count() == 1
    account = User.objects.get(username=professional_username(new_id_number(1)))
    assert not account.is_active and account.check_password(PASSWORD)
    assert not RoleMembership.objects.filter(user=account).exists()
    refused = client.post("/login/", {"username": new_id_number(1), "password": PASSWORD})
    assert "等待用人单位审核" in refused.content.decode() and "_auth_user_id" not in client.session


def claim_of(person):
    return RecordClaim.objects.get(professional=person)


def test_the_unit_sees_a_claim_on_an_existing_person_with_both_phones(client, ada, unit_a):
    person = imported(unit_a)
    client.post("/register/", form(unit_a))
    client.force_login(ada)
    page = client.get("/unit/").content.decode()
    assert "认领已有人员的申请（1）" in page and "待审核的注册申请（0）" in page
    row = re.search(rf'<tr data-claim="{claim_of(person).pk}">.*?</tr>', page, re.S)[0]
    assert "13937500000" in row and "13803750001" in row  # the phone the unit holds, the one the registrant gave
    assert row.count("赵新人") == 2 and person.id_number in row and "姓名不一致" not in row


def test_approving_a_claim_links_and_activates_the_account_and_keeps_what_the_unit_entered(client, ada, unit_a):
    person = imported(unit_a, specialty="麻醉学")
    client.post("/register/", form(unit_a))
    claim = claim_of(person)
    client.force_login(ada)
    response = client.post(f"/unit/claims/{claim.pk}/approve/", follow=True)
    assert "已通过 赵新人 的认领申请" in response.content.decode()
    person.refresh_from_db()
    account = User.objects.get(username=professional_username(person.id_number))
    assert (person.user, person.phone, person.specialty, person.status) == (
        account, "13937500000", "麻醉学", Professional.Status.ACTIVE)
    assert account.is_active and person.employments.count() == 1
    assert RoleMembership.objects.filter(user=account, role=Role.PROFESSIONAL, professional=person).exists()
    event = AuditEvent.objects.get(action="professional.record_claim_approve", object_id=str(person.pk))
    assert event.actor == ada and event.after["user"] == account.pk
    client.logout()
    assert client.post("/login/", {"username": person.id_number, "password": PASSWORD}).status_code == 302
    assert client.get("/").url == "/me/"


def test_a_phone_the_unit_left_blank_takes_the_registrants(client, ada, unit_a):
    person = imported(unit_a, phone="")
    client.post("/register/", form(unit_a))
    record_claim_approve(claim=claim_of(person), actor=ada, today=TODAY)
    person.refresh_from_db()
    assert person.phone == "13803750001"


def test_rejecting_a_claim_leaves_the_record_as_it_was_and_tells_the_registrant_why(client, ada, unit_a):
    person = imported(unit_a)
    client.post("/register/", form(unit_a))
    claim = claim_of(person)
    client.force_login(ada)
    assert "请填写退回原因" in client.post(f"/unit/claims/{claim.pk}/reject/", {"reason": " "}, follow=True
                                            ).content.decode()
    client.post(f"/unit/claims/{claim.pk}/reject/", {"reason": "手机号码与本单位登记的不符"})
    person.refresh_from_db()
    assert (person.user, person.phone, person.status) == (None, "13937500000", Professional.Status.ACTIVE)
    claim.refresh_from_db()
    assert (claim.status, claim.decided_by) == (RecordClaim.Status.REJECTED, ada)
    assert AuditEvent.objects.filter(action="professional.record_claim_reject", object_id=str(person.pk)).exists()
    client.logout()
    refused = client.post("/login/", {"username": person.id_number, "password": PASSWORD}).content.decode()
    assert "未通过用人单位审核，原因：手机号码与本单位登记的不符" in refused


def test_a_refused_claimant_may_claim_again_and_a_pending_one_is_not_overwritten(client, ada, unit_a):
    person = imported(unit_a)
    client.post("/register/", form(unit_a))
    record_claim_reject(claim=claim_of(person), actor=ada, reason="请用本人手机号码")
    client.post("/register/", form(unit_a, phone="13937500000", password1="New-pass-2025x", password2="New-pass-2025x"))
    again = RecordClaim.objects.get(professional=person, status=RecordClaim.Status.PENDING)
    assert again.phone == "13937500000" and again.user.check_password("New-pass-2025x")
    # Someone else trying the same number now changes neither the claim nor its password.
    Client(REMOTE_ADDR="10.0.0.8").post("/register/", form(unit_a, phone="13800000000", password1="Third-pass-2025",
                                                              password2="Third-pass-2025"))
    again.refresh_from_db()
    assert again.user.check_password("New-pass-2025x")
    assert RecordClaim.objects.filter(professional=person).count() == 2
    assert User.objects.filter(username=professional_username(person.id_number)).count() == 1


def test_a_claim_whose_name_differs_cannot_be_approved_only_refused(client, ada, unit_a):
    person = imported(unit_a)
    client.post("/register/", form(unit_a, name="赵新"))
    claim = claim_of(person)
    client.force_login(ada)
    row = re.search(rf'<tr data-claim="{claim.pk}">.*?</tr>', client.get("/unit/").content.decode(), re.S)[0]
    assert "姓名不一致" in row and "approve" not in row
    response = client.post(f"/unit/claims/{claim.pk}/approve/", follow=True)
    assert "不一致，不能通过" in response.content.decode()
    person.refresh_from_db()
    assert person.user is None and claim_of(person).status == RecordClaim.Status.PENDING


def test_a_claim_on_someone_employed_elsewhere_goes_to_the_unit_that_employs_them(client, ada, unit_a, unit_b):
    person = imported(unit_a)
    client.post("/register/", form(unit_b))  # the registrant chose 华兴公司; 第一医院 holds the record
    bella = UserFactory(username="bella")
    grant(bella, Role.UNIT_REVIEWER, unit_b)
    client.force_login(bella)
    assert "认领已有人员的申请（0）" in client.get("/unit/").content.decode()
    assert client.post(f"/unit/claims/{claim_of(person).pk}/approve/").status_code == 404
    client.force_login(ada)
    page = client.get("/unit/").content.decode()
    assert "认领已有人员的申请（1）" in page and unit_b.name in page
    client.post(f"/unit/claims/{claim_of(person).pk}/approve/")
    person.refresh_from_db()
    assert person.user is not None and person.employments.get().unit == unit_a  # nothing moved


def test_a_claim_on_someone_employed_nowhere_is_decided_by_the_chosen_unit(client, ada, unit_a, unit_b):
    person = ProfessionalFactory(id_number=new_id_number(1), name="赵新人", user=None, phone="13937500000")
    Employment.objects.create(professional=person, unit=unit_b, started_on="2019-01-01", ended_on="2024-12-31")
    client.post("/register/", form(unit_a))
    assert person.employments.count() == 1  # nothing moves before the decision
    client.force_login(ada)
    row = re.search(r'<tr data-claim="\d+">.*?</tr>', client.get("/unit/").content.decode(), re.S)[0]
    assert "无在职单位" in row and "13937500000" not in row  # not the holder: not shown what others entered
    client.post(f"/unit/claims/{claim_of(person).pk}/approve/")
    person.refresh_from_db()
    assert person.user.is_active
    assert person.employments.get(ended_on__isnull=True).unit == unit_a
    assert person.employments.get(ended_on__isnull=True).started_on == TODAY


@pytest.mark.parametrize("viewer", ["bob", "xin", "hank", "cheng", "other_reviewer"])
def test_only_reviewers_of_the_unit_holding_the_person_may_decide_a_claim(client, request, unit_a, unit_b, viewer):
    person = imported(unit_a)
    client.post("/register/", form(unit_a))
    if viewer == "other_reviewer":
        user = UserFactory(username="bella")
        grant(user, Role.UNIT_REVIEWER, unit_b)
    else:
        user = request.getfixturevalue(viewer)
        user = getattr(user, "user", user)
    client.force_login(user)
    claim = claim_of(person)
    assert client.post(f"/unit/claims/{claim.pk}/approve/").status_code == 404
    assert client.post(f"/unit/claims/{claim.pk}/reject/", {"reason": "x"}).status_code == 404
    with pytest.raises(NotFound):
        record_claim_approve(claim=claim, actor=user, today=TODAY)
    claim.refresh_from_db()
    person.refresh_from_db()
    assert claim.status == RecordClaim.Status.PENDING and person.user is None


def test_a_decided_claim_cannot_be_decided_again(ada, unit_a, client):
    person = imported(unit_a)
    client.post("/register/", form(unit_a))
    claim = claim_of(person)
    record_claim_approve(claim=claim, actor=ada, today=TODAY)
    for decide in (lambda: record_claim_approve(claim=claim, actor=ada, today=TODAY),
                   lambda: record_claim_reject(claim=claim, actor=ada, reason="迟到的退回")):
        with pytest.raises(DomainError) as refused:
            decide()
        assert refused.value.code == "not_pending"


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_registrations_of_one_number_make_one_account(unit_a):
    barrier, responses = threading.Barrier(2), []

    def register(phone):
        try:
            barrier.wait()
            responses.append(Client().post("/register/", form(unit_a, phone=phone)))
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(p,)) for p in ("13803750001", "13803750002")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in responses] == [302, 302]  # the one that lost is told the same
    assert User.objects.filter(username=professional_username(new_id_number(1))).count() == 1
    assert Professional.objects.filter(id_number_q(new_id_number(1))).count() == 1


# --- the unit's review ------------------------------------------------------------------------------------


@pytest.fixture
def pending(client, unit_a):
    client.post("/register/", form(unit_a))
    return Professional.objects.get(id_number_q(new_id_number(1)))


def test_the_unit_reviewer_sees_pending_registrations_of_their_unit(client, ada, pending):
    client.force_login(ada)
    page = client.get("/unit/").content.decode()
    assert "待审核的注册申请（1）" in page
    assert f'data-professional="{pending.pk}"' in page
    assert pending.id_number in page
    assert "赵新人</a> <span class=\"muted\">（待单位审核）</span>" in page  # marked in the staff list too


def test_approving_activates_the_account(client, ada, pending):
    client.force_login(ada)
    response = client.post(f"/unit/registrations/{pending.pk}/approve/")
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == Professional.Status.ACTIVE and pending.user.is_active
    assert AuditEvent.objects.filter(action="professional.registration_approve", actor=ada).exists()
    client.logout()
    assert client.post("/login/", {"username": pending.id_number, "password": PASSWORD}).status_code == 302


def test_rejecting_needs_a_reason_and_without_one_changes_nothing(client, ada, pending):
    client.force_login(ada)
    response = client.post(f"/unit/registrations/{pending.pk}/reject/", {"reason": "  "}, follow=True)
    assert "请填写退回原因" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == Professional.Status.PENDING
    assert pending.employments.filter(ended_on__isnull=True).exists()


def test_rejecting_removes_the_claimed_employment_and_tells_the_applicant_why(client, ada, pending):
    client.force_login(ada)
    client.post(f"/unit/registrations/{pending.pk}/reject/", {"reason": "本单位无此人"})
    pending.refresh_from_db()
    assert pending.status == Professional.Status.REJECTED and not pending.user.is_active
    assert not pending.employments.exists()
    client.logout()
    response = client.post("/login/", {"username": pending.id_number, "password": PASSWORD})
    assert "未通过用人单位审核，原因：本单位无此人" in response.content.decode()


def test_a_rejected_applicant_may_apply_again_at_the_right_unit(client, ada, pending, unit_b):
    client.force_login(ada)
    client.post(f"/unit/registrations/{pending.pk}/reject/", {"reason": "请选择华兴公司"})
    client.logout()
    client.post("/register/", form(unit_b, password1="New-pass-2025x", password2="New-pass-2025x"))
    pending.refresh_from_db()
    assert pending.status == Professional.Status.PENDING
    assert pending.employments.get().unit == unit_b
    assert pending.user.check_password("New-pass-2025x")
    assert User.objects.filter(username=professional_username(pending.id_number)).count() == 1


def test_a_refused_applicant_the_unit_then_enters_is_a_claim_on_what_the_unit_entered(client, ada, pending, unit_a):
    client.force_login(ada)
    client.post(f"/unit/registrations/{pending.pk}/reject/", {"reason": "请先由单位导入"})
    staff_add = client.post("/unit/staff/add/", {"name": "赵新人", "id_number": pending.id_number,
                                                 "title_level": "none", "phone": "13937500000"})
    assert staff_add.status_code == 302
    client.logout()
    client.post("/register/", form(unit_a, phone="13800000000"))
    pending.refresh_from_db()
    assert (pending.status, pending.phone) == (Professional.Status.REJECTED, "13937500000")
    claim = RecordClaim.objects.get(professional=pending, status=RecordClaim.Status.PENDING)
    record_claim_approve(claim=claim, actor=ada, today=TODAY)
    pending.refresh_from_db()
    assert (pending.status, pending.phone, pending.user.is_active) == (Professional.Status.ACTIVE, "13937500000", True)


def test_a_decided_registration_cannot_be_decided_again(client, ada, pending):
    client.force_login(ada)
    client.post(f"/unit/registrations/{pending.pk}/approve/")
    assert client.post(f"/unit/registrations/{pending.pk}/reject/", {"reason": "x"}).status_code == 404
    pending.refresh_from_db()
    assert pending.status == Professional.Status.ACTIVE


def test_the_services_refuse_a_registration_decided_meanwhile(ada, pending):
    registration_approve(professional=pending, actor=ada)
    for decide in (lambda: registration_approve(professional=pending, actor=ada),
                   lambda: registration_reject(professional=pending, actor=ada, reason="迟到的退回")):
        with pytest.raises(DomainError) as refused:
            decide()
        assert refused.value.code == "not_pending"
    pending.refresh_from_db()
    assert pending.status == Professional.Status.ACTIVE and pending.employments.exists()


@pytest.mark.parametrize("viewer", ["bob", "xin", "hank", "cheng", "other_reviewer"])
def test_only_reviewers_of_that_unit_may_decide(client, request, pending, viewer, unit_b):
    if viewer == "other_reviewer":
        user = UserFactory(username="bella")
        grant(user, Role.UNIT_REVIEWER, unit_b)
    else:
        user = request.getfixturevalue(viewer)
        user = getattr(user, "user", user)
    client.force_login(user)
    assert client.post(f"/unit/registrations/{pending.pk}/approve/").status_code == 404
    assert client.post(f"/unit/registrations/{pending.pk}/reject/", {"reason": "x"}).status_code == 404
    pending.refresh_from_db()
    assert pending.status == Professional.Status.PENDING and not pending.user.is_active


def test_another_units_reviewer_does_not_see_the_application(client, pending, unit_b):
    user = UserFactory(username="bella")
    grant(user, Role.UNIT_REVIEWER, unit_b)
    client.force_login(user)
    page = client.get("/unit/").content.decode()
    assert "待审核的注册申请（0）" in page
    assert pending.id_number not in page


def test_decisions_only_accept_post(client, ada, pending):
    client.force_login(ada)
    assert client.get(f"/unit/registrations/{pending.pk}/approve/").status_code == 405


def test_a_reviewer_of_two_units_sees_both_queues(client, unit_a, pending):
    other = UnitFactory(name="第二分院")
    client.post("/register/", form(other, id_number=new_id_number(2), name="钱二"))
    user = UserFactory(username="multi")
    grant(user, Role.UNIT_REVIEWER, unit_a)
    grant(user, Role.UNIT_REVIEWER, other)
    client.force_login(user)
    page = client.get("/unit/").content.decode()
    assert "待审核的注册申请（2）" in page and "钱二" in page and "赵新人" in page
