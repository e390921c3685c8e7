"""The person hears the outcome of their claim, in the portal and by mail (issue 14, "notifications people
act on": approved, returned with the reason and a link to correct it, rejected). Mail goes out from a queue
in the database, so a mail server that is down delays a notice and loses none."""
import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from audits.review.models import Notification
from audits.review.services import mail_pending_notifications, review_decide
from ce_portal.clock import SHANGHAI
from tests.audits.review_helpers import at_level_2, claim_with_evidence, open_all

NOW = dt.datetime(2025, 10, 15, 10, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def with_mail(alice, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    alice.user.email = "alice@example.cn"
    alice.user.save()
    return alice


@pytest.mark.django_db
def test_a_final_approval_tells_the_person_and_passing_a_level_does_not(client, with_mail, ada, hank):
    claim = claim_with_evidence(with_mail, title="急诊急救新技术研修班", due_on=dt.date(2025, 10, 20))
    open_all(ada, claim, now=NOW)
    review_decide(claim_id=claim.pk, reviewer=ada, action="approve", now=NOW)
    assert not Notification.objects.filter(user=with_mail.user).exists()
    open_all(hank, claim, now=NOW)
    review_decide(claim_id=claim.pk, reviewer=hank, action="approve", now=NOW)

    client.force_login(with_mail.user)
    page = client.get(reverse("review:notifications")).content.decode()
    assert "您的学时申报“急诊急救新技术研修班”已审核通过，16 学时已计入 2025 年度。" in page
    assert "申报审核通过" in page
    assert reverse("records:claim_detail", args=[claim.pk]) in page


@pytest.mark.django_db
def test_a_return_says_why_and_until_when(with_mail, ada):
    claim = claim_with_evidence(with_mail, due_on=dt.date(2025, 10, 20))
    review_decide(claim_id=claim.pk, reviewer=ada, action="return", reason="请补充签到表", now=NOW)
    notice = Notification.objects.get(user=with_mail.user)
    assert notice.kind == "claim_returned"
    assert "被退回修改，理由：请补充签到表。请于 2025年10月29日 前修改并重新提交。" in notice.text


@pytest.mark.django_db
def test_a_rejection_gives_the_reason(with_mail, hank):
    claim = at_level_2(with_mail)
    review_decide(claim_id=claim.pk, reviewer=hank, action="reject", reason="不属于继续教育范围", now=NOW)
    assert Notification.objects.get(user=with_mail.user).text.endswith("审核不通过，理由：不属于继续教育范围。")


@pytest.mark.django_db
def test_the_mail_queue_sends_each_notice_once_and_keeps_it_while_the_server_is_down(with_mail, ada, settings):
    claim = claim_with_evidence(with_mail, due_on=dt.date(2025, 10, 20))
    review_decide(claim_id=claim.pk, reviewer=ada, action="return", reason="请补充签到表", now=NOW)

    # A mail server that refuses connections: the notice stays queued.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    assert mail_pending_notifications(now=NOW) == 0
    assert Notification.objects.get(user=with_mail.user).emailed_at is None

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert mail_pending_notifications(now=NOW + dt.timedelta(minutes=5)) == 1
    assert mail_pending_notifications(now=NOW + dt.timedelta(minutes=10)) == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "【继续教育】学时申报被退回修改"
    assert mail.outbox[0].to == ["alice@example.cn"]
    assert "请补充签到表" in mail.outbox[0].body


@pytest.mark.django_db
def test_notices_older_than_three_days_are_not_mailed_any_more(with_mail, ada):
    claim = claim_with_evidence(with_mail, due_on=dt.date(2025, 10, 20))
    review_decide(claim_id=claim.pk, reviewer=ada, action="return", reason="请补充签到表", now=NOW)
    assert mail_pending_notifications(now=NOW + dt.timedelta(days=4)) == 0
    assert not mail.outbox
