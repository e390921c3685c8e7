"""Reminders one working day before a due date, and the HR bureaus' daily digest: once each, however often run."""
import datetime as dt
import threading

import pytest
import time_machine
from django.core import mail
from django.db import connection, transaction

from audits.monitor.services import send_overdue_digests
from audits.review.models import Notification
from audits.review.services import email_notifications, send_due_reminders
from audits.review.tasks import remind_due_reviews
from ce_portal.clock import SHANGHAI
from tests.factories import ClaimFactory


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def reviewers(ada, hank, xin, ye):
    for user in (ada, hank, xin, ye):
        user.email = f"{user.username}@example.gov.cn"
        user.save(update_fields=["email"])
    return ada, hank, xin, ye


@pytest.mark.django_db
def test_the_unit_reviewer_is_reminded_one_working_day_before_across_the_holiday(alice, reviewers):
    ada = reviewers[0]
    # Due Thursday 9 Oct: the working day before it is Tuesday 30 Sep (1–8 Oct are off).
    ClaimFactory(professional=alice, filed_on=dt.date(2025, 9, 25), due_on=dt.date(2025, 10, 9))
    with time_machine.travel(at(2025, 9, 29, 8), tick=False):
        assert remind_due_reviews() == 0
    with time_machine.travel(at(2025, 9, 30, 8), tick=False):
        assert remind_due_reviews() == 1
    notice = Notification.objects.get()
    assert notice.user == ada and notice.kind == "review_reminder"
    assert "1 条学时申报将于10月9日（2025-10-09）审核期满" in notice.text
    assert [m.to for m in mail.outbox] == [["ada@example.gov.cn"]]
    assert notice.text in mail.outbox[0].body


@pytest.mark.django_db
def test_running_twice_sends_nothing_more(alice, reviewers):
    ClaimFactory.create_batch(3, professional=alice, due_on=dt.date(2025, 10, 10))
    first = send_due_reminders(today=dt.date(2025, 10, 9), now=at(2025, 10, 9, 8))
    second = send_due_reminders(today=dt.date(2025, 10, 9), now=at(2025, 10, 9, 8, 1))
    assert (first, second) == (1, 0)
    assert Notification.objects.get().text.startswith("您负责审核的 3 条")
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_missed_run_is_made_up_on_the_due_date(alice, reviewers):
    ClaimFactory(professional=alice, due_on=dt.date(2025, 10, 10))
    assert send_due_reminders(today=dt.date(2025, 10, 10), now=at(2025, 10, 10, 8)) == 1
    assert "将于今天（2025-10-10）审核期满" in Notification.objects.get().text


@pytest.mark.django_db
def test_level2_goes_to_the_authority_or_else_to_the_county_bureau(alice, bob, carol, reviewers):
    ada, hank, xin, ye = reviewers
    ClaimFactory(professional=alice, status="unit_approved", review_started_on=dt.date(2025, 10, 9),
                 due_on=dt.date(2025, 10, 17))
    ClaimFactory(professional=bob, status="unit_approved", review_started_on=dt.date(2025, 10, 9),
                 due_on=dt.date(2025, 10, 17))
    ClaimFactory(professional=carol, due_on=dt.date(2025, 10, 30))  # not due yet: nobody hears of it
    assert send_due_reminders(today=dt.date(2025, 10, 16), now=at(2025, 10, 16, 8)) == 2
    assert sorted(Notification.objects.values_list("user__username", flat=True)) == ["hank", "xin"]
    assert all("主管部门/人社部门审核 1 条" in n.text for n in Notification.objects.all())


@pytest.mark.django_db
def test_a_decided_claim_is_not_reminded(alice, reviewers):
    ClaimFactory(professional=alice, status="approved", due_on=dt.date(2025, 10, 10))
    assert send_due_reminders(today=dt.date(2025, 10, 9), now=at(2025, 10, 9, 8)) == 0


@pytest.mark.django_db
def test_each_county_bureau_gets_a_digest_of_its_own_overdue_reviews(alice, bob, carol, unit_a, unit_b, reviewers):
    ada, hank, xin, ye = reviewers
    ClaimFactory(professional=alice, due_on=dt.date(2025, 10, 10))
    ClaimFactory.create_batch(2, professional=bob, status="unit_approved", due_on=dt.date(2025, 10, 13))
    ClaimFactory(professional=carol, due_on=dt.date(2025, 10, 20))  # 叶县: not overdue yet
    assert send_overdue_digests(today=dt.date(2025, 10, 15), now=at(2025, 10, 15, 8, 30)) == 1
    assert send_overdue_digests(today=dt.date(2025, 10, 15), now=at(2025, 10, 15, 9)) == 0
    digest = Notification.objects.get()
    assert digest.user == xin and digest.kind == "overdue_digest"
    assert "共有 3 条学时申报逾期未审核（单位审核 1 条、主管部门/人社部门审核 2 条），涉及 2 家单位，最早的审核期限为 2025-10-10" in digest.text
    assert f"{unit_b.name}：2 条" in digest.text and f"{unit_a.name}：1 条" in digest.text
    assert [m.to for m in mail.outbox] == [["xin@example.gov.cn"]]
    # The next day is a new digest.
    assert send_overdue_digests(today=dt.date(2025, 10, 16), now=at(2025, 10, 16, 8, 30)) == 1


@pytest.mark.django_db
def test_the_digest_leaves_out_a_claim_that_waits_on_the_citys_screening_decision(alice, reviewers):
    from audits.screening.models import ScreeningFlag

    held = ClaimFactory(professional=alice, due_on=dt.date(2025, 10, 10))
    ScreeningFlag.objects.create(rule="same_evidence", claim=held, professional=alice, evidence={},
                                 dedupe_key=f"test:{held.pk}", created_at=at(2025, 10, 12, 2))
    assert send_overdue_digests(today=dt.date(2025, 10, 15), now=at(2025, 10, 15, 8, 30)) == 0


@pytest.mark.django_db
def test_no_digest_when_nothing_is_overdue(alice, reviewers):
    ClaimFactory(professional=alice, due_on=dt.date(2025, 10, 10))
    assert send_overdue_digests(today=dt.date(2025, 10, 10), now=at(2025, 10, 10, 8, 30)) == 0


@pytest.mark.django_db
def test_a_failed_mail_is_sent_on_the_next_run(alice, reviewers, settings):
    ClaimFactory(professional=alice, due_on=dt.date(2025, 10, 10))
    settings.EMAIL_BACKEND = "tests.audits.test_reminders.FailingBackend"
    send_due_reminders(today=dt.date(2025, 10, 9), now=at(2025, 10, 9, 8))
    assert Notification.objects.get().emailed_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    send_due_reminders(today=dt.date(2025, 10, 9), now=at(2025, 10, 9, 9))
    assert Notification.objects.get().emailed_at == at(2025, 10, 9, 9)
    assert len(mail.outbox) == 1


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


@pytest.mark.django_db(transaction=True)
def test_a_notice_another_worker_is_mailing_is_not_mailed_again(alice, reviewers):
    ClaimFactory(professional=alice, due_on=dt.date(2025, 10, 10))
    Notification.objects.create(user=reviewers[0], kind="review_reminder", text="…", dedupe_key="remind:x",
                                created_at=at(2025, 10, 9, 8))
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                list(Notification.objects.select_for_update().filter(dedupe_key="remind:x"))
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    worker = threading.Thread(target=other_worker)
    worker.start()
    try:
        assert locked.wait(10)
        assert email_notifications(keys=["remind:x"], now=at(2025, 10, 9, 8), subject="提醒") == 0
    finally:
        release.set()
        worker.join()
    assert mail.outbox == []
