"""A unit's one-time password for its own staff (issue 14, accounts): a confirmation page, the password shown
once and kept only as a hash, the reset audited without it; only the reviewers of the person's current unit may
(everyone else 404); the person, logged in with it, reaches nothing but the password change page until they
have chosen their own, which clears the flag."""
import datetime as dt
import json

import pytest
import time_machine
from django.urls import reverse

from audits.trail.models import AuditEvent
from records.people.models import Account, Employment, Role
from records.people.rules import one_time_password_refusal
from tests.factories import DEMO_PASSWORD, SHANGHAI, ProfessionalFactory, UserFactory, grant

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
NEW = "Zi-ji-de-2026!"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.parametrize("has_account, is_active, other_roles, code", [
    (True, True, False, None),
    (False, False, False, "no_account"),
    (True, False, False, "account_inactive"),
    (True, True, True, "account_has_other_roles"),
    (True, False, True, "account_inactive"),  # nothing to hand over before the account is in use
])
def test_which_accounts_a_unit_may_give_a_one_time_password(has_account, is_active, other_roles, code):
    refusal = one_time_password_refusal(has_account=has_account, is_active=is_active, other_roles=other_roles)
    assert (refusal and refusal.code) == code


def _reset_url(professional):
    return reverse("records:staff_password_reset", kwargs={"pk": professional.pk})


def _reset(client, reviewer, professional) -> str:
    client.force_login(reviewer)
    response = client.post(_reset_url(professional))
    assert response.status_code == 200
    return response.context["password"]


def test_the_unit_confirms_then_sees_the_password_once_and_the_trail_says_who_reset_whom(client, ada, alice):
    client.force_login(ada)
    detail = client.get(reverse("records:professional_detail", kwargs={"pk": alice.pk})).content.decode()
    assert _reset_url(alice) in detail and "重置密码" in detail
    confirm = client.get(_reset_url(alice))
    assert "确认重置密码" in confirm.content.decode()
    alice.user.refresh_from_db()
    assert alice.user.check_password(DEMO_PASSWORD)  # the confirmation page changes nothing

    response = client.post(_reset_url(alice))
    password = response.context["password"]
    assert password in response.content.decode() and len(password) == 12
    assert "no-store" in response["Cache-Control"]
    alice.user.refresh_from_db()
    assert alice.user.check_password(password) and not alice.user.check_password(DEMO_PASSWORD)
    assert password not in alice.user.password  # a hash only
    assert Account.objects.get(user=alice.user).must_change_password
    event = AuditEvent.objects.get(action="account.password_one_time_set")
    assert (event.actor, event.object_id, event.after) == (ada, str(alice.user.pk), {"professional": alice.pk})
    assert password not in json.dumps([event.before, event.after])
    # Another reset gives another password.
    assert client.post(_reset_url(alice)).context["password"] != password


def test_nobody_but_the_reviewers_of_the_persons_current_unit_may_reset_and_gets_404(
        client, alice, bob, ada, hank, xin, cheng):
    for caller in (hank, xin, cheng, bob.user, alice.user):  # over the unit, the city, someone else, herself
        client.force_login(caller)
        assert client.get(_reset_url(alice)).status_code == 404
        assert client.post(_reset_url(alice)).status_code == 404
        assert _reset_url(alice) not in client.get(
            reverse("records:professional_detail", kwargs={"pk": alice.pk})).content.decode()
    client.force_login(ada)
    assert client.post(_reset_url(bob)).status_code == 404  # another unit's person
    Employment.objects.filter(professional=alice).update(ended_on=dt.date(2026, 2, 28))  # left the unit
    assert client.post(_reset_url(alice)).status_code == 404
    assert not Account.objects.exists() and not AuditEvent.objects.filter(
        action="account.password_one_time_set").exists()
    alice.user.refresh_from_db()
    assert alice.user.check_password(DEMO_PASSWORD)


@pytest.mark.parametrize("case, message", [
    ("no account", "尚未注册账号"),
    ("inactive", "尚未启用"),
    ("other roles", "另有审核或管理职责"),
])
def test_an_account_the_unit_does_not_answer_for_is_refused_and_nothing_changes(client, ada, unit_a, unit_b, case,
                                                                                message):
    person = ProfessionalFactory(unit=unit_a, user=None if case == "no account" else UserFactory(
        is_active=case != "inactive"))
    if case == "other roles":
        grant(person.user, Role.UNIT_REVIEWER, unit_b)  # also reviews another unit
    client.force_login(ada)
    response = client.post(_reset_url(person), follow=True)
    assert "未重置密码：" in response.content.decode() and message in response.content.decode()
    assert not Account.objects.exists() and not AuditEvent.objects.filter(
        action="account.password_one_time_set").exists()
    if person.user:
        person.user.refresh_from_db()
        assert person.user.check_password(DEMO_PASSWORD)


def test_the_person_reaches_nothing_but_the_change_page_until_they_change_it(client, ada, alice):
    password = _reset(client, ada, alice)
    client.logout()
    login = client.post(reverse("login"), {"username": "alice", "password": password})
    assert login.status_code == 302
    change = reverse("password_change")
    for url in (reverse("home"), reverse("records:my_home"), reverse("records:my_account"),
                reverse("records:professional_detail", kwargs={"pk": alice.pk}), reverse("review:notifications"),
                reverse("password_change_done"), "/admin/"):
        response = client.get(url)
        assert (response.status_code, response.get("Location")) == (302, change), url
    api = client.post(reverse("registry_api:compliance"), {"id_number": alice.id_number, "year": 2025},
                      content_type="application/json")
    assert (api.status_code, api.json()["code"]) == (403, "password_change_required")
    page = client.get(change)
    assert page.status_code == 200 and "一次性密码" in page.content.decode()

    done = client.post(change, {"old_password": password, "new_password1": NEW, "new_password2": NEW})
    assert (done.status_code, done.url) == (302, reverse("home"))
    assert not Account.objects.get(user=alice.user).must_change_password
    landing = client.get(done.url, follow=True)
    assert landing.redirect_chain[-1][0] == reverse("records:my_home")
    assert "密码已修改" in landing.content.decode()
    assert AuditEvent.objects.filter(action="account.password_change", actor=alice.user).exists()


def test_logging_out_stays_open_while_held(client, ada, alice):
    password = _reset(client, ada, alice)
    client.logout()
    client.post(reverse("login"), {"username": "alice", "password": password})
    response = client.post(reverse("logout"))
    assert (response.status_code, response.url) == (302, reverse("login"))
    assert client.get(reverse("records:my_home")).url.startswith(reverse("login"))


def test_the_reset_ends_the_persons_open_sessions(client, ada, alice):
    from django.test import Client

    hers = Client()
    hers.force_login(alice.user)
    assert hers.get(reverse("records:my_home")).status_code == 200
    _reset(client, ada, alice)
    assert hers.get(reverse("records:my_home")).url.startswith(reverse("login"))
