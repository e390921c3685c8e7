"""The reviewers' pages: queue (filters, counts, pagination), claim page, decisions, batch, and who gets 404."""
import datetime as dt
import re
from urllib.parse import urljoin

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audits.review.models import EvidenceView, ReviewDecision
from audits.review.services import evidence_opened
from audits.screening.models import ScreeningFlag
from records.hours.models import Claim
from records.people.models import Role
from tests.audits.review_helpers import NOW, at_level_2, claim_with_evidence, open_all
from tests.factories import ClaimFactory, ProfessionalFactory, UnitFactory, UserFactory, grant

pytestmark = pytest.mark.django_db
QUEUE = reverse("review:queue")


@pytest.fixture(autouse=True)
def _frozen():
    # Tuesday 30 September 2025: the next working day is Thursday 9 October (National Day in between).
    with time_machine.travel(NOW, tick=False):
        yield


def rows(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr data-claim="(\d+)"', response.content.decode())]


def count(response, name) -> int:
    return int(re.search(rf'data-count="{name}"[^>]*>[^<]*<strong>(\d+)</strong>', response.content.decode())[1])


def login(client, user):
    client.force_login(user)
    return client


# --- the queue --------------------------------------------------------------------------------------------


def test_the_queue_holds_the_units_pending_claims_with_evidence_earliest_due_first(client, alice, bob, ada):
    later = claim_with_evidence(alice, due_on=dt.date(2025, 10, 10))
    sooner = claim_with_evidence(alice, due_on=dt.date(2025, 10, 9))
    claim_with_evidence(alice, files=0)  # nothing to review
    at_level_2(alice)  # already past the unit
    claim_with_evidence(alice, status="draft")
    claim_with_evidence(bob)  # another unit

    response = login(client, ada).get(QUEUE)

    assert response.status_code == 200
    assert rows(response) == [sooner.pk, later.pk]
    assert count(response, "total") == 2


def test_row_texts_are_escaped_and_link_to_the_claims_review_page(client, alice, ada):
    claim = claim_with_evidence(alice, title='<img src=x onerror="alert(1)">讲座 & 研讨', hours="1.5")

    page = login(client, ada).get(QUEUE).content.decode()

    assert '<img src=x' not in page
    # Jinja2 (MarkupSafe) writes a quote as &#34;, Django as &quot;: the same character to a browser.
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;讲座 &amp; 研讨" in page
    row = re.search(rf'<tr data-claim="{claim.pk}".*?</tr>', page, re.S)[0]
    href = re.search(r'<a href="([^"]+)"', row)[1]
    assert urljoin(QUEUE, href) == reverse("review:claim", args=[claim.pk])
    assert ">1.5</td>" in row


def test_counts_and_due_filters_on_a_frozen_day(client, alice, ada):
    overdue = claim_with_evidence(alice, due_on=dt.date(2025, 9, 29))
    today = claim_with_evidence(alice, due_on=dt.date(2025, 9, 30))
    next_working_day = claim_with_evidence(alice, due_on=dt.date(2025, 10, 9))
    later = claim_with_evidence(alice, due_on=dt.date(2025, 10, 10))
    client = login(client, ada)

    response = client.get(QUEUE)
    assert (count(response, "total"), count(response, "overdue"), count(response, "soon")) == (4, 1, 2)
    assert rows(response) == [overdue.pk, today.pk, next_working_day.pk, later.pk]
    assert "已逾期</span>" in response.content.decode()
    assert rows(client.get(QUEUE, {"due": "overdue"})) == [overdue.pk]
    assert rows(client.get(QUEUE, {"due": "soon"})) == [today.pk, next_working_day.pk]


def test_category_kind_and_unit_filters(client, alice, unit_a, health_bureau, hank):
    other_unit = UnitFactory(name="新华区第二医院", authority=health_bureau)
    dave = ProfessionalFactory(name="戴维", unit=other_unit)
    public = at_level_2(alice, category="public")
    workshop = at_level_2(alice, kind="workshop")
    elsewhere = at_level_2(dave)
    client = login(client, hank)

    assert set(rows(client.get(QUEUE))) == {public.pk, workshop.pk, elsewhere.pk}
    assert rows(client.get(QUEUE, {"category": "public"})) == [public.pk]
    assert rows(client.get(QUEUE, {"kind": "workshop"})) == [workshop.pk]
    response = client.get(QUEUE, {"unit": other_unit.pk})
    assert rows(response) == [elsewhere.pk]
    assert count(response, "total") == 1


def test_a_bad_filter_is_reported_and_ignored(client, alice, bob, ada):
    claim = claim_with_evidence(alice)
    other_units_claim = claim_with_evidence(bob)

    response = login(client, ada).get(QUEUE, {"unit": other_units_claim.unit_id, "due": "yesterday"})

    page = response.content.decode()
    assert "所选单位不在您的待审核范围内" in page
    assert "期限：" in page
    assert rows(response) == [claim.pk]


def test_a_reviewer_with_several_scopes_sees_them_together_and_can_pick_one(client, alice, bob, xin, unit_b):
    grant(xin, Role.UNIT_REVIEWER, unit_b)  # 华兴公司's own reviewer is also the county bureau, say
    level1 = claim_with_evidence(bob)
    level2 = at_level_2(bob)
    client = login(client, xin)

    assert set(rows(client.get(QUEUE))) == {level1.pk, level2.pk}
    assert rows(client.get(QUEUE, {"level": "2"})) == [level2.pk]


def test_the_city_reviews_only_city_level_units_without_an_authority(client, alice, bob, city, cheng):
    dora = ProfessionalFactory(name="赵多拉", unit=UnitFactory(region=city, authority=None))
    mine = at_level_2(dora)
    at_level_2(alice)
    at_level_2(bob)
    assert rows(login(client, cheng).get(QUEUE)) == [mine.pk]


def test_pagination_by_fifty(client, alice, ada):
    claims = [claim_with_evidence(alice) for _ in range(51)]
    client = login(client, ada)
    first = client.get(QUEUE)
    assert len(rows(first)) == 50
    assert count(first, "total") == 51
    assert rows(client.get(QUEUE, {"page": 2})) == [max(c.pk for c in claims)]


def test_rows_show_viewed_files_and_which_are_approvable(client, alice, ada, hank):
    viewed = claim_with_evidence(alice, files=2)
    half = claim_with_evidence(alice, files=2)
    by_other = claim_with_evidence(alice)
    open_all(ada, viewed)
    evidence_opened(user=ada, evidence=half.evidence.first(), now=NOW)
    open_all(hank, by_other)

    page = login(client, ada).get(QUEUE).content.decode()

    def row(claim):
        return re.search(rf'<tr data-claim="{claim.pk}" data-approvable="(\d)".*?class="viewed"[^>]*>(\d+/\d+)', page, re.S)

    assert row(viewed).groups() == ("1", "2/2")
    assert row(half).groups() == ("0", "1/2")
    assert row(by_other).groups() == ("0", "0/1")


def test_the_queue_costs_the_same_queries_for_few_and_many_rows(client, alice, ada):
    client = login(client, ada)
    claim_with_evidence(alice)
    client.get(QUEUE)  # warm up sessions and the calendar
    with CaptureQueriesContext(connection) as few:
        client.get(QUEUE)
    for _ in range(12):
        open_all(ada, claim_with_evidence(alice))
    with CaptureQueriesContext(connection) as many:
        client.get(QUEUE)
    assert len(many) == len(few)


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_the_queue_is_404_for_people_who_review_nothing(client, request, who):
    person = request.getfixturevalue(who)
    assert login(client, person.user).get(QUEUE).status_code == 404


def test_the_queue_needs_a_login(client):
    assert client.get(QUEUE).status_code == 302


def test_role_homes_link_to_the_queue_with_its_count(client, alice, ada):
    claim_with_evidence(alice)
    page = login(client, ada).get(reverse("records:unit_home")).content.decode()
    assert f'href="{QUEUE}" data-pending="1"' in page


# --- the claim page and single decisions ------------------------------------------------------------------


def test_the_claim_page_shows_evidence_inline_and_the_forms(client, alice, ada):
    claim = claim_with_evidence(alice)
    evidence = claim.evidence.get()

    page = login(client, ada).get(reverse("review:claim", args=[claim.pk])).content.decode()

    src = reverse("records:evidence_download", args=[evidence.pk]) + "?inline=1"
    assert f'<iframe class="evidence-frame" src="{src}"' in page
    assert 'value="approve"' in page and 'value="reject"' in page and 'value="return"' in page


def test_opening_the_inline_file_is_recorded_and_makes_the_row_approvable(client, alice, ada):
    claim = claim_with_evidence(alice)
    evidence = claim.evidence.get()
    client = login(client, ada)

    response = client.get(reverse("records:evidence_download", args=[evidence.pk]), {"inline": "1"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert EvidenceView.objects.filter(reviewer=ada, evidence=evidence).exists()
    assert f'data-claim="{claim.pk}" data-approvable="1"' in client.get(QUEUE).content.decode()


def test_the_level_2_reviewer_sees_a_claim_still_at_the_unit_without_forms(client, alice, hank):
    claim = claim_with_evidence(alice)
    page = login(client, hank).get(reverse("review:claim", args=[claim.pk])).content.decode()
    assert "审核决定" not in page


@pytest.mark.parametrize("who", ["alice", "bob", "xin", "ye", "cheng"])
def test_the_claim_page_is_404_to_everyone_else(client, request, alice, who):
    claim = claim_with_evidence(alice)
    user = request.getfixturevalue(who)
    user = getattr(user, "user", user)
    client = login(client, user)
    assert client.get(reverse("review:claim", args=[claim.pk])).status_code == 404
    assert client.post(reverse("review:decide", args=[claim.pk]),
                       {"action": "reject", "reason": "x", "version": 0}).status_code == 404
    assert Claim.objects.get(pk=claim.pk).status == "submitted"


def test_a_draft_is_404_to_its_unit(client, alice, ada):
    claim = ClaimFactory(professional=alice, status="draft")
    assert login(client, ada).get(reverse("review:claim", args=[claim.pk])).status_code == 404


def test_approving_from_the_claim_page(client, alice, ada):
    claim = claim_with_evidence(alice)
    open_all(ada, claim)
    client = login(client, ada)

    response = client.post(reverse("review:decide", args=[claim.pk]), {"action": "approve", "version": 0},
                           follow=True)

    assert response.redirect_chain[-1][0] == QUEUE
    assert "已审核通过" in response.content.decode()
    assert Claim.objects.get(pk=claim.pk).status == "unit_approved"


@pytest.mark.parametrize("post, message", [
    ({"action": "reject", "reason": " ", "version": 0}, "审核不通过必须填写理由"),
    ({"action": "approve", "version": 7}, "该申报已有新的处理"),
    ({"action": "withdraw", "version": 0}, "请选择审核操作"),
])
def test_a_refused_decision_says_why_and_changes_nothing(client, alice, ada, post, message):
    claim = claim_with_evidence(alice)
    open_all(ada, claim)

    response = login(client, ada).post(reverse("review:decide", args=[claim.pk]), post, follow=True)

    assert message in response.content.decode()
    assert Claim.objects.get(pk=claim.pk).status == "submitted"
    assert not ReviewDecision.objects.exists()


# --- batch ------------------------------------------------------------------------------------------------


def test_batch_approve_reports_approved_and_refused_with_reasons(client, alice, ada):
    seen, unseen = claim_with_evidence(alice), claim_with_evidence(alice)
    open_all(ada, seen)
    client = login(client, ada)

    response = client.post(reverse("review:batch"), {"claim": [seen.pk, unseen.pk], "action": "approve"}, follow=True)

    page = response.content.decode()
    assert "已审核通过 <strong>1</strong> 条" in page
    assert re.search(rf'<tr data-claim="{unseen.pk}">.*?有 1 份佐证材料您尚未查看', page, re.S)
    assert [c.status for c in Claim.objects.filter(pk__in=[seen.pk, unseen.pk]).order_by("pk")] == [
        "unit_approved", "submitted"]


def test_someone_elses_batch_result_is_404(client, alice, ada, unit_a):
    claim = claim_with_evidence(alice)
    open_all(ada, claim)
    response = login(client, ada).post(reverse("review:batch"), {"claim": [claim.pk], "action": "approve"})
    result_url = response["Location"]
    colleague = UserFactory(username="ann")
    grant(colleague, Role.UNIT_REVIEWER, unit_a)
    assert login(client, colleague).get(result_url).status_code == 404


def test_batch_return_asks_for_confirmation_first(client, alice, ada):
    claims = [claim_with_evidence(alice) for _ in range(2)]
    client = login(client, ada)
    post = {"claim": [c.pk for c in claims], "action": "return", "reason": "请补充考勤记录"}

    confirm = client.post(reverse("review:batch"), post)

    assert confirm.status_code == 200
    assert "确认批量退回修改" in confirm.content.decode()
    assert not ReviewDecision.objects.exists()

    done = client.post(reverse("review:batch"), {**post, "confirmed": "on"}, follow=True)

    assert "已退回修改 <strong>2</strong> 条" in done.content.decode()
    assert set(Claim.objects.filter(pk__in=post["claim"]).values_list("status", flat=True)) == {"returned"}


@pytest.mark.parametrize("post, message", [
    ({"action": "reject", "reason": ""}, "批量审核不通过必须填写理由"),
    ({"action": "approve", "claim": []}, "请至少勾选一条申报"),
    ({"action": "approve", "claim": ["x"]}, "所选申报编号无效"),
    ({"action": "", "reason": ""}, "请选择批量操作"),
])
def test_a_refused_batch_says_why_and_changes_nothing(client, alice, ada, post, message):
    claim = claim_with_evidence(alice)
    open_all(ada, claim)
    post = {"claim": [claim.pk], "confirmed": "on", **post}

    response = login(client, ada).post(reverse("review:batch"), post, follow=True)

    assert message in response.content.decode()
    assert not ReviewDecision.objects.exists()


def test_a_claim_with_an_open_screening_flag_is_not_marked_approvable(client, alice, ada):
    flagged = claim_with_evidence(alice)
    open_all(ada, flagged)
    ScreeningFlag.objects.create(rule="same_evidence", claim=flagged, professional=alice, evidence={},
                                 dedupe_key=f"test:{flagged.pk}", created_at=NOW)

    page = login(client, ada).get(QUEUE).content.decode()

    assert f'data-claim="{flagged.pk}" data-approvable="0"' in page
    # The row says so, and offers no box to tick for a batch approval (issue 14).
    row = page[page.index(f'data-claim="{flagged.pk}"'):]
    row = row[:row.index("</tr>")]
    assert "筛查标记</span>" in row and 'name="claim"' not in row
    # Its own page says why and offers no 审核通过 that would only refuse after the click (issue 14).
    claim_page = client.get(reverse("review:claim", args=[flagged.pk])).content.decode()
    assert "data-blocking-flags" in claim_page and "处理完毕前不能审核通过" in claim_page
    assert 'value="approve"' not in claim_page and 'value="return"' in claim_page
    unflagged = claim_with_evidence(alice)
    assert 'value="approve"' in client.get(reverse("review:claim", args=[unflagged.pk])).content.decode()


# --- htmx: the table body alone -----------------------------------------------------------------------------


def test_htmx_gets_the_filtered_body_with_the_counts_and_pagination_out_of_band(client, alice, ada):
    public = claim_with_evidence(alice, category="public")
    claim_with_evidence(alice)
    client = login(client, ada)

    response = client.get(QUEUE, {"category": "public"}, HTTP_HX_REQUEST="true")

    fragment = response.content.decode()
    assert response.status_code == 200 and "<html" not in fragment
    assert fragment.startswith('<table><tbody id="queue-rows"><tr data-claim=')
    assert rows(response) == [public.pk]
    assert re.search(r'<ul id="queue-counts"[^>]* hx-swap-oob="true"', fragment) and count(response, "total") == 1
    assert '<div id="queue-pages" ' in fragment and '<div id="queue-filter-errors" hx-swap-oob="true">' in fragment
    # The same address is the whole page without htmx: caches must keep the two apart.
    assert "HX-Request" in response["Vary"]
    assert "<html" in client.get(QUEUE, {"category": "public"}).content.decode()
