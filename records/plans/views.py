"""Training plans' pages (rule 7): the filer's plans (draft, items, submit, revise), the receivers' queue and
decision, the HR bureaus' filings and their 检查、督导 page with its CSV."""
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from ce_portal.clock import business_now, business_today
from ce_portal.errors import refusal_as_message, refusal_on_form
from ce_portal.exports import table_response
from records.people.access import role_required
from records.people.models import IndustryAuthority, Role, Unit
from records.plans import selectors, services
from records.plans.forms import PlanCreateForm, PlanDecisionForm, PlanItemFormSet
from records.plans.rules import PLAN_REVIEW_WORKING_DAYS, Party, PlanState
from records.plans.services import PlanItemInput

PAGE_SIZE = 50
FILERS = (Role.UNIT_REVIEWER, Role.AUTHORITY_REVIEWER)
RECEIVERS = (Role.AUTHORITY_REVIEWER, Role.COUNTY_HR, Role.CITY_HR)
BUREAUS = (Role.COUNTY_HR, Role.CITY_HR)
ALL_BUT_PROFESSIONALS = (Role.UNIT_REVIEWER, Role.AUTHORITY_REVIEWER, Role.COUNTY_HR, Role.CITY_HR)


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _year(request) -> int:
    try:
        return int(request.GET.get("year", ""))
    except ValueError:
        return business_today().year


def _create_form(request, data=None) -> PlanCreateForm:
    scope = request.scope
    return PlanCreateForm(data, units=Unit.objects.filter(pk__in=scope.unit_ids),
                          authorities=IndustryAuthority.objects.filter(pk__in=scope.authority_ids),
                          initial={"year": business_today().year})


@role_required(*FILERS)
def plans(request):
    """The filer's plans, every version, and a new one for a year."""
    form = _create_form(request, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        with refusal_on_form(form):
            plan = services.plan_create(actor=request.user, year=form.cleaned_data["year"], now=business_now(),
                                        **form.filer_kwargs())
            messages.success(request, f"已创建 {plan.year} 年度培训计划草稿，请填写培训项目。")
            return redirect("records:plan_edit", pk=plan.pk)
    return render(request, "records/plans/list.html", {
        "form": form, "page": _page(request, selectors.own_plans(request.user))})


@role_required(*ALL_BUT_PROFESSIONALS)
def plan_detail(request, pk: int):
    plan = selectors.plan_get(request.user, pk)
    party = services.plan_party(request.user, plan)
    return render(request, "records/plans/detail.html", {
        "plan": plan, "items": plan.items.all(), "steps": plan.steps.select_related("actor"),
        "versions": selectors.plan_versions(plan), "is_filer": party == Party.FILER,
        "decision_form": PlanDecisionForm() if party == Party.REVIEWER and plan.state == PlanState.SUBMITTED else None,
    })


@role_required(*FILERS)
def plan_edit(request, pk: int):
    """The items of a draft or returned plan, all at once (a formset); nothing is saved while one is wrong."""
    plan = selectors.plan_get(request.user, pk)
    if services.plan_party(request.user, plan) != Party.FILER:
        return redirect("records:plan_detail", pk=plan.pk)
    if not plan.editable:
        messages.error(request, f"该培训计划{plan.get_state_display()}，不能修改；已备案的计划请“修订”生成新版本。")
        return redirect("records:plan_detail", pk=plan.pk)
    kwargs = {"form_kwargs": {"year": plan.year}, "prefix": "items"}
    if request.method == "POST":
        formset = PlanItemFormSet(request.POST, **kwargs)
        if formset.is_valid():
            with refusal_as_message(request):
                services.plan_items_save(actor=request.user, plan_id=plan.pk, items=formset.item_inputs(),
                                         now=business_now())
                messages.success(request, "已保存培训项目。")
                return redirect("records:plan_detail", pk=plan.pk)
    else:
        initial = [PlanItemInput.from_item(item).__dict__ for item in plan.items.all()]
        formset = PlanItemFormSet(initial=initial, **kwargs)
    return render(request, "records/plans/edit.html", {"plan": plan, "formset": formset})


def _confirmed_action(request, pk: int, *, template: str, act, done: str):
    """A confirmation page (GET) and the action (POST), which sends the filer back to a plan's page."""
    plan = selectors.plan_get(request.user, pk)
    if services.plan_party(request.user, plan) != Party.FILER:
        return redirect("records:plan_detail", pk=plan.pk)
    if request.method == "POST":
        with refusal_as_message(request):
            result = act(plan)
            messages.success(request, done.format(plan=result))
            return redirect("records:plan_detail", pk=result.pk)
        return redirect("records:plan_detail", pk=plan.pk)
    return render(request, template, {"plan": plan, "items": plan.items.all(),
                                      "working_days": PLAN_REVIEW_WORKING_DAYS})


@role_required(*FILERS)
def plan_submit(request, pk: int):
    return _confirmed_action(
        request, pk, template="records/plans/submit_confirm.html",
        act=lambda plan: services.plan_submit(actor=request.user, plan_id=plan.pk, now=business_now()),
        done="已提交，应于 {plan.due_on:%Y年%m月%d日} 前完成审核备案。",
    )


@role_required(*FILERS)
def plan_revise(request, pk: int):
    return _confirmed_action(
        request, pk, template="records/plans/revise_confirm.html",
        act=lambda plan: services.plan_revise(actor=request.user, plan_id=plan.pk, now=business_now()),
        done="已生成第 {plan.version} 版草稿：修改后重新提交备案；备案前原计划仍然有效。",
    )


@role_required(*RECEIVERS)
@require_POST
def plan_decide(request, pk: int):
    plan = selectors.plan_get(request.user, pk)
    form = PlanDecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return redirect("records:plan_detail", pk=plan.pk)
    with refusal_as_message(request):
        plan = services.plan_decide(actor=request.user, plan_id=plan.pk, action=form.cleaned_data["action"],
                                    reason=form.cleaned_data["reason"], now=business_now())
        messages.success(request, f"已{'备案' if plan.state == PlanState.FILED else '退回'}：{plan}。")
    return redirect("records:plan_queue")


@role_required(*RECEIVERS)
@require_GET
def plan_queue(request):
    return render(request, "records/plans/queue.html", {
        "page": _page(request, selectors.plans_to_review(request.user)), "working_days": PLAN_REVIEW_WORKING_DAYS})


@role_required(*BUREAUS)
@require_GET
def plan_filings(request):
    year = _year(request)
    return render(request, "records/plans/filings.html", {
        "year": year, "page": _page(request, selectors.plan_filings(request.user, year))})


@role_required(*BUREAUS)
@require_GET
def plan_inspection(request):
    """检查、督导: units in scope that ran their own training this year without a filed plan."""
    year = _year(request)
    return render(request, "records/plans/inspection.html", {
        "year": year, "page": _page(request, selectors.units_training_without_plan(request.user, year))})


INSPECTION_HEADER = ("单位名称", "统一社会信用代码", "所属区域", "行业主管部门", "单位组织培训申报数", "涉及人数",
                     "申报学时合计", "最近活动结束日期")


@role_required(*BUREAUS)
@require_GET
def plan_inspection_csv(request):
    year = _year(request)
    rows = ((u.name, u.credit_code, u.region.name, u.authority.name if u.authority else "", u.claims_count,
             u.people, u.hours, u.last_day) for u in selectors.units_training_without_plan(request.user, year))
    return table_response("csv", filename=f"未备案培训计划的单位-{year}", title=f"{year} 年度组织培训但未备案培训计划的单位",
                          generated_by=request.user.get_full_name() or request.user.get_username(),
                          generated_at=business_now(), header=INSPECTION_HEADER, rows=rows)
