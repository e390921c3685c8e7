"""The reviewers' morning list on working days, and the HR bureaus' daily digest: once each, however often run."""
import datetime as dt
import threading

import pytest
import time_machine
from django.core import mail
from django.db import connection, transaction
from django.urls import reverse

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
def test_the_reviewer_gets_one_morning_list_of_what_is_overdue_due_today_and_due_next(alice, reviewers):
    ada = reviewers[0]
    # Friday 9 Oct 2026; the next working day is Saturday 10 Oct, a 调休 make-up day.
    late = ClaimFactory(professional=alice, due_on=dt.date(2026, 9, 30))
    ClaimFactory.create_batch(2, professional=alice, due_on=dt.date(2026, 10, 9))
    ClaimFactory(professional=alice, due_on=dt.date(2026, 10, 10))
    ClaimFactory(professional=alice, due_on=dt.date(2026, 10, 12))  # not due yet: not on the list
    with time_machine.travel(at(2026, 10, 9, 8), tick=False):
        assert remind_due_reviews() == 1
    notice = Notification.objects.get()
    assert notice.user == ada and notice.kind == "review_reminder"
    assert notice.text == (
        "2026-10-09 审核待办：您负责审核的学时申报中\n"
        "· 已逾期 1 条（单位审核 1 条）\n"
        "· 今天（2026-10-09）到期 2 条（单位审核 2 条）\n"
        "· 下一个工作日（2026-10-10）到期 1 条（单位审核 1 条）\n"
        "逾期的申报不会自动通过，请尽快审核。"
    )
    assert notice.link == reverse("review:queue") + "?due=overdue"
    # The task flagged the overdue claim before counting, so the list and the flags agree.
    late.refresh_from_db()
    assert late.overdue_since == at(2026, 10, 9, 8)
    assert [m.to for m in mail.outbox] == [["ada@example.gov.cn"]]
    assert mail.outbox[0].subject == "【继续教育】今日学时申报审核待办"
    assert notice.text in mail.outbox[0].body


@pytest.mark.django_db
def test_the_list_comes_on_working_mornings_only_make_up_days_included(alice, reviewers):
    ClaimFactory(professional=alice, due_on=dt.date(2026, 10, 12))
    with time_machine.travel(at(2026, 10, 3, 8), tick=False):  # National Day holiday (a Saturday)
        assert remind_due_reviews() == 0
    with time_machine.travel(at(2026, 10, 11, 8), tick=False):  # an ordinary Sunday
        assert remind_due_reviews() == 0
    with time_machine.travel(at(2026, 10, 10, 8), tick=False):  # Saturday worked (调休)
        assert remind_due_reviews() == 1
    notice = Notification.objects.get()
    assert "· 下一个工作日（2026-10-12）到期 1 条（单位审核 1 条）\n请在期限内完成审核。" in notice.text
    assert notice.link == reverse("review:queue") + "?due=soon"


@pytest.mark.django_db
def test_nothing_due_soon_across_the_holiday_means_no_list(alice, reviewers):
    # Due Thursday 9 Oct 2025: the working day before it is Tuesday 30 Sep (1–8 Oct are off).
    ClaimFactory(professional=alice, filed_on=dt.date(2025, 9, 25), due_on=dt.date(2025, 10, 9))
    with time_machine.travel(at(2025, 9, 29, 8), tick=False):
        assert remind_due_reviews() == 0
    with time_machine.travel(at(2025, 9, 30, 8), tick=False):
        assert remind_due_reviews() == 1
    assert "下一个工作日（2025-10-09）到期 1 条" in Notification.objects.get().text


@pytest.mark.django_db
def test_running_twice_sends_nothing_more(alice, reviewers):
    ClaimFactory.create_batch(3, professional=alice, due_on=dt.date(2025, 10, 10))
    first = send_due_reminders(today=dt.date(2025, 10, 9), now=at(2025, 10, 9, 8))
    second = send_due_reminders(today=dt.date(2025, 10, 9), now=at(2025, 10, 9, 8, 1))
    assert (first, second) == (1, 0)
    assert "下一个工作日（2025-10-10）到期 3 条" in Notification.objects.get().text
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_next_morning_is_a_new_list(alice, reviewers):
    ClaimFactory(professional=alice, due_on=dt.date(2025, 10, 10))
    assert send_due_reminders(today=dt.date(2025, 10, 9), now=at(2025, 10, 9, 8)) == 1
    assert send_due_reminders(today=dt.date(2025, 10, 10), now=at(2025, 10, 10, 8)) == 1
    assert "今天（2025-10-10）到期 1 条" in Notification.objects.latest("created_at").text


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
def test_the_digest_task_flags_overdue_claims_first_so_its_figures_are_the_monitors(alice, reviewers):
    from audits.monitor.tasks import send_overdue_digests as digest_task

    late = ClaimFactory(professional=alice, due_on=dt.date(2025, 10, 10))  # the timers were down since
    with time_machine.travel(at(2025, 10, 15, 8, 30), tick=False):
        assert digest_task() == 1
    late.refresh_from_db()
    assert late.overdue_since == at(2025, 10, 15, 8, 30)
    assert "共有 1 条学时申报逾期未审核" in Notification.objects.get(kind="overdue_digest").text


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


def test_the_morning_list_is_on_beat_at_eight_shanghai_time_every_day_and_skips_days_off_itself(settings):
    from ce_portal.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["due-reminders"]
    app.loader.import_default_modules()
    assert entry["task"] == "audits.review.tasks.remind_due_reviews" and entry["task"] in app.tasks
    schedule = entry["schedule"]
    # Every day of the week: a 调休 Saturday is a working morning, which a crontab cannot know.
    assert (schedule.hour, schedule.minute, schedule.day_of_week) == ({8}, {0}, set(range(7)))
    assert settings.CELERY_TIMEZONE == app.conf.timezone == "Asia/Shanghai"
