"""The shortfall coach (issue 14): on 1 September, 1 November and 1 December each person behind on the year
is told exactly what is missing and where to learn it, and each unit's reviewers get one list of their staff
who are behind. Once per person, kind and day; through the notification queue; a constant number of queries
whatever the number of people."""
import datetime as dt
import io
from decimal import Decimal as D

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audits.coach.rules import Providers, person_text
from audits.coach.services import shortfall_messages_send
from audits.coach.tasks import send_shortfall_messages
from audits.review.models import Notification
from ce_portal.clock import SHANGHAI
from platforms.registry.models import LearningPlatform, TrainingBase
from records.hours.models import PersonYearTotal
from records.hours.rules import NOTICE_REQUIREMENT, RequirementHours, assess
from records.people.models import Professional
from tests.factories import ProfessionalFactory, UserFactory

TODAY = dt.date(2026, 9, 1)
NOW = dt.datetime(2026, 9, 1, 9, 0, tzinfo=SHANGHAI)
SITE = "https://ce.pds.example.cn"

ALICE_TEXT = (
    "截至 2026-09-01，您 2026 年度的继续教育学时尚未达标：还差专业科目 12 学时，合计还差 12 学时"
    "（年度要求：公需科目 30 学时、专业科目 60 学时、合计 90 学时）。\n"
    "专业科目可在以下经认定的学习平台（附件2）学习，学时自动登记：\n"
    "· 平顶山市专技学习平台：https://zj.pds.example.cn/\n"
    "也可参加继续教育基地（附件3）的面授培训后申报：平顶山学院。\n"
    f"经认定的全部学习平台和继续教育基地：{SITE}/providers/?year=2026\n"
    "请于 2026年12月17日 前完成学习和申报；学时只计入学习当年，不能结转。"
)

UNIT_A_TEXT = (
    "截至 2026-09-01，新华区第一医院有 2 名专业技术人员 2026 年度继续教育学时尚未达标：\n"
    "· 张爱丽：还差专业科目 12 学时\n"
    "· 赵未开：还差公需科目 30 学时、专业科目 60 学时\n"
    "请督促他们于 2026年12月17日 前完成学习和申报；已开通账号的人员已各自收到一条提醒，说明还差哪些学时、可在哪里学习。"
)


def credit(person, public, professional, year=2026):
    PersonYearTotal.objects.create(professional=person, year=year, public_hours=D(public),
                                   professional_hours=D(professional))


@pytest.fixture(autouse=True)
def providers(db, settings):
    """One platform per annex approved for 2026 and one CE base, so the messages' text is known."""
    settings.SITE_URL = SITE
    LearningPlatform.objects.update(active=False)
    TrainingBase.objects.update(active=False)
    LearningPlatform.objects.create(name="河南专技公需平台", operator="某公司", url="https://gx.example.cn/",
                                    category="public", level="provincial", years_approved=[2026])
    LearningPlatform.objects.create(name="平顶山市专技学习平台", operator="某公司", url="https://zj.pds.example.cn/",
                                    category="professional", level="city", years_approved=[2026])
    LearningPlatform.objects.create(name="去年的平台", operator="某公司", url="https://old.example.cn/",
                                    category="professional", level="city", years_approved=[2025])
    TrainingBase.objects.filter(name="平顶山学院").update(active=True)


@pytest.fixture
def staff(alice, bob, carol, ada, unit_a):
    """alice lacks 12 professional hours, bob 20 public ones; carol is compliant; 赵未开 (no account yet)
    has nothing; 钱待审 registered but awaits her unit's approval."""
    credit(alice, 30, 48)
    credit(bob, 10, 70)
    credit(carol, 40, 60)
    ProfessionalFactory(name="赵未开", unit=unit_a)
    ProfessionalFactory(name="钱待审", unit=unit_a, status=Professional.Status.PENDING)
    for user in (alice.user, bob.user, carol.user, ada):
        user.email = f"{user.username}@example.gov.cn"
        user.save(update_fields=["email"])
    return alice, bob, carol, ada


def test_each_person_behind_is_told_exactly_what_is_missing_and_where_to_learn_it(staff):
    alice, bob, carol, ada = staff
    with time_machine.travel(NOW, tick=False):
        assert send_shortfall_messages() == 3  # alice, bob, ada's list
    notice = Notification.objects.get(user=alice.user, kind="shortfall")
    assert notice.text == ALICE_TEXT
    assert notice.link == "/providers/?year=2026"
    bob_text = Notification.objects.get(user=bob.user, kind="shortfall").text
    assert bob_text.startswith("截至 2026-09-01，您 2026 年度的继续教育学时尚未达标：还差公需科目 20 学时，合计还差 20 学时")
    assert "公需科目可在以下经认定的学习平台（附件1）学习，学时自动登记：\n· 河南专技公需平台：https://gx.example.cn/" in bob_text
    assert "附件2" not in bob_text and "去年的平台" not in bob_text
    assert not Notification.objects.filter(user=carol.user).exists()
    mails = {m.to[0]: m for m in mail.outbox}
    assert mails["alice@example.gov.cn"].subject == "【继续教育】您的年度继续教育学时尚未达标"
    assert ALICE_TEXT in mails["alice@example.gov.cn"].body


def test_the_unit_reviewer_gets_one_list_of_the_staff_behind(staff, unit_a):
    ada = staff[3]
    shortfall_messages_send(today=TODAY, now=NOW)
    notice = Notification.objects.get(user=ada)
    assert notice.kind == "shortfall_unit" and notice.text == UNIT_A_TEXT
    assert notice.link == f"/compliance/?year=2026&unit={unit_a.pk}&compliant=no"
    assert "身份证" not in notice.text
    assert mail.outbox[-1].subject == "【继续教育】本单位年度继续教育学时未达标人员名单"


def test_running_twice_the_same_day_sends_nothing_more(staff):
    assert shortfall_messages_send(today=TODAY, now=NOW) == 3
    sent = len(mail.outbox)
    assert shortfall_messages_send(today=TODAY, now=NOW + dt.timedelta(hours=1)) == 0
    assert Notification.objects.count() == 3 and len(mail.outbox) == sent == 3
    # The next coaching day is a new message.
    assert shortfall_messages_send(today=dt.date(2026, 11, 1), now=NOW.replace(month=11, day=1)) == 3


def test_nobody_is_nagged_for_a_year_the_portal_holds_no_records_of(staff, settings):
    settings.RECORDS_SINCE = 2027
    assert shortfall_messages_send(today=TODAY, now=NOW) == 0


def test_a_mail_server_that_is_down_loses_nothing(staff, settings):
    settings.EMAIL_BACKEND = "tests.audits.test_reminders.FailingBackend"
    assert shortfall_messages_send(today=TODAY, now=NOW) == 3
    assert not Notification.objects.filter(emailed_at__isnull=False).exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from audits.review.services import mail_pending_notifications

    assert mail_pending_notifications(now=NOW + dt.timedelta(minutes=5)) == 3
    assert {m.subject for m in mail.outbox} == {"【继续教育】您的年度继续教育学时尚未达标",
                                                "【继续教育】本单位年度继续教育学时未达标人员名单"}


def test_the_queries_do_not_grow_with_the_number_of_people(unit_a, unit_b, ada):
    def run(today):
        with CaptureQueriesContext(connection) as queries:
            shortfall_messages_send(today=today, now=dt.datetime.combine(today, dt.time(9), tzinfo=SHANGHAI))
        return len(queries)

    def hire(n, unit):
        for person in ProfessionalFactory.create_batch(n, unit=unit):
            person.user = UserFactory(username=f"p{person.pk}")
            person.save(update_fields=["user"])

    hire(3, unit_a)
    run(TODAY)  # the first run of the year also writes the year's policy
    few = run(dt.date(2026, 11, 1))
    hire(40, unit_a)
    hire(40, unit_b)
    assert run(dt.date(2026, 12, 1)) == few
    assert Notification.objects.filter(kind="shortfall", created_at__month=12).count() == 83


def test_the_command_prints_the_persons_and_the_units_message_and_sends_nothing(staff):
    out = io.StringIO()
    call_command("show_shortfall_messages", "--person=alice", "--unit=新华区第一医院", "--date=2026-09-01", stdout=out)
    assert ALICE_TEXT in out.getvalue() and UNIT_A_TEXT in out.getvalue()
    assert not Notification.objects.exists()


def test_what_either_category_may_fill_lists_both_annexes():
    # A policy asking 100 in all: 30 public and 60 professional hours still lack 10 of either category.
    requirement = RequirementHours(total=D(100), public=D(30), professional=D(60))
    assessment = assess(D(30), D(60), requirement)
    assert assessment.hours_needed == D(10) == assessment.any_subject_short
    text = person_text(year=2026, today=TODAY, assessment=assessment, requirement=requirement,
                       filing_close=dt.datetime(2026, 12, 17, 23, 59, 59, tzinfo=SHANGHAI), providers=Providers((), (), ()), providers_url="/p")
    assert "还差任意科目 10 学时，合计还差 10 学时（年度要求：公需科目 30 学时、专业科目 60 学时、合计 100 学时）" in text
    assert "（附件1）" in text and "（附件2）" in text
    assert text.count("本年度暂无经认定的此类平台") == 2


def test_more_public_hours_do_not_hide_the_professional_gap():
    # The total lacks 30, but 40 professional hours are missing: 40 is what is needed.
    assert assess(D(40), D(20), NOTICE_REQUIREMENT).hours_needed == D(40)


def test_the_beat_runs_the_coach_on_1_september_1_november_and_1_december(settings):
    from ce_portal.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["shortfall-coach"]
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks
    schedule = entry["schedule"]
    assert (schedule.month_of_year, schedule.day_of_month, schedule.hour, schedule.minute) == ({9, 11, 12}, {1}, {9}, {0})
    assert app.conf.timezone == "Asia/Shanghai"


def test_the_command_says_what_is_wrong_with_its_input(staff):
    from django.core.management.base import CommandError

    for args, message in ((["--person=nobody"], "没有登录账号或姓名为“nobody”的专业技术人员。"),
                          (["--unit=不存在的单位"], "没有名为“不存在的单位”的单位。"),
                          (["--person=alice", "--date=2026-13-01"], "日期“2026-13-01”无效，请写成 2026-09-01 的形式。"),
                          ([], "请用 --person 指定登录账号，或用 --unit 指定单位名称。")):
        with pytest.raises(CommandError, match=message):
            call_command("show_shortfall_messages", *args, stdout=io.StringIO())


def test_the_command_shows_a_person_without_an_account_by_name_and_says_no_notice_reaches_them(staff):
    out = io.StringIO()
    call_command("show_shortfall_messages", "--person=赵未开", "--date=2026-11-01", stdout=out)
    assert out.getvalue().startswith("—— 赵未开 ——\n截至 2026-11-01，您 2026 年度的继续教育学时尚未达标：还差公需科目 30 学时、专业科目 60 学时")
    assert "（此人尚未开通账号，不会收到这条通知，只出现在单位的名单上。）" in out.getvalue()
