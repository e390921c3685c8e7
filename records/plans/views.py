"""Training plans' pages (rule 7): the filer's plans (draft, items, submit, revise), the receivers' queue and
decision, the HR bureaus' filings and their 检查、督导 page with its CSV."""
import segno
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from audits.review import services as review_services
from audits.review.rules import LEVELS
from ce_portal.clock import business_now, business_today
from ce_portal.errors import DomainError, NotFound, refusal_as_message, refusal_on_form
from ce_portal.exports import table_response
from ce_portal.http import client_ip
from records.hours.rules import evidence_download_name
from records.people.access import role_required
from records.people.models import IndustryAuthority, Role, Unit
from records.people.rules import read_roster_file
from records.plans import selectors, services
from records.plans.forms import (
    PlanCreateForm, PlanDecisionForm, PlanItemFormSet, RosterForm, SessionClaimForm, SessionFileForm, SessionForm,
    TickForm,
)
from records.plans.rules import PLAN_REVIEW_WORKING_DAYS, Party, PlanState
from records.plans.services import PlanItemInput, SessionInput

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


# --- sessions and check-in (rule 7: attendance → claims) -------------------------------------------------

@role_required(Role.UNIT_REVIEWER)
def sessions(request):
    """The unit's sessions, and a new one for a filed plan item."""
    form = SessionForm(request.POST or None, items=selectors.session_items(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with refusal_on_form(form):
            session = services.session_create(actor=request.user, now=business_now(), data=SessionInput(
                item_id=data["item"].pk, date=data["date"], starts_at=data["starts_at"], ends_at=data["ends_at"],
                place=data["place"], hours=data["hours"]))
            messages.success(request, "已创建培训场次，可在签到时间内打开签到二维码。")
            return redirect("records:session_detail", pk=session.pk)
    return render(request, "records/plans/sessions.html", {
        "form": form, "page": _page(request, selectors.unit_sessions(request.user))})


def _session_page(request, session, **forms):
    page = _page(request, selectors.session_attendances(session))
    # The claims the unit may approve now: those waiting at its own level.
    waiting = {a.claim_id for a in page if a.claim and a.claim.status == LEVELS[0].waiting_status}
    staff = Paginator(selectors.session_staff(session), PAGE_SIZE).get_page(request.GET.get("staff_page"))
    return render(request, "records/plans/session_detail.html", {
        "session": session, "page": page, "files": session.evidence.all(), "staff_page": staff,
        "file_form": forms.get("file_form") or SessionFileForm(),
        "roster_form": forms.get("roster_form") or RosterForm(),
        "tick_form": forms.get("tick_form") or TickForm(staff=staff.object_list),
        "report": forms.get("report"), "waiting": waiting,
    })


@role_required(Role.UNIT_REVIEWER)
@require_GET
def session_detail(request, pk: int):
    return _session_page(request, selectors.unit_session_get(request.user, pk))


@role_required(Role.UNIT_REVIEWER)
@require_GET
def session_check_in_page(request, pk: int):
    """The screen shown in the room: the QR code of the signed check-in address (and the address itself)."""
    session = selectors.unit_session_get(request.user, pk)
    url = request.build_absolute_uri(reverse("records:check_in", kwargs={
        "pk": session.pk, "token": services.check_in_token(session)}))
    return render(request, "records/plans/session_check_in.html", {
        "session": session, "url": url, "window": services.session_window(session),
        "qr_svg": segno.make(url, error="m").svg_inline(scale=6, border=2, title="签到二维码"),
    })


@role_required(Role.UNIT_REVIEWER)
@require_POST
def session_evidence_add(request, pk: int):
    session = selectors.unit_session_get(request.user, pk)
    form = SessionFileForm(request.POST, request.FILES)
    if form.is_valid():
        with refusal_on_form(form):
            added = services.session_evidence_add(actor=request.user, session_id=session.pk,
                                                  upload=form.cleaned_data["file"], now=business_now())
            messages.success(request, f"已上传“{added.original_name}”，参训人员的申报均引用该文件。")
            return redirect("records:session_detail", pk=session.pk)
    return _session_page(request, session, file_form=form)


@role_required(Role.UNIT_REVIEWER)
@require_POST
def session_tick(request, pk: int):
    session = selectors.unit_session_get(request.user, pk)
    # Ticked on one page of the staff list: the posted people are checked against the whole of it.
    form = TickForm(request.POST, staff=selectors.session_staff(session).filter(
        pk__in=[pk for pk in request.POST.getlist("professional") if pk.isdigit()]))
    if not form.is_valid():
        return _session_page(request, session, tick_form=form)
    refusals = services.session_attendees_tick(actor=request.user, session_id=session.pk,
                                               professional_ids=form.cleaned_data["professional"], now=business_now())
    for refusal in refusals:
        messages.error(request, refusal)
    if not refusals:
        messages.success(request, "已登记勾选的参训人员。")
    return redirect("records:session_detail", pk=session.pk)


@role_required(Role.UNIT_REVIEWER)
@require_POST
def session_roster(request, pk: int):
    session = selectors.unit_session_get(request.user, pk)
    form = RosterForm(request.POST, request.FILES)
    report = None
    if form.is_valid():
        with refusal_on_form(form):
            rows = read_roster_file(form.cleaned_data["file"])
            report = services.session_roster_import(actor=request.user, session_id=session.pk, rows=rows,
                                                    now=business_now())
    return _session_page(request, session, roster_form=form, report=report)


@role_required(Role.UNIT_REVIEWER)
@require_GET
def session_evidence_download(request, pk: int, file_pk: int):
    """A session file opened from its page: counted as opened in every attendee's claim (rule 7)."""
    session = selectors.unit_session_get(request.user, pk)
    session_file = get_object_or_404(session.evidence, pk=file_pk)
    review_services.session_evidence_opened(user=request.user, session_file=session_file, now=business_now(),
                                            ip=client_ip(request))
    response = FileResponse(session_file.file.open("rb"), content_type=session_file.content_type, as_attachment=True,
                            filename=evidence_download_name(session_file.original_name, session_file.content_type))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@role_required(Role.PROFESSIONAL)
def check_in(request, pk: int, token: str):
    """The address in the QR code. Logging in keeps it (?next=); the person confirms with one button."""
    if request.method == "POST":
        try:
            attendance = services.session_check_in(actor=request.user, session_id=pk, token=token, now=business_now())
        except NotFound:
            raise Http404("未找到该培训场次。")
        except DomainError as refusal:
            return render(request, "records/plans/check_in.html", {"refusal": refusal.message}, status=400)
        messages.success(request, f"签到成功：{attendance.session}。请在申报中确认并提交。")
        return redirect("records:claim_detail", pk=attendance.claim_id)
    try:
        refusal = services.check_in_refusal(session_id=pk, token=token, now=business_now())
    except NotFound:
        raise Http404("未找到该培训场次。")
    return render(request, "records/plans/check_in.html", {"refusal": refusal and refusal.message},
                  status=400 if refusal else 200)


@role_required(Role.PROFESSIONAL)
@require_POST
def session_claim_confirm(request, pk: int):
    """The attendee confirms the pre-filled claim, with an optional note, and submits it for review."""
    form = SessionClaimForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"未提交：{form.errors['note'][0]}")
        return redirect("records:claim_detail", pk=pk)
    with refusal_as_message(request, "未提交："), transaction.atomic():
        claim = services.session_claim_note(actor=request.user, claim_id=pk, note=form.cleaned_data["note"])
        submit = review_services.claim_resubmit if claim.status == "returned" else review_services.claim_submit
        submit(actor=request.user, claim_id=pk, now=business_now(), ip=client_ip(request))
        messages.success(request, "已确认并提交审核。")
    return redirect("records:claim_detail", pk=pk)
