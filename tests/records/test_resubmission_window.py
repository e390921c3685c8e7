"""A claim filed in time and returned at the year's close may still come back (issue 12, case 2).

The filing year is judged at the first submission: a claim returned on 31 December gets its resubmission
window (10 working days from the return by default, `RequirementPolicy.resubmission_working_days`) whatever
the date, while a draft never submitted closes with its year.
"""
import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from audits.review.services import claim_submit, review_decide
from ce_portal.clock import SHANGHAI
from ce_portal.errors import DomainError
from records.hours.models import Claim, RequirementPolicy
from records.hours.rules import ResubmissionWindow, claim_year_refusal
from tests.audits.review_helpers import claim_with_evidence

RETURNED_AT = dt.datetime(2025, 12, 31, 16, tzinfo=SHANGHAI)
# 10 working days after Wed 31 Dec 2025: 1–3 Jan 2026 are off, Sun 4 Jan is worked (调休), then 5–9, 12–15 Jan.
LAST_DAY = dt.date(2026, 1, 15)
# The closes of years before 2026 (records migration 0025).
YEAR_END_2024 = dt.datetime(2024, 12, 31, 23, 59, 59, tzinfo=SHANGHAI)
YEAR_END_2025 = dt.datetime(2025, 12, 31, 23, 59, 59, tzinfo=SHANGHAI)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def test_the_window_opens_a_closed_year_for_the_claims_year_only_up_to_its_last_day():
    window = ResubmissionWindow(2025, LAST_DAY)
    assert claim_year_refusal(2025, at(dt.date(2026, 1, 5)), filing_close=YEAR_END_2025).code == "year_closed"
    assert claim_year_refusal(2025, at(dt.date(2026, 1, 5)), window=window, filing_close=YEAR_END_2025) is None
    assert claim_year_refusal(2025, at(LAST_DAY, 23), window=window, filing_close=YEAR_END_2025) is None
    late = claim_year_refusal(2025, at(dt.date(2026, 1, 16), 0), window=window, filing_close=YEAR_END_2025)
    assert late.code == "resubmission_window_closed"
    assert "2026年01月15日" in late.message
    # Not a door to another closed year.
    assert claim_year_refusal(2024, at(dt.date(2026, 1, 5)), window=window,
                              filing_close=YEAR_END_2024).code == "year_closed"


@pytest.fixture
def returned_on_new_years_eve(alice, ada):
    claim = claim_with_evidence(alice, start_date=dt.date(2025, 12, 1), end_date=dt.date(2025, 12, 2),
                                filed_on=dt.date(2025, 12, 26), due_on=dt.date(2026, 1, 6))
    with time_machine.travel(RETURNED_AT, tick=False):
        review_decide(claim_id=claim.pk, reviewer=ada, action="return", reason="请补充考勤记录", now=RETURNED_AT)
    claim.refresh_from_db()
    return claim


@pytest.mark.django_db
def test_the_return_sets_the_window_from_the_policy(returned_on_new_years_eve):
    assert returned_on_new_years_eve.status == "returned"
    assert returned_on_new_years_eve.resubmit_by == LAST_DAY


@pytest.mark.django_db
def test_a_claim_returned_on_31_december_is_corrected_and_resubmitted_on_5_january(
        client, returned_on_new_years_eve, alice):
    claim = returned_on_new_years_eve
    client.force_login(alice.user)
    with time_machine.travel(at(dt.date(2026, 1, 5)), tick=False):
        page = client.get(reverse("records:claim_detail", args=[claim.pk])).content.decode()
        assert "2026-01-15" in page
        edited = client.post(reverse("records:claim_edit", args=[claim.pk]), {
            "action": "draft", "category": claim.category, "kind": claim.kind, "title": claim.title + "（补充考勤）",
            "content": claim.content, "provider_name": claim.provider_name, "start_date": "2025-12-01",
            "end_date": "2025-12-02", "hours": "16", "result": "合格", "external_certificate_no": "",
        })
        assert edited.status_code == 302, edited.content.decode()
        sent = client.post(reverse("records:claim_submit", args=[claim.pk]), follow=True)
    claim.refresh_from_db()
    assert claim.status == "submitted", sent.content.decode()
    assert claim.title.endswith("（补充考勤）")
    assert (claim.year, claim.filed_on, claim.resubmit_by) == (2025, dt.date(2026, 1, 5), None)


@pytest.mark.django_db
def test_after_the_window_the_returned_claim_is_refused_and_unchanged(client, returned_on_new_years_eve, alice):
    claim = returned_on_new_years_eve
    client.force_login(alice.user)
    with time_machine.travel(at(dt.date(2026, 1, 16)), tick=False):
        response = client.post(reverse("records:claim_submit", args=[claim.pk]), follow=True)
    assert "重新提交期限（2026年01月15日）已过" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == "returned"


@pytest.mark.django_db
def test_the_policy_sets_the_number_of_working_days(alice, ada):
    RequirementPolicy.objects.update_or_create(year=2025, defaults={"resubmission_working_days": 3})
    claim = claim_with_evidence(alice, start_date=dt.date(2025, 12, 1), end_date=dt.date(2025, 12, 2),
                                filed_on=dt.date(2025, 12, 26), due_on=dt.date(2026, 1, 6))
    review_decide(claim_id=claim.pk, reviewer=ada, action="return", reason="请补充考勤记录", now=RETURNED_AT)
    assert Claim.objects.get(pk=claim.pk).resubmit_by == dt.date(2026, 1, 6)  # 4, 5, 6 Jan


@pytest.mark.django_db
def test_a_draft_never_submitted_still_closes_with_its_year(alice):
    draft = claim_with_evidence(alice, status="draft", start_date=dt.date(2025, 12, 1), end_date=dt.date(2025, 12, 2),
                                hours=Decimal("8"), filed_on=None, due_on=None)
    with pytest.raises(DomainError) as refused:
        claim_submit(actor=alice.user, claim_id=draft.pk, now=at(dt.date(2026, 1, 5)))
    assert refused.value.code == "year_closed"
