"""A professional's pages: this year at a glance (with the 调入 requests they are asked to confirm), a year's
page, claims (file, correct, submit, withdraw) and the scoped evidence download.
"""
from csp.constants import SELF
from csp.decorators import csp_replace
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from audits.review import services as review_services
from audits.review.rules import PROFESSIONAL, Action, allowed_actions
from audits.review.selectors import evidence_get, unit_standard_rules
from ce_portal.clock import business_clock, business_now, business_today
from ce_portal.exports import FORMATS, table_response
from ce_portal.errors import refusal_as_message, refusal_on_form
from ce_portal.http import client_ip
from records.hours import services
from records.hours.forms import EVIDENCE_ACCEPT, ClaimForm, EvidenceCorrectionForm, RegisterFilterForm
from records.hours.models import ActivityKind, Claim, RequirementPolicy
from records.hours.rules import EDITABLE_STATUSES, MAX_EVIDENCE_FILES, evidence_download_name, standard_text
from records.hours.selectors import (
    claim_get_own, evidence_list_for_claim, evidence_summary, person_years, staged_evidence_list,
    unit_register_choices, year_overview,
)
from records.hours.selectors import person_history as hours_person_history
from records.hours.selectors import unit_register as unit_register_claims
from records.people.access import own_unit_or_404, role_required
from records.people.models import Role, TransferRequest
from records.people.selectors import current_employment, staff_list, transfers_to_decide


@role_required(Role.PROFESSIONAL)
def my_home(request):
    """This year at a glance: progress against the year's policy, what is credited, pending, or waiting on me
    (a unit's request to take me in included)."""
    professional = request.user.professional
    year = business_today().year
    return render(request, "records/my_home.html", {
        "professional": professional,
        "employment": current_employment(professional),
        "overview": year_overview(professional, year),
        "past_years": person_years(professional, before=year),
        "transfers": transfers_to_decide(request.user, TransferRequest.Party.PERSON),
    })


SUBMIT, SAVE_DRAFT = "submit", "draft"


def _send(request, claim: Claim) -> Claim:
    """Submit a draft, or resubmit a returned claim: which one is the workflow's question, not the button's."""
    service = review_services.claim_resubmit if claim.status == Claim.Status.RETURNED else review_services.claim_submit
    return service(actor=request.user, claim_id=claim.pk, now=business_now(), ip=client_ip(request))


def _sent_message(request, claim: Claim) -> None:
    provisional = "（暂定，待国务院公布放假安排后重新计算）" if claim.due_provisional else ""
    if claim.level1_region_id:
        messages.warning(
            request, f"已提交。{claim.unit.name}尚未设置审核员，本申报由{claim.level1_region.name}人社局代行单位审核，"
            f"应于 {claim.due_on:%Y年%m月%d日} 前完成审核{provisional}；请提醒单位向人社局申请设置审核员。"
        )
        return
    messages.success(
        request, f"已提交至{claim.unit.name}审核，单位应于 {claim.due_on:%Y年%m月%d日} 前完成审核{provisional}。"
    )


def _claim_form_page(request, *, claim: Claim | None):
    """The new-claim and the correct-a-claim page: one form, two buttons (save as draft / submit)."""
    professional = request.user.professional
    current = evidence_list_for_claim(claim).filter(removed_at__isnull=True) if claim else []
    # Files kept from an earlier try of this form (evidence_stage): they count as chosen already.
    staged = staged_evidence_list(professional, request.POST.getlist("staged"))
    submitting = request.POST.get("action") == SUBMIT
    now = business_now()
    form_kwargs = {"professional": professional, "now": now, "claim": claim,
                   "existing_evidence": len(current) + len(staged), "submitting": submitting}
    unstage = request.POST.get("unstage")
    if request.method != "POST":
        initial = {name: getattr(claim, name) for name in services.ClaimInput.__dataclass_fields__} if claim else {}
        form = ClaimForm(initial=initial, **form_kwargs)
    elif unstage:
        # 删除 of a kept file: the form comes back as typed, unjudged (nothing was submitted).
        with refusal_as_message(request):
            services.evidence_unstage(actor=request.user, staged_id=int(unstage) if unstage.isdigit() else 0)
        staged = [s for s in staged if str(s.pk) != unstage]
        form = ClaimForm(initial=request.POST.dict(), **form_kwargs)
    else:
        form = ClaimForm(request.POST, request.FILES, **form_kwargs)
        if form.is_valid():
            stored: list[str] = []
            with refusal_on_form(form):
                try:
                    with transaction.atomic():
                        saved = services.claim_save_draft(actor=request.user, professional=professional,
                                                        data=form.claim_input(), now=now, claim_id=claim and claim.pk)
                        for kept in staged:
                            services.evidence_attach_staged(actor=request.user, claim_id=saved.pk, staged_id=kept.pk)
                        for upload in form.cleaned_data["evidence"]:
                            stored.append(services.evidence_add(actor=request.user, claim_id=saved.pk,
                                                              upload=upload, now=now).file.name)
                        if submitting:
                            saved = _send(request, saved)
                except Exception:
                    # Rolled back, whatever the reason: no row names these files any more.
                    services.discard_stored_files(stored)
                    raise
                if submitting:
                    _sent_message(request, saved)
                else:
                    messages.success(request, "已保存为草稿，尚未提交审核。")
                return redirect("records:claim_detail", pk=saved.pk)
        if "evidence" in form.cleaned_data:
            # Other fields failed (or the service refused), the files are good: keep them, since no browser
            # re-selects a file.
            staged += [services.evidence_stage(actor=request.user, professional=professional, upload=upload, now=now)
                       for upload in form.cleaned_data["evidence"]]
    employment = current_employment(professional)
    unit = employment.unit if employment else None
    rules = unit_standard_rules(unit and unit.pk)
    return render(request, "records/claim_form.html", {
        "form": form, "claim": claim, "evidence": current, "max_files": MAX_EVIDENCE_FILES, "staged": staged,
        # The standard of the unit the claim would go to today (submission routes it to the unit of the day).
        "standard_unit": unit,
        "standard": [(kind, label, standard_text(rules[kind]))
                     for kind, label in ActivityKind.choices if kind in rules],
        # Files refused for themselves were not kept: say so, the person must choose them again.
        "unsaved_uploads": [] if form.is_bound and "evidence" in form.cleaned_data
        else [upload.name for upload in request.FILES.getlist("evidence")],
    })


@role_required(Role.PROFESSIONAL)
def claim_new(request):
    return _claim_form_page(request, claim=None)


@role_required(Role.PROFESSIONAL)
def claim_edit(request, pk: int):
    claim = claim_get_own(request.user, pk)
    if claim.status not in EDITABLE_STATUSES:
        messages.error(request, f"该申报当前状态为“{claim.get_status_display()}”，不能修改。")
        return redirect("records:claim_detail", pk=claim.pk)
    return _claim_form_page(request, claim=claim)


@role_required(Role.PROFESSIONAL)
def claim_detail(request, pk: int):
    claim = claim_get_own(request.user, pk)
    return render(request, "records/claim_detail.html", {
        "claim": claim,
        "evidence": evidence_list_for_claim(claim),
        "decisions": claim.decisions.select_related("reviewer").order_by("at", "id"),
        "editable": claim.status in EDITABLE_STATUSES,
        "prefilled": services.claim_prefilled(claim),
        "can_withdraw": Action.WITHDRAW in allowed_actions(claim.status, PROFESSIONAL),
        "correction_form": EvidenceCorrectionForm(),
        "evidence_accept": EVIDENCE_ACCEPT,
    })


@role_required(Role.PROFESSIONAL)
@require_POST
def claim_submit(request, pk: int):
    claim = claim_get_own(request.user, pk)
    with refusal_as_message(request):
        claim = _send(request, claim)
        _sent_message(request, claim)
    return redirect("records:claim_detail", pk=pk)


@role_required(Role.PROFESSIONAL)
@require_POST
def claim_withdraw(request, pk: int):
    claim = claim_get_own(request.user, pk)
    with refusal_as_message(request):
        review_services.claim_withdraw(actor=request.user, claim_id=claim.pk, now=business_now(), ip=client_ip(request))
        messages.success(request, "已撤回该申报。")
    return redirect("records:claim_detail", pk=pk)


@role_required(Role.PROFESSIONAL)
@require_POST
def evidence_correct(request, pk: int):
    """Upload the corrected version of one evidence file of a returned claim (pk: the file being corrected)."""
    evidence = evidence_get(request.user, pk)
    claim = claim_get_own(request.user, evidence.claim_id)
    form = EvidenceCorrectionForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, form.errors["file"][0])
        return redirect("records:claim_detail", pk=claim.pk)
    with refusal_as_message(request):
        services.evidence_add(actor=request.user, claim_id=claim.pk, upload=form.cleaned_data["file"],
                            now=business_now(), supersedes_id=evidence.pk)
        messages.success(request, f"已上传“{evidence.original_name}”的更正版本，原文件作为历史版本保留。")
    return redirect("records:claim_detail", pk=claim.pk)


@role_required(Role.PROFESSIONAL)
@require_POST
def evidence_remove(request, pk: int):
    evidence = evidence_get(request.user, pk)
    claim = claim_get_own(request.user, evidence.claim_id)
    with refusal_as_message(request):
        services.evidence_remove(actor=request.user, evidence_id=evidence.pk, now=business_now())
        messages.success(request, f"已移除“{evidence.original_name}”。")
    return redirect("records:claim_detail", pk=claim.pk)


@login_required
@require_GET
# The review page shows PDFs and photos inline in a frame (?inline=1): framed by the portal's own pages only.
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": [SELF]})
def evidence_download(request, pk: int):
    evidence = evidence_get(request.user, pk)
    review_services.evidence_opened(user=request.user, evidence=evidence, now=business_now(), ip=client_ip(request))
    response = FileResponse(
        evidence.file.open("rb"), content_type=evidence.content_type, as_attachment=request.GET.get("inline") != "1",
        filename=evidence_download_name(evidence.original_name, evidence.content_type),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@role_required(Role.PROFESSIONAL)
def my_year(request, year: int):
    """A past year, read-only and assessed on its own hours."""
    if year >= business_today().year:
        return redirect("records:my_home")
    try:
        overview = year_overview(request.user.professional, year)
    except RequirementPolicy.DoesNotExist:
        raise Http404("未找到。")
    return render(request, "records/my_year.html", {"overview": overview})


# --- the unit's CE register (继续教育登记) -------------------------------------------------------------------

REGISTER_PAGE_SIZE = 50


REGISTER_HEADER = ["姓名", "身份证号码", "学时年度", "活动形式", "科目类别", "活动名称", "活动内容", "开始日期", "结束日期",
                   "申报学时", "考试考核结果", "主办单位", "佐证材料（文件名与 SHA-256）", "状态", "申报日期"]


def _register_form(request, unit) -> RegisterFilterForm:
    people, years = unit_register_choices(unit.pk)
    return RegisterFilterForm(request.GET or None, people=people, years=years)


@role_required(Role.UNIT_REVIEWER)
@require_GET
def unit_register(request, pk: int):
    """Every CE activity the unit's staff filed through it, filterable and exportable (rule 8)."""
    unit = own_unit_or_404(request.user, pk)
    form = _register_form(request, unit)
    claims = unit_register_claims(unit.pk, form.filters())
    page = Paginator(claims, REGISTER_PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    # A person who has left keeps their rows here, but their history is their new unit's to see.
    shown = {claim.professional_id for claim in page}
    current = set(staff_list(request.user, unit_ids=[unit.pk]).filter(professional_id__in=shown)
                  .values_list("professional_id", flat=True))
    return render(request, "records/unit_register.html", {
        "unit": unit, "form": form, "page": page, "query": params.urlencode(),
        "rows": [(claim, evidence_summary(claim), claim.professional_id in current) for claim in page],
    })


@role_required(Role.UNIT_REVIEWER)
@require_GET
def unit_register_export(request, pk: int, fmt: str):
    """The register as filtered on its page, to CSV or XLSX: a unit's activities fit one request."""
    unit = own_unit_or_404(request.user, pk)
    if fmt not in FORMATS:
        raise Http404("未找到。")
    today, now = business_clock()
    claims = unit_register_claims(unit.pk, _register_form(request, unit).filters())
    rows = (
        [c.professional.name, c.professional.masked_id_number, c.year, c.get_kind_display(), c.get_category_display(),
         c.title, c.content, c.start_date, c.end_date, c.hours, c.result,
         str(c.provider_base or c.provider_name), evidence_summary(c), c.get_status_display(), c.filed_on]
        for c in claims.iterator(chunk_size=500)
    )
    return table_response(fmt, filename=f"{unit.name}继续教育登记_{today:%Y%m%d}", title=f"{unit.name}继续教育登记",
                          generated_by=request.user.get_full_name() or request.user.username, generated_at=now,
                          header=REGISTER_HEADER, rows=rows)


@role_required(Role.UNIT_REVIEWER)
@require_GET
def person_history(request, pk: int):
    """One of the unit's people: every year, every claim filed (through any unit) and every platform record."""
    employment = staff_list(request.user, unit_ids=request.scope.unit_ids).filter(professional_id=pk).first()
    if employment is None:
        raise Http404("未找到。")
    professional = employment.professional
    history = hours_person_history(professional, current_year=business_today().year)
    return render(request, "records/person_history.html", {
        "professional": professional, "unit": employment.unit, "history": history,
        "claims": [(claim, evidence_summary(claim)) for claim in history.claims],
    })
