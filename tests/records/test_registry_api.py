import pytest
from rest_framework.test import APIClient

from audits.trail.models import AuditEvent
from records.people.models import Employment, IndustryAuthority, Professional, Role, Unit
from records.people.selectors import id_number_q
from tests.factories import UnitFactory, UserFactory, grant, region
from tests.records.people import TODAY, new_credit_code, new_id_number, today, wrong_checksum  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("today")]
UNITS, PEOPLE = "/api/v1/units/", "/api/v1/professionals/"


@pytest.fixture
def api():
    return APIClient()


def as_user(api, user):
    api.force_authenticate(getattr(user, "user", user))
    return api


def unit_body(**overrides):
    return {"name": "新华区妇幼保健院", "credit_code": new_credit_code(1), "kind": "public_institution", **overrides}


def person_body(**overrides):
    return {"name": "冯七", "id_number": new_id_number(1), "specialty": "儿科", "title_level": "junior",
            "phone": "13803750007", **overrides}


def snapshot():
    return Unit.objects.count(), Professional.objects.count(), Employment.objects.count()


def resolved(overrides: dict, **made) -> dict:
    """The parameters with their placeholders ("ALICE", "DUPLICATE", …) replaced by what the fixtures made."""
    return {field: made.get(value, value) for field, value in overrides.items()}


# --- POST /api/v1/units/ --------------------------------------------------------------------------------


def test_county_hr_adds_a_unit_in_its_county_by_default(api, xin, xinhua):
    response = as_user(api, xin).post(UNITS, unit_body(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["region"] == xinhua.code and body["credit_code"] == new_credit_code(1)
    unit = Unit.objects.get(pk=body["id"])
    assert (unit.name, unit.region, unit.authority) == ("新华区妇幼保健院", xinhua, None)
    assert AuditEvent.objects.filter(action="unit.create", actor=xin, object_id=str(unit.pk)).exists()


def test_city_hr_adds_a_unit_in_any_county_with_an_authority(api, cheng, yexian):
    bureau = IndustryAuthority.objects.create(name="叶县教育局", region=yexian)
    response = as_user(api, cheng).post(UNITS, unit_body(region=yexian.code, authority=bureau.pk), format="json")
    assert response.status_code == 201, response.json()
    assert Unit.objects.get(credit_code=new_credit_code(1)).authority == bureau


def test_a_city_level_authority_may_oversee_a_county_unit(api, cheng, xinhua, city):
    bureau = IndustryAuthority.objects.create(name="平顶山市卫生健康委员会", region=city)
    response = as_user(api, cheng).post(UNITS, unit_body(region=xinhua.code, authority=bureau.pk), format="json")
    assert response.status_code == 201


def test_lower_case_and_spaces_in_the_credit_code_are_forgiven(api, xin):
    code = new_credit_code(1)
    response = as_user(api, xin).post(UNITS, unit_body(credit_code=f" {code[:9]} {code[9:].lower()}"), format="json")
    assert response.status_code == 201 and response.json()["credit_code"] == code


@pytest.mark.parametrize("who, overrides, code", [
    ("xin", {"credit_code": wrong_checksum(new_credit_code(1))}, "credit_code_checksum"),
    ("xin", {"credit_code": "91410400DD00"}, "credit_code_length"),
    ("xin", {"credit_code": "DUPLICATE"}, "duplicate_credit_code"),
    ("xin", {"name": ""}, "blank"),
    ("xin", {"kind": "bank"}, "invalid_choice"),
    ("xin", {"region": "999999"}, "does_not_exist"),
    ("cheng", {}, "region_required"),
    ("cheng", {"region": "410422", "authority": "HEALTH_BUREAU"}, "authority_region_mismatch"),
])
def test_bad_unit_input_is_400_with_a_stable_code_and_saves_nothing(api, request, unit_a, health_bureau, who,
                                                                   overrides, code):
    overrides = resolved(overrides, DUPLICATE=unit_a.credit_code, HEALTH_BUREAU=health_bureau.pk)
    before, events = snapshot(), AuditEvent.objects.count()
    response = as_user(api, request.getfixturevalue(who)).post(UNITS, unit_body(**overrides), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == code, response.json()
    assert snapshot() == before and AuditEvent.objects.count() == events


def test_a_duplicate_credit_code_message_is_chinese(api, xin, unit_a):
    response = as_user(api, xin).post(UNITS, unit_body(credit_code=unit_a.credit_code), format="json")
    assert response.json()["message"] == "该统一社会信用代码已登记，请勿重复添加。"


def test_county_hr_cannot_add_a_unit_in_another_county(api, xin, yexian):
    response = as_user(api, xin).post(UNITS, unit_body(region=yexian.code), format="json")
    assert response.status_code == 404
    assert not Unit.objects.filter(credit_code=new_credit_code(1)).exists()


@pytest.mark.parametrize("who", ["ada", "hank", "alice"])
def test_other_roles_cannot_add_units(api, request, who):
    response = as_user(api, request.getfixturevalue(who)).post(UNITS, unit_body(region="410402"), format="json")
    assert response.status_code == 404
    assert not Unit.objects.filter(credit_code=new_credit_code(1)).exists()


def test_anonymous_callers_are_refused(api, db):
    assert api.post(UNITS, unit_body(), format="json").status_code == 403
    assert api.post(PEOPLE, person_body(), format="json").status_code == 403
    assert not Unit.objects.exists() and not Professional.objects.exists()


def test_malformed_json_is_a_clear_400(api, xin):
    response = as_user(api, xin).post(UNITS, "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "malformed_json"


# --- POST /api/v1/professionals/ ------------------------------------------------------------------------


def test_a_unit_reviewer_adds_a_staff_member(api, ada, unit_a):
    response = as_user(api, ada).post(PEOPLE, person_body(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["id_number"], body["title_level"], body["unit"], body["started_on"]) == (
        new_id_number(1), "junior", unit_a.pk, TODAY.isoformat())
    person = Professional.objects.get(pk=body["id"])
    assert person.user is None and person.status == Professional.Status.ACTIVE
    assert person.employments.get().unit == unit_a
    assert AuditEvent.objects.filter(action="unit.staff_add", actor=ada).exists()


def test_a_chinese_title_label_and_a_start_date_are_accepted(api, ada):
    response = as_user(api, ada).post(PEOPLE, person_body(title_level="副高级", started_on="2021-09-01"),
                                      format="json")
    assert response.status_code == 201
    person = Professional.objects.get(id_number_q(new_id_number(1)))
    assert person.title_level == "associate_senior" and str(person.employments.get().started_on) == "2021-09-01"


@pytest.mark.parametrize("overrides, code", [
    ({"id_number": wrong_checksum(new_id_number(1))}, "id_number_checksum"),
    ({"id_number": "4104001978"}, "id_number_length"),
    ({"id_number": ""}, "id_number_required"),
    ({"id_number": "ALICE"}, "duplicate_id_number"),
    ({"id_number": "BOB", "name": "李博"}, "employed_elsewhere"),
    ({"name": ""}, "name_required"),
    ({"title_level": "expert"}, "title_level_invalid"),
    ({"phone": "110"}, "phone_format"),
    ({"started_on": "2025-03-11"}, "started_on_in_future"),
    ({"started_on": "yesterday"}, "started_on_format"),
    ({"unit": "OTHER"}, "unit_out_of_scope"),
    ({"unit": 999999}, "does_not_exist"),
])
def test_bad_staff_input_is_400_with_a_stable_code_and_saves_nothing(api, ada, alice, bob, unit_b, overrides,
                                                                    code):
    overrides = resolved(overrides, ALICE=alice.id_number, BOB=bob.id_number, OTHER=unit_b.pk)
    before = snapshot()
    response = as_user(api, ada).post(PEOPLE, person_body(**overrides), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == code, response.json()
    assert snapshot() == before


def test_every_problem_of_a_row_is_listed_by_field(api, ada):
    response = as_user(api, ada).post(PEOPLE, person_body(name="", id_number="123", phone="1"), format="json")
    errors = response.json()["errors"]
    assert [e["code"] for e in errors["name"]] == ["name_required"]
    assert [e["code"] for e in errors["id_number"]] == ["id_number_length"]
    assert [e["code"] for e in errors["phone"]] == ["phone_format"]


def test_employed_elsewhere_tells_to_use_a_transfer(api, ada, bob):
    response = as_user(api, ada).post(PEOPLE, person_body(id_number=bob.id_number, name=bob.name), format="json")
    assert response.json()["message"] == "该人员当前在其他单位任职，请通过调入办理。"


def test_a_reviewer_of_two_units_must_say_which(api, unit_a):
    other = UnitFactory(name="第二分院")
    user = UserFactory(username="multi")
    grant(user, Role.UNIT_REVIEWER, unit_a)
    grant(user, Role.UNIT_REVIEWER, other)
    response = as_user(api, user).post(PEOPLE, person_body(), format="json")
    assert response.status_code == 400 and response.json()["code"] == "unit_required"
    response = api.post(PEOPLE, person_body(unit=other.pk), format="json")
    assert response.status_code == 201
    assert Professional.objects.get(id_number_q(new_id_number(1))).employments.get().unit == other


@pytest.mark.parametrize("who", ["xin", "cheng", "hank", "alice"])
def test_only_unit_reviewers_add_staff(api, request, who):
    response = as_user(api, request.getfixturevalue(who)).post(PEOPLE, person_body(), format="json")
    assert response.status_code == 404
    assert not Professional.objects.filter(id_number_q(new_id_number(1))).exists()


def test_the_schema_documents_both_endpoints(client, db):
    schema = client.get("/api/schema/").content.decode()
    assert "/api/v1/units/" in schema and "/api/v1/professionals/" in schema


# --- the same checks on the HTML forms --------------------------------------------------------------------


def assert_form_refuses(client, user, path: str, body: dict, field: str, message: str) -> None:
    """The form comes back with `message` on `field`, and nothing is saved."""
    client.force_login(user)
    before = snapshot()
    errors = client.post(path, body).context["form"].errors
    assert any(message in e for e in errors.get(field, [])), errors
    assert snapshot() == before


def test_county_hr_adds_a_unit_through_the_form(client, xin, xinhua):
    client.force_login(xin)
    assert "添加用人单位" in client.get("/county/").content.decode()
    response = client.post("/units/new/", {**unit_body(), "region": xinhua.pk})
    assert response.status_code == 302
    assert Unit.objects.get(credit_code=new_credit_code(1)).region == xinhua


@pytest.mark.parametrize("overrides, field, message", [
    ({"credit_code": wrong_checksum(new_credit_code(1))}, "credit_code", "校验位不正确"),
    ({"credit_code": "DUPLICATE"}, "credit_code", "该统一社会信用代码已登记"),
    ({"name": ""}, "name", "请填写单位名称"),
    ({"region": "YEXIAN"}, "region", "选择一个有效的选项"),
])
def test_the_unit_form_refuses_in_chinese_and_saves_nothing(client, xin, unit_a, yexian, overrides, field, message):
    overrides = resolved(overrides, DUPLICATE=unit_a.credit_code, YEXIAN=yexian.pk)
    assert_form_refuses(client, xin, "/units/new/", unit_body(**overrides), field, message)


def test_city_hr_must_choose_a_region_on_the_form(client, cheng):
    client.force_login(cheng)
    response = client.post("/units/new/", unit_body())
    assert "请选择单位所属区域" in response.content.decode()
    assert not Unit.objects.filter(credit_code=new_credit_code(1)).exists()


@pytest.mark.parametrize("who", ["ada", "hank", "alice"])
def test_only_hr_bureaus_open_the_unit_form(client, request, who):
    user = request.getfixturevalue(who)
    client.force_login(getattr(user, "user", user))
    assert client.get("/units/new/").status_code == 404


def test_a_unit_reviewer_adds_one_person_through_the_form(client, ada, unit_a):
    client.force_login(ada)
    response = client.post("/unit/staff/add/", {**person_body(), "started_on": ""})
    assert response.status_code == 302
    assert Professional.objects.get(id_number_q(new_id_number(1))).employments.get().unit == unit_a


@pytest.mark.parametrize("overrides, field, message", [
    ({"id_number": wrong_checksum(new_id_number(1))}, "id_number", "校验位不正确"),
    ({"id_number": "ALICE"}, "id_number", "该人员已在本单位登记"),
    ({"id_number": "BOB", "name": "李博"}, "id_number", "请通过调入办理"),
    ({"phone": "12"}, "phone", "手机号码应为 11 位"),
    ({"started_on": "2025-03-11"}, "started_on", "入职日期不能晚于今天"),
])
def test_the_add_form_refuses_in_chinese_and_saves_nothing(client, ada, alice, bob, overrides, field, message):
    overrides = resolved(overrides, ALICE=alice.id_number, BOB=bob.id_number)
    assert_form_refuses(client, ada, "/unit/staff/add/", person_body(**overrides), field, message)


def test_only_unit_reviewers_open_the_add_form(client, xin):
    client.force_login(xin)
    assert client.get("/unit/staff/add/").status_code == 404


def test_region_codes_in_the_api_are_the_official_ones(db):
    assert region("新华区").code == "410402" and region("叶县").code == "410422"
