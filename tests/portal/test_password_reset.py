"""A forgotten password, reset by mail (issue 14, accounts): accounts are found by the e-mail on file (a
professional's account name is a digest, so the e-mail is what they can give), the answer is the same whether
or not the address is on file (the mail goes from a worker, after the answer), requests are rate-limited per
client address and per address typed, and both the request and the completion are audited."""
import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from audits.trail.models import AuditEvent
from records.people.models import Account, Professional
from records.people.selectors import professional_username
from records.people.views import PASSWORD_RESET_RATE_PER_HOUR
from tests.factories import DEMO_PASSWORD, SHANGHAI, ProfessionalFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)  # a Monday
NEW = "Xin-mima-2026!"
LINK = re.compile(r"http://testserver(/password/reset/[^/\s]+/[^/\s]+/)")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def alice_on_file(alice):
    """alice as the portal names a professional's account (the digest of her number), with her e-mail on file."""
    user = alice.user
    user.username, user.email = professional_username(alice.id_number), "alice@example.cn"
    user.save()
    return alice


@pytest.fixture(autouse=True)
def worker_inline():
    """The mail task runs inline once the request's transaction commits (the app reads Django's settings
    once, so set its own config)."""
    from ce_portal.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def ask(client, django_capture_on_commit_callbacks):
    def ask(email, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("password_reset"), {"email": email}, **extra)

    return ask


def test_a_professional_resets_with_the_email_on_file_and_logs_in_with_the_new_password(client, ask, alice_on_file):
    alice = alice_on_file
    response = ask("Alice@Example.CN")  # any case
    assert (response.status_code, response.url) == (302, reverse("password_reset_done"))
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.cn"] and "重设密码" in message.subject
    assert "身份证号码" in message.body and "24 小时" in message.body
    assert alice.id_number not in message.body and alice.user.username not in message.body
    link = LINK.search(message.body).group(1)

    form_page = client.get(link)  # Django moves the token out of the address into the session
    assert form_page.status_code == 302
    assert "设置新密码" in client.get(form_page.url).content.decode()
    done = client.post(form_page.url, {"new_password1": NEW, "new_password2": NEW})
    assert (done.status_code, done.url) == (302, reverse("password_reset_complete"))

    alice.user.refresh_from_db()
    assert alice.user.check_password(NEW) and not alice.user.check_password(DEMO_PASSWORD)
    assert "链接无效" in client.get(link, follow=True).content.decode()  # used once only
    login = client.post(reverse("login"), {"username": alice.id_number, "password": NEW})
    assert (login.status_code, login.url) == (302, reverse("home"))

    requested, completed = AuditEvent.objects.filter(action__startswith="account.password_reset").order_by("id")
    assert (requested.action, requested.actor, requested.object_id) == (
        "account.password_reset_request", None, str(alice.user.pk))
    assert (completed.action, completed.actor, completed.object_id) == (
        "account.password_reset", alice.user, str(alice.user.pk))
    assert NEW not in str(completed.after) and "alice@example.cn" not in str(requested.after)


def test_an_address_nobody_has_gets_the_same_answer_and_no_mail(client, ask, alice_on_file):
    pending = ProfessionalFactory(status=Professional.Status.PENDING,
                                  user=UserFactory(email="pending@example.cn", is_active=False))
    known = ask("alice@example.cn")
    mail.outbox.clear()
    for unknown in ("nobody@example.cn", pending.user.email):
        response = ask(unknown)
        assert (response.status_code, response.url) == (known.status_code, known.url)
    assert mail.outbox == []
    assert AuditEvent.objects.filter(action="account.password_reset_request").count() == 1  # alice's only
    sent = client.get(reverse("password_reset_done")).content.decode()
    assert "如果该电子邮箱已在平台登记" in sent


def test_a_malformed_address_is_refused_in_chinese(client, ask, alice_on_file):
    response = ask("alice@")
    assert response.status_code == 200
    assert "电子邮箱格式不正确" in response.content.decode()
    assert mail.outbox == []


def test_the_same_address_is_limited_per_hour_and_then_allowed_again(client, ask, alice_on_file, frozen):
    for n in range(PASSWORD_RESET_RATE_PER_HOUR):
        # From different client addresses: the limit on the address typed holds on its own.
        assert ask("alice@example.cn", REMOTE_ADDR=f"10.0.0.{n + 1}").status_code == 302
    refused = ask("alice@example.cn", REMOTE_ADDR="10.0.1.1")
    assert refused.status_code == 429
    assert "找回密码的请求过于频繁" in refused.content.decode()
    assert len(mail.outbox) == PASSWORD_RESET_RATE_PER_HOUR

    frozen.shift(dt.timedelta(hours=1))
    assert ask("alice@example.cn", REMOTE_ADDR="10.0.1.1").status_code == 302
    assert len(mail.outbox) == PASSWORD_RESET_RATE_PER_HOUR + 1


def test_one_client_address_is_limited_whatever_the_addresses_it_types(client, ask, alice_on_file):
    for n in range(PASSWORD_RESET_RATE_PER_HOUR):
        assert ask(f"guess{n}@example.cn").status_code == 302
    refused = ask("alice@example.cn")  # on file, but this client has asked too often
    assert refused.status_code == 429 and "本次没有发送邮件" in refused.content.decode()
    assert mail.outbox == []
    assert not AuditEvent.objects.filter(action="account.password_reset_request").exists()


def test_a_reset_by_mail_ends_a_one_time_passwords_hold(client, ask, alice_on_file):
    Account.objects.create(user=alice_on_file.user, must_change_password=True)
    ask("alice@example.cn")
    form_page = client.get(LINK.search(mail.outbox[0].body).group(1))
    client.post(form_page.url, {"new_password1": NEW, "new_password2": NEW})
    assert not Account.objects.get(user=alice_on_file.user).must_change_password


def test_a_staff_account_is_told_its_username(client, ask, ada):
    ada.email = "ada@example.cn"
    ada.save()
    ask("ada@example.cn")
    assert "用户名 ada" in mail.outbox[0].body


def test_the_login_page_links_the_reset(client, db):
    page = client.get(reverse("login")).content.decode()
    assert "忘记密码？" in page and reverse("password_reset") in page


def test_the_mail_goes_from_a_worker_after_the_answer(client, alice_on_file, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(reverse("password_reset"), {"email": "alice@example.cn"})
    assert response.status_code == 302 and mail.outbox == [] and len(queued) == 1
    alice_on_file.user.is_active = False  # made inactive before the worker ran: nothing goes
    alice_on_file.user.save()
    queued[0]()
    assert mail.outbox == []
