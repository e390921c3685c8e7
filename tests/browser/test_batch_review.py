"""A unit reviewer opens the evidence of two claims, batch-approves three, and sees the third refused."""
import re

import pytest
import time_machine

from audits.review.models import EvidenceView
from records.hours.models import Claim
from tests.audits.review_helpers import NOW, claim_with_evidence
from tests.browser.conftest import log_in
from tests.factories import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _clock():
    # Ticking from a fixed moment: the pages run on a known day, and time still passes for the browser.
    with time_machine.travel(NOW, tick=True):
        yield


def open_claim_page(page, claim):
    """Open the claim's review page and wait until its inline evidence has been served."""
    with page.expect_response(re.compile(r"/evidence/\d+/\?inline=1$")) as served:
        page.goto(f"/review/claims/{claim.pk}/")
    assert served.value.status == 200
    assert page.locator("h1").inner_text() == f"申报审核：{claim.title}"


def test_ada_opens_two_claims_batch_approves_three_and_sees_one_refused(page, alice, ada):
    first, second, unopened = (claim_with_evidence(alice, title=f"急救技能培训第{n}期") for n in (1, 2, 3))
    log_in(page, "ada", DEMO_PASSWORD)
    page.click("text=待审核申报（3）")
    assert page.url.endswith("/review/")
    assert page.locator("tr.approvable").count() == 0

    open_claim_page(page, first)
    open_claim_page(page, second)
    assert EvidenceView.objects.filter(reviewer=ada).count() == 2

    page.goto("/review/")
    # Before any click the page shows which rows may be approved: the two whose evidence ada opened.
    approvable = page.locator("tr.approvable")
    assert approvable.count() == 2
    assert sorted(int(pk) for pk in approvable.evaluate_all("rows => rows.map(r => r.dataset.claim)")) == sorted(
        [first.pk, second.pk])
    page.click("#select-approvable")
    assert page.locator("#selected-count").inner_text() == "2"
    page.check(f'tr[data-claim="{unopened.pk}"] input[name=claim]')
    assert page.locator("#selected-count").inner_text() == "3"
    assert "其中 1 条尚未查看全部材料" in page.locator("#selected-unviewed").inner_text()

    page.check('input[name=action][value=approve]')
    page.click("text=执行批量操作")
    page.wait_for_url(re.compile(r"/review/batch/[0-9a-f-]+/$"))

    assert page.locator("h1").inner_text() == "批量审核通过结果"
    assert "已审核通过 2 条" in page.locator("#decided h2").inner_text()
    assert page.locator("#decided li").count() == 2
    refused = page.locator(f'#refused tr[data-claim="{unopened.pk}"]')
    assert "急救技能培训第3期" in refused.inner_text()
    assert refused.locator(".reason").inner_text().startswith("有 1 份佐证材料您尚未查看")
    statuses = dict(Claim.objects.filter(pk__in=[first.pk, second.pk, unopened.pk]).values_list("pk", "status"))
    assert statuses == {first.pk: "unit_approved", second.pk: "unit_approved", unopened.pk: "submitted"}

    page.click("text=← 返回待审核列表")
    assert [int(pk) for pk in page.locator("tbody tr[data-claim]").evaluate_all(
        "rows => rows.map(r => r.dataset.claim)")] == [unopened.pk]
