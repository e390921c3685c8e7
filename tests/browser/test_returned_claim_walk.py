"""Issue 14, done-when: a returned claim walked through by its three people in real Chromium.

bob (华兴科技, a unit without an industry authority: its county reviews level 2) files a claim; the unit's
reviewer returns it with a reason; bob finds the notice with the reason and a link, corrects and resubmits;
the next working morning the reviewer's morning list says what falls due; the unit approves, the county
approves, and bob is told.
"""
import datetime as dt

import pytest
import time_machine

from audits.review.tasks import remind_due_reviews
from records.hours.models import Claim
from records.people.models import Role
from tests.browser.conftest import fill_research_claim, log_in
from tests.factories import DEMO_PASSWORD, MINIMAL_PDF, SHANGHAI, UserFactory, grant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MONDAY = dt.datetime(2025, 11, 3, 10, tzinfo=SHANGHAI)
# Resubmitted on Monday 3 November, the claim is due on Monday 10 November: Friday is the working day before.
FRIDAY_MORNING = dt.datetime(2025, 11, 7, 8, tzinfo=SHANGHAI)
FRIDAY = dt.datetime(2025, 11, 7, 10, tzinfo=SHANGHAI)


@pytest.fixture
def ben(unit_b):
    user = UserFactory(username="ben", first_name="华兴科技审核员")
    grant(user, Role.UNIT_REVIEWER, unit_b)
    return user


def log_out(page):
    page.context.clear_cookies()


def open_notice(page, kind_label: str):
    page.get_by_role("link", name="通知").first.click()
    notice = page.locator("li.notice", has_text=kind_label).first
    assert notice.is_visible()
    return notice


def decide(page, claim: Claim, button: str, reason: str = ""):
    page.goto(f"/review/claims/{claim.pk}/")
    page.wait_for_load_state("networkidle")  # the evidence frames load: the reviewer has seen the files
    form = page.locator("main form.decision", has=page.get_by_role("button", name=button))
    if reason:
        form.locator("textarea").fill(reason)
    form.get_by_role("button", name=button).click()
    page.wait_for_load_state("networkidle")


def test_a_returned_claim_goes_back_to_its_filer_and_on_through_unit_and_county(page, bob, ben, xin, tmp_path):
    scan = tmp_path / "培训证书.pdf"
    scan.write_bytes(MINIMAL_PDF)
    with time_machine.travel(MONDAY, tick=True):
        log_in(page, bob.user.username, DEMO_PASSWORD)
        page.get_by_role("link", name="申报学时").first.click()
        fill_research_claim(page, title="软件工程新技术研修班", content="云原生架构、软件质量保证", start="2025-10-27",
                            end="2025-10-28", hours="16", evidence=scan)
        page.click("button[name=action][value=submit]")
        page.wait_for_load_state("networkidle")
        claim = Claim.objects.get(professional=bob)
        assert claim.status == "submitted"
        log_out(page)

        log_in(page, "ben", DEMO_PASSWORD)
        decide(page, claim, "退回修改", reason="请补充加盖培训机构公章的证书页")
        claim.refresh_from_db()
        assert claim.status == "returned"
        log_out(page)

        # bob is told why and until when, with the way to his claim.
        log_in(page, bob.user.username, DEMO_PASSWORD)
        notice = open_notice(page, "申报被退回")
        assert "请补充加盖培训机构公章的证书页" in notice.inner_text()
        notice.get_by_role("link", name="查看").click()
        assert page.url.endswith(f"/me/claims/{claim.pk}/")
        page.get_by_role("link", name="修改内容").click()
        page.fill("#id_content", "云原生架构、软件质量保证（证书已加盖公章）")
        page.set_input_files("#id_evidence", str(scan))
        page.click("button[name=action][value=submit]")
        page.wait_for_load_state("networkidle")
        claim.refresh_from_db()
        assert claim.status == "submitted"
        log_out(page)

    # The morning list at 08:00 on the working day before the claim falls due (beat runs the task then).
    assert claim.due_on == dt.date(2025, 11, 10)
    with time_machine.travel(FRIDAY_MORNING, tick=False):
        assert remind_due_reviews() == 1
    with time_machine.travel(FRIDAY, tick=True):
        log_in(page, "ben", DEMO_PASSWORD)
        morning = open_notice(page, "今日审核待办")
        assert "1 条" in morning.inner_text() and claim.due_on.strftime("%Y-%m-%d") in morning.inner_text()
        decide(page, claim, "审核通过")
        claim.refresh_from_db()
        assert claim.status == "unit_approved"
        log_out(page)

        log_in(page, "xin", DEMO_PASSWORD)
        page.goto("/review/")
        assert page.locator(f"tr[data-claim='{claim.pk}']").count() == 1
        decide(page, claim, "审核通过")
        claim.refresh_from_db()
        assert claim.status == "approved"
        log_out(page)

        log_in(page, bob.user.username, DEMO_PASSWORD)
        approved = open_notice(page, "申报审核通过")
        assert "软件工程新技术研修班" in approved.inner_text()
