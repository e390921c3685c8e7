"""我的账户 (issue 14, accounts): a professional keeps their own phone (stored encrypted) and e-mail (where a
reset link goes); name and ID number are shown, changed only through the unit. Every bad input says why in
Chinese and changes nothing; a change is audited, the phone only as changed, never as a number."""
import datetime as dt
import json

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from audits.trail.models import AuditEvent
from tests.factories import SHANGHAI

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
URL = "/me/account/"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def alice_in(client, alice):
    alice.phone = "13803750001"
    alice.save()
    client.force_login(alice.user)
    return alice


def test_the_page_shows_name_and_number_read_only_and_the_contact_details_to_edit(client, alice_in):
    assert reverse("records:my_account") == URL
    page = client.get(URL).content.decode()
    assert alice_in.name in page and alice_in.id_number in page and "只能由所在单位更正" in page
    assert 'value="13803750001"' in page and 'name="email"' in page
    assert 'name="name"' not in page and 'name="id_number"' not in page
    assert URL in client.get(reverse("records:my_home")).content.decode()  # the header links it


def test_a_change_is_saved_encrypted_and_audited_without_the_phone_number(client, alice_in):
    response = client.post(URL, {"phone": "139-0375 1234", "email": "alice@example.cn",
                                 "name": "别人", "id_number": "110101199003070000"})  # not fields: ignored
    assert (response.status_code, response.url) == (302, URL)
    assert "联系方式已保存" in client.get(URL).content.decode()
    alice_in.refresh_from_db()
    alice_in.user.refresh_from_db()
    assert (alice_in.phone, alice_in.user.email, alice_in.name) == ("13903751234", "alice@example.cn", "张爱丽")
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM records_professional WHERE id = %s", [alice_in.pk])
        assert cursor.fetchone()[0] not in ("", "13903751234")  # ciphertext
    event = AuditEvent.objects.get(action="account.contact_update")
    assert (event.actor, event.object_id) == (alice_in.user, str(alice_in.pk))
    assert (event.before, event.after) == ({"email": ""}, {"email": "alice@example.cn", "phone_changed": True})
    assert not {"13903751234", "13803750001"} & set(json.dumps([event.before, event.after]).split('"'))


def test_saving_what_is_already_there_changes_nothing_and_says_so(client, alice_in):
    response = client.post(URL, {"phone": "13803750001", "email": ""}, follow=True)
    assert "联系方式没有变化" in response.content.decode()
    assert not AuditEvent.objects.filter(action="account.contact_update").exists()


@pytest.mark.parametrize("data, field, message", [
    ({"phone": "12345", "email": ""}, "phone", "手机号码应为 11 位数字，以 13–19 开头。"),
    ({"phone": "12803750001", "email": ""}, "phone", "手机号码应为 11 位数字，以 13–19 开头。"),
    ({"phone": "", "email": ""}, "phone", "请填写手机号码。"),
    ({"phone": "13903751234", "email": "alice@"}, "email", "电子邮箱格式不正确，请检查后重新输入。"),
])
def test_a_bad_input_says_why_on_its_field_and_changes_nothing(client, alice_in, data, field, message):
    response = client.post(URL, data)
    assert response.status_code == 200
    assert f'<p class="field-error" data-field="{field}">{message}</p>' in response.content.decode()
    alice_in.refresh_from_db()
    alice_in.user.refresh_from_db()
    assert (alice_in.phone, alice_in.user.email) == ("13803750001", "")
    assert not AuditEvent.objects.filter(action="account.contact_update").exists()


def test_only_a_professional_has_the_page(client, ada):
    client.force_login(ada)
    assert client.get(URL).status_code == 404
    assert client.post(URL, {"phone": "13903751234", "email": "x@example.cn"}).status_code == 404
    assert URL not in client.get(reverse("records:unit_home")).content.decode()
