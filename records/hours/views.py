"""A professional's pages: this year at a glance (with the 调入 requests they are asked to confirm), a year's
page, claims (file, correct, submit, withdraw) and the scoped evidence download.
"""
from csp.constants import SELF
from csp.decorators import csp_replace
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from audits.review import services as review_services
from audits.review.rules import PROFESSIONAL, Action, allowed_actions
from audits.review.selectors import evidence_get
from ce_portal.clock import business_now, business_today
from ce_portal.errors import refusal_as_message, refusal_on_form
from ce_portal.http import client_ip
from records.hours import services
from records.hours.forms import ClaimForm, EvidenceCorrectionForm
from records.hours.models import Claim, RequirementPolicy
from records.hours.rules import EDITABLE_STATUSES, MAX_EVIDENCE_FILES, evidence_download_name
from records.hours.selectors import (
    claim_get_own, evidence_list_for_claim, person_years, staged_evidence_list, year_overview,
)
from records.people.access import role_required
from records.people.models import Role, TransferRequest
from records.people.selectors import current_employment, transfers_to_decide


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
    return render(request, "records/claim_form.html", {
        "form": form, "claim": claim, "evidence": current, "max_files": MAX_EVIDENCE_FILES, "staged": staged,
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
        "can_withdraw": Action.WITHDRAW in allowed_actions(claim.status, PROFESSIONAL),
        "correction_form": EvidenceCorrectionForm(),
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
