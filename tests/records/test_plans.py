"""Annual training plans (rule 7 in docs/rules.md): the notice's three routes with their deadlines, return
and resubmission, versions, bad input, overdue marking, the HR bureaus' 检查、督导 page, the claim form's plan
item and screening's no-training-plan rule.

新华区 holds 卫健委 over 第一医院 (unit_a, ada) and 华兴公司 (unit_b) with no authority.
"""
import datetime as dt
from decimal import Decimal as D

import pytest
import time_machine
from django.urls import reverse

from audits.calendar.models import WorkingDayOverride
from audits.calendar.selectors import fresh_calendar
from audits.screening.models import ScreeningFlag
from audits.screening.rules import BLOCKING_RULES, Rule
from audits.screening.services import screening_run
from audits.trail.models import AuditEvent
from ce_portal.errors import DomainError, NotFound
from records.hours.forms import ClaimForm
from records.hours.rules import PLAN_ITEM_NOT_OWN
from records.hours.services import ClaimInput, claim_save_draft
from records.people.models import Role
from records.plans.models import TrainingPlan
from records.plans.rules import PlanState
from records.plans.services import (
    PlanItemInput, plan_create, plan_decide, plan_due_dates_recompute, plan_items_save, plan_mark_overdue,
    plan_revise, plan_submit,
)
from tests.factories import SHANGHAI, ClaimFactory, IndustryAuthorityFactory, UnitFactory, UserFactory, grant

pytestmark = pytest.mark.django_db

# Friday 26 September 2025: five working days later is Friday 10 October (1–8 October are off, Sunday 28
# September is worked).
FRIDAY = dt.datetime(2025, 9, 26, 10, 0, tzinfo=SHANGHAI)
DUE = dt.date(2025, 10, 10)


def item(**overrides) -> PlanItemInput:
    values = dict(title="急诊急救技能培训", category="professional", subject_area="临床医学",
                  start_date=dt.date(2025, 11, 10), end_date=dt.date(2025, 11, 11), hours=D("16"),
                  place="本院学术报告厅", provider="平顶山市第一人民医院急诊科", expected_participants=40)
    values.update(overrides)
    return PlanItemInput(**values)


def drafted(actor, now=FRIDAY, **filer) -> TrainingPlan:
    plan = plan_create(actor=actor, year=2025, now=now, **filer)
    return plan_items_save(actor=actor, plan_id=plan.pk, items=[item()], now=now)


def filed(actor, reviewer, **filer) -> TrainingPlan:
    plan = drafted(actor, **filer)
    plan_submit(actor=actor, plan_id=plan.pk, now=FRIDAY)
    return plan_decide(actor=reviewer, plan_id=plan.pk, action="file", now=FRIDAY)


@pytest.fixture
def bella(unit_b):
    user = UserFactory(username="bella", first_name="华兴审核员")
    grant(user, Role.UNIT_REVIEWER, unit_b)
    return user


# --- routing -----------------------------------------------------------------------------------------------

def test_a_unit_with_an_authority_submits_to_it_and_its_approval_files_with_the_bureau_of_its_level(
        ada, hank, xin, unit_a, health_bureau, xinhua):
    with time_machine.travel(FRIDAY, tick=False):
        plan = plan_submit(actor=ada, plan_id=drafted(ada, unit=unit_a).pk, now=FRIDAY)
        assert (plan.state, plan.review_authority, plan.bureau) == (PlanState.SUBMITTED, health_bureau, xinhua)
        assert (plan.review_started_on, plan.due_on, plan.due_provisional) == (FRIDAY.date(), DUE, False)
        with pytest.raises(NotFound):  # the bureau files what the authority approves, not before
            plan_decide(actor=xin, plan_id=plan.pk, action="file", now=FRIDAY)
        plan = plan_decide(actor=hank, plan_id=plan.pk, action="file", now=FRIDAY)
    assert (plan.state, plan.filed_at) == (PlanState.FILED, FRIDAY)
    assert [(s.action, s.acting_as, s.actor) for s in plan.steps.all()] == [
        ("submit", unit_a.name, ada), ("file", health_bureau.name, hank)]
    assert list(AuditEvent.objects.filter(object_type="records.trainingplan", object_id=str(plan.pk))
                .values_list("action", flat=True)) == ["plan.create", "plan.items_save", "plan.submit", "plan.file"]


def test_a_unit_without_an_authority_files_with_its_regions_bureau(bella, hank, xin, unit_b, xinhua):
    with time_machine.travel(FRIDAY, tick=False):
        plan = plan_submit(actor=bella, plan_id=drafted(bella, unit=unit_b).pk, now=FRIDAY)
        assert (plan.review_authority, plan.bureau, plan.due_on) == (None, xinhua, DUE)
        with pytest.raises(NotFound):
            plan_decide(actor=hank, plan_id=plan.pk, action="file", now=FRIDAY)
        plan = plan_decide(actor=xin, plan_id=plan.pk, action="file", now=FRIDAY)
    assert plan.state == PlanState.FILED
    assert plan.steps.last().acting_as == "新华区人社局"


def test_an_authority_files_its_own_plan_with_the_bureau_of_its_region(hank, xin, health_bureau, xinhua):
    with time_machine.travel(FRIDAY, tick=False):
        plan = plan_submit(actor=hank, plan_id=drafted(hank, authority=health_bureau).pk, now=FRIDAY)
        assert (plan.review_authority, plan.bureau, plan.due_on) == (None, xinhua, DUE)
        with pytest.raises(DomainError) as refused:  # it does not approve its own plan
            plan_decide(actor=hank, plan_id=plan.pk, action="file", now=FRIDAY)
        assert refused.value.code == "plan_wrong_party"
        assert plan_decide(actor=xin, plan_id=plan.pk, action="file", now=FRIDAY).state == PlanState.FILED


def test_a_city_level_authority_files_its_units_plan_with_the_city_and_the_county_sees_the_filing(
        client, city, xinhua, xin, ye, cheng):
    city_authority = IndustryAuthorityFactory(name="平顶山市教育局", region=city)
    school = UnitFactory(name="新华区实验中学", region=xinhua, authority=city_authority, kind="public_institution")
    clerk, reviewer = UserFactory(username="school"), UserFactory(username="cityedu")
    grant(clerk, Role.UNIT_REVIEWER, school)
    grant(reviewer, Role.AUTHORITY_REVIEWER, city_authority)
    with time_machine.travel(FRIDAY, tick=False):
        plan = filed(clerk, reviewer, unit=school)
        assert (plan.review_authority, plan.bureau) == (city_authority, city)
        for user, sees in ((xin, True), (ye, False), (cheng, True)):
            client.force_login(user)
            page = client.get(reverse("records:plan_filings"), {"year": 2025}).content.decode()
            assert (f'data-plan="{plan.pk}"' in page) is sees, user


def test_a_return_needs_a_reason_and_the_returned_plan_is_corrected_and_sent_again(ada, hank, unit_a):
    monday = dt.datetime(2025, 10, 13, 9, 0, tzinfo=SHANGHAI)
    with time_machine.travel(FRIDAY, tick=False):
        plan = plan_submit(actor=ada, plan_id=drafted(ada, unit=unit_a).pk, now=FRIDAY)
        with pytest.raises(DomainError) as refused:
            plan_decide(actor=hank, plan_id=plan.pk, action="return", reason="  ", now=FRIDAY)
        assert refused.value.code == "plan_reason_required"
        assert TrainingPlan.objects.get(pk=plan.pk).state == PlanState.SUBMITTED
        plan = plan_decide(actor=hank, plan_id=plan.pk, action="return", reason="培训地点未写明。", now=FRIDAY)
    assert (plan.state, plan.return_reason) == (PlanState.RETURNED, "培训地点未写明。")
    with time_machine.travel(monday, tick=False):
        plan_items_save(actor=ada, plan_id=plan.pk, items=[item(place="新华区第一医院三楼报告厅")], now=monday)
        plan = plan_submit(actor=ada, plan_id=plan.pk, now=monday)
    assert (plan.state, plan.due_on, plan.return_reason) == (PlanState.SUBMITTED, dt.date(2025, 10, 20), "")
    assert [s.action for s in plan.steps.all()] == ["submit", "return", "submit"]


def test_a_plan_past_its_due_date_is_marked_overdue_once(ada, unit_a):
    plan = plan_submit(actor=ada, plan_id=drafted(ada, unit=unit_a).pk, now=FRIDAY)
    on_time = dt.datetime(2025, 10, 10, 23, 0, tzinfo=SHANGHAI)
    late = dt.datetime(2025, 10, 11, 0, 5, tzinfo=SHANGHAI)
    assert plan_mark_overdue(today=on_time.date(), now=on_time) == 0
    assert plan_mark_overdue(today=late.date(), now=late) == 1
    assert plan_mark_overdue(today=late.date(), now=late) == 0
    assert TrainingPlan.objects.get(pk=plan.pk).overdue_since == late


def test_a_day_off_entered_later_re_dates_a_submitted_plan(ada, unit_a):
    plan = plan_submit(actor=ada, plan_id=drafted(ada, unit=unit_a).pk, now=FRIDAY)
    WorkingDayOverride.objects.create(date=dt.date(2025, 10, 9), is_working=False, note="临时放假")
    assert plan_due_dates_recompute(calendar=fresh_calendar(), today=FRIDAY.date()) == 1
    assert TrainingPlan.objects.get(pk=plan.pk).due_on == dt.date(2025, 10, 11)  # Saturday 11 October is worked
    assert AuditEvent.objects.get(action="plan.redate").after["plans"] == [[plan.pk, "2025-10-10", "2025-10-11"]]


# --- versions ----------------------------------------------------------------------------------------------

def test_a_filed_plan_is_read_only_and_a_new_version_supersedes_it_once_filed(ada, hank, unit_a):
    with time_machine.travel(FRIDAY, tick=False):
        first = filed(ada, hank, unit=unit_a)
        with pytest.raises(DomainError) as refused:
            plan_items_save(actor=ada, plan_id=first.pk, items=[item(title="改过的")], now=FRIDAY)
        assert refused.value.code == "plan_not_editable"
        with pytest.raises(DomainError) as refused:
            plan_create(actor=ada, unit=unit_a, year=2025, now=FRIDAY)
        assert refused.value.code == "plan_already_filed"
        second = plan_revise(actor=ada, plan_id=first.pk, now=FRIDAY)
        assert (second.version, second.previous, second.state) == (2, first, PlanState.DRAFT)
        assert [i.title for i in second.items.all()] == ["急诊急救技能培训"]
        with pytest.raises(DomainError) as refused:  # two open versions for one year
            plan_revise(actor=ada, plan_id=first.pk, now=FRIDAY)
        assert refused.value.code == "plan_open_version_exists"
        plan_items_save(actor=ada, plan_id=second.pk, items=[item(), item(title="院感防控培训")], now=FRIDAY)
        plan_submit(actor=ada, plan_id=second.pk, now=FRIDAY)
        assert TrainingPlan.objects.get(pk=first.pk).state == PlanState.FILED  # in force until the new one is
        plan_decide(actor=hank, plan_id=second.pk, action="file", now=FRIDAY)
    first.refresh_from_db()
    assert (first.state, first.superseded_at, first.items.count()) == (PlanState.SUPERSEDED, FRIDAY, 1)
    assert TrainingPlan.objects.get(pk=second.pk).state == PlanState.FILED


# --- bad input ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad, code", [
    ({"start_date": dt.date(2024, 12, 30)}, "plan_item_outside_year"),
    ({"end_date": dt.date(2026, 1, 2)}, "plan_item_outside_year"),
    ({"hours": D("0")}, "plan_item_hours_not_positive"),
    ({"hours": D("-4")}, "plan_item_hours_not_positive"),
])
def test_items_outside_the_year_or_without_hours_are_refused_and_nothing_changes(ada, unit_a, bad, code):
    plan = drafted(ada, unit=unit_a)
    with pytest.raises(DomainError) as refused:
        plan_items_save(actor=ada, plan_id=plan.pk, items=[item(title="新项目"), item(**bad)], now=FRIDAY)
    assert refused.value.code == code
    assert [i.title for i in plan.items.all()] == ["急诊急救技能培训"]


def test_a_closed_year_and_a_second_open_version_are_refused(ada, unit_a, unit_b):
    with pytest.raises(DomainError) as refused:
        plan_create(actor=ada, unit=unit_a, year=2024, now=FRIDAY)
    assert refused.value.code == "plan_year_closed"
    drafted(ada, unit=unit_a)
    with pytest.raises(DomainError) as refused:
        plan_create(actor=ada, unit=unit_a, year=2025, now=FRIDAY)
    assert refused.value.code == "plan_open_version_exists"
    with pytest.raises(NotFound):  # not her unit
        plan_create(actor=ada, unit=unit_b, year=2025, now=FRIDAY)
    assert TrainingPlan.objects.count() == 1


# --- pages -------------------------------------------------------------------------------------------------

def test_the_unit_drafts_its_items_in_a_formset_and_submits_after_confirming(client, ada, hank, unit_a):
    client.force_login(ada)
    with time_machine.travel(FRIDAY, tick=False):
        response = client.post(reverse("records:plans"), {"filer": f"unit-{unit_a.pk}", "year": "2025"})
        plan = TrainingPlan.objects.get()
        assert response["Location"] == reverse("records:plan_edit", args=[plan.pk])
        management = {"items-TOTAL_FORMS": "2", "items-INITIAL_FORMS": "0", "items-MIN_NUM_FORMS": "0",
                      "items-MAX_NUM_FORMS": "1000"}
        row = {"items-0-title": "急诊急救技能培训", "items-0-category": "professional", "items-0-subject_area": "临床医学",
               "items-0-start_date": "2025-11-10", "items-0-end_date": "2025-11-11", "items-0-hours": "16",
               "items-0-place": "报告厅", "items-0-provider": "急诊科", "items-0-expected_participants": "40"}
        response = client.post(reverse("records:plan_edit", args=[plan.pk]),
                               {**management, **row, "items-0-end_date": "2026-01-05"})
        assert "计划日期须在 2025 年内" in response.content.decode()
        assert plan.items.count() == 0
        client.post(reverse("records:plan_edit", args=[plan.pk]), {**management, **row})
        assert plan.items.count() == 1
        # Again: the item already there is kept as it is, a blank row filled in is added.
        page = client.get(reverse("records:plan_edit", args=[plan.pk])).content.decode()
        assert 'value="急诊急救技能培训"' in page and 'name="items-INITIAL_FORMS" value="1"' in page
        second = {key.replace("items-0-", "items-1-"): value for key, value in row.items()}
        client.post(reverse("records:plan_edit", args=[plan.pk]), {
            **management, "items-TOTAL_FORMS": "3", "items-INITIAL_FORMS": "1", **row,
            **second, "items-1-title": "院感防控培训"})
        assert sorted(plan.items.values_list("title", flat=True)) == ["急诊急救技能培训", "院感防控培训"]
        confirm = client.get(reverse("records:plan_submit", args=[plan.pk]))
        assert "确认提交" in confirm.content.decode() and "卫生健康委员会审核" in confirm.content.decode()
        assert TrainingPlan.objects.get().state == PlanState.DRAFT
        client.post(reverse("records:plan_submit", args=[plan.pk]))
        assert TrainingPlan.objects.get().state == PlanState.SUBMITTED
        client.force_login(hank)
        assert f'data-plan="{plan.pk}"' in client.get(reverse("records:plan_queue")).content.decode()
        client.post(reverse("records:plan_decide", args=[plan.pk]), {"action": "return", "reason": ""})
        assert TrainingPlan.objects.get().state == PlanState.SUBMITTED
        client.post(reverse("records:plan_decide", args=[plan.pk]), {"action": "file", "reason": ""})
    assert TrainingPlan.objects.get().state == PlanState.FILED


def _unit_training(professional, **overrides):
    return ClaimFactory(professional=professional, kind="unit_training", status="approved", **overrides)


def test_the_inspection_page_lists_a_unit_that_trained_without_a_filed_plan_not_one_with(
        client, ada, bella, hank, xin, alice, bob, unit_a, unit_b, ye):
    with time_machine.travel(FRIDAY, tick=False):
        filed(bella, xin, unit=unit_b)
        plan_submit(actor=ada, plan_id=drafted(ada, unit=unit_a).pk, now=FRIDAY)  # submitted is not filed
    _unit_training(alice)
    _unit_training(alice, hours=D("8"))
    _unit_training(bob)
    ClaimFactory(professional=alice, kind="unit_training", status="draft")  # nobody put it forward
    client.force_login(xin)
    with time_machine.travel(FRIDAY, tick=False):
        page = client.get(reverse("records:plan_inspection"), {"year": 2025}).content.decode()
        assert f'data-unit="{unit_a.pk}"' in page and f'data-unit="{unit_b.pk}"' not in page
        csv = b"".join(client.get(reverse("records:plan_inspection_csv"), {"year": 2025}).streaming_content)
        text = csv.decode("utf-8-sig")
        assert unit_a.name in text and unit_b.name not in text and ",2,1,24," in text
        client.force_login(ye)  # another county: not its unit
        assert f'data-unit="{unit_a.pk}"' not in client.get(reverse("records:plan_inspection"),
                                                            {"year": 2025}).content.decode()


# --- claims and screening ----------------------------------------------------------------------------------

def _claim_data(**overrides):
    data = dict(kind="unit_training", category="professional", title="急诊急救技能培训", content="心肺复苏",
                provider_base="", provider_name="新华区第一医院", start_date="2025-09-22", end_date="2025-09-23",
                hours="16", result="合格", external_certificate_no="")
    data.update(overrides)
    return data


def test_the_claim_form_offers_the_units_filed_items_and_refuses_another_units(ada, bella, hank, xin, alice,
                                                                             unit_a, unit_b):
    with time_machine.travel(FRIDAY, tick=False):
        own = filed(ada, hank, unit=unit_a).items.get()
        other = filed(bella, xin, unit=unit_b).items.get()
        form = ClaimForm(_claim_data(plan_item=str(own.pk)), professional=alice, now=FRIDAY)
        assert list(form.fields["plan_item"].queryset) == [own]
        assert form.is_valid(), form.errors
        assert form.claim_input().plan_item == own
        form = ClaimForm(_claim_data(plan_item=str(other.pk)), professional=alice, now=FRIDAY)
        assert not form.is_valid() and form.errors["plan_item"] == [PLAN_ITEM_NOT_OWN]
        values = {**_claim_data(), "provider_base": None, "start_date": dt.date(2025, 9, 22),
                  "end_date": dt.date(2025, 9, 23), "hours": D("16"), "plan_item": other}
        with pytest.raises(DomainError) as refused:
            claim_save_draft(actor=alice.user, professional=alice, data=ClaimInput(**values), now=FRIDAY)
        assert refused.value.code == "plan_item_not_own_unit"
        with pytest.raises(DomainError) as refused:
            claim_save_draft(actor=alice.user, professional=alice, now=FRIDAY,
                             data=ClaimInput(**{**values, "plan_item": own, "kind": "workshop"}))
        assert refused.value.code == "plan_item_wrong_kind"
        claim = claim_save_draft(actor=alice.user, professional=alice, data=ClaimInput(**{**values, "plan_item": own}),
                                 now=FRIDAY)
    assert claim.plan_item == own


def test_screening_flags_unit_training_without_a_filed_plan_item_and_never_blocks(client, ada, hank, cheng, alice,
                                                                                  unit_a):
    with time_machine.travel(FRIDAY, tick=False):
        own = filed(ada, hank, unit=unit_a).items.get()
    # The unit itself runs the training: a provider neither a CE base nor a platform.
    planned = _unit_training(alice, plan_item=own, provider_name=unit_a.name)
    unplanned = _unit_training(alice, start_date=dt.date(2025, 10, 20), end_date=dt.date(2025, 10, 20), hours=D("8"),
                               provider_name=unit_a.name)
    ClaimFactory(professional=alice, start_date=dt.date(2025, 8, 4), end_date=dt.date(2025, 8, 4), hours=D("4"))
    screening_run(now=FRIDAY + dt.timedelta(days=30), kind="full")
    flags = ScreeningFlag.objects.filter(rule=Rule.NO_TRAINING_PLAN)
    assert list(flags.values_list("claim_id", flat=True)) == [unplanned.pk]
    assert not ScreeningFlag.objects.filter(claim=planned).exists()
    assert Rule.NO_TRAINING_PLAN not in BLOCKING_RULES
    client.force_login(cheng)
    page = client.get(reverse("screening:flag", args=[flags.get().pk])).content.decode()
    assert "未关联申报单位 2025 年度已备案培训计划中的项目" in page and "仅作提示，不阻止审核通过" in page
    # The filed plan named its provider: not an unknown one; the unplanned session's provider still is.
    unknown = set(ScreeningFlag.objects.filter(rule=Rule.UNKNOWN_PROVIDER).values_list("claim_id", flat=True))
    assert planned.pk not in unknown and unplanned.pk in unknown
