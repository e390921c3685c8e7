"""Every user changes their own password (issue 14, accounts): the old one first, the validators' reasons in
Chinese, the change audited, and the new password is the one that logs in."""
import pytest
from django.urls import reverse

from audits.trail.models import AuditEvent
from tests.factories import DEMO_PASSWORD

NEW = "Ce-portal-2027!"


@pytest.mark.django_db
def test_a_professional_changes_their_password_and_it_is_audited(client, alice):
    client.force_login(alice.user)
    assert "修改密码" in client.get(reverse("records:my_home")).content.decode()
    response = client.post(reverse("password_change"), {
        "old_password": DEMO_PASSWORD, "new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 302 and response.url == reverse("password_change_done")
    alice.user.refresh_from_db()
    assert alice.user.check_password(NEW) and not alice.user.check_password(DEMO_PASSWORD)
    event = AuditEvent.objects.get(action="account.password_change")
    assert (event.actor, event.object_id) == (alice.user, str(alice.user.pk))
    # Still logged in on this device after the change.
    assert client.get(reverse("records:my_home")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("data, message", [
    ({"old_password": "wrong-one", "new_password1": NEW, "new_password2": NEW}, "旧密码不正确"),
    ({"old_password": DEMO_PASSWORD, "new_password1": NEW, "new_password2": NEW + "x"}, "两个密码不一致"),
    ({"old_password": DEMO_PASSWORD, "new_password1": "12345678", "new_password2": "12345678"}, "密码只包含数字"),
])
def test_a_bad_change_says_why_in_chinese_and_changes_nothing(client, ada, data, message):
    client.force_login(ada)
    response = client.post(reverse("password_change"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    ada.refresh_from_db()
    assert ada.check_password(DEMO_PASSWORD)
    assert not AuditEvent.objects.filter(action="account.password_change").exists()


def test_anonymous_users_are_sent_to_log_in(client, db):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
