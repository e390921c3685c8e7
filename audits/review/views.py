import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from audits.review import services as review_services
from audits.review.forms import (
    ACTION_LABELS, BatchForm, DecisionForm, QueueFilterForm, ReviewerAppointForm, UnitStandardForm,
)
from audits.review.models import Notification
from audits.review.rules import LEVELS, REASON_REQUIRED, Action, allowed_actions, level_numbered, waiting_level
from audits.review.selectors import (
    acting_level,
    appointable_staff,
    claim_blocking_flags,
    claim_decision_list,
    claim_evidence_list,
    claim_standard_fit,
    level_q,
    levels_of,
    review_batch_get,
    review_claim_get,
    review_queue_counts,
    review_queue_page_rows,
    review_queue_units,
    reviewable_claims,
    unit_reviewers_of,
    unit_standard_get,
)
from audits.review.services import (
    notifications_mark_read, review_batch, review_decide, unit_reviewer_appoint, unit_standard_save,
)
from ce_portal.clock import business_now, business_today
from ce_portal.errors import refusal_as_message, refusal_on_form
from ce_portal.http import client_ip
from records.hours.models import Claim
from records.people.access import get_in_scope_or_404, own_unit_or_404, role_required, units_in_scope
from records.people.models import Role

PAGE_SIZE = 50


REVIEWER_ROLES = (Role.UNIT_REVIEWER, Role.AUTHORITY_REVIEWER, Role.COUNTY_HR, Role.CITY_HR)


def _first_error(form) -> str:
    return next(iter(form.errors.values()))[0]


@role_required(*REVIEWER_ROLES)
@require_GET
@vary_on_headers("HX-Request")
def queue(request):
    today = business_today()
    levels = [level for level in LEVELS if level_q(request.scope, level) is not None]
    form = QueueFilterForm(request.GET or None, units=review_queue_units(request.user), show_level=len(levels) > 1)
    filters = form.filters()
    due = filters.pop("due", "")
    counts = review_queue_counts(request.user, today=today, **filters)
    rows = review_queue_page_rows(request.user, today=today, due=due, counts=counts, **filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    # A change of filter or page from htmx swaps the table body (and, out of band, the counts and the
    # pagination): the fragment only. The same address without JavaScript is the whole page.
    template = "audits/partials/queue_swap.html" if request.htmx else "audits/queue.html"
    return render(request, template, {
        "form": form,
        "page": page,
        "counts": counts,
        "due": due,
        "today": today,
        "scope_names": [m.scope_object for m in request.scope.memberships if m.role != Role.PROFESSIONAL],
        "action_choices": ACTION_LABELS.items(),
        "reviews_nothing": not levels,
    })


@role_required(*REVIEWER_ROLES)
@require_GET
def claim_review(request, pk: int):
    claim = review_claim_get(request.user, pk)
    level = acting_level(claim)
    flags = claim_blocking_flags(claim)
    # A flagged claim cannot pass (approval_refusal): no button that would only refuse after the click.
    actions = [a for a in allowed_actions(claim.status, level) if not (flags and a == Action.APPROVE)]
    current, superseded = claim_evidence_list(claim)
    return render(request, "audits/claim_review.html", {
        "claim": claim,
        "blocking_flags": flags,
        "level": level,
        "levels": levels_of(claim),
        "actions": [(action, ACTION_LABELS[action]) for action in actions],
        "reason_required": REASON_REQUIRED,
        "waiting": waiting_level(claim.status),
        "evidence": current,
        "superseded": superseded,
        "decisions": claim_decision_list(claim),
        "today": business_today(),
        # The unit's standard speaks at the unit's level only (approval_refusal).
        "standard_fit": claim_standard_fit(claim) if level_numbered(level).unit_level else None,
    })


@role_required(*REVIEWER_ROLES)
@require_POST
def claim_decide(request, pk: int):
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"未处理：{_first_error(form)}")
        return redirect("review:claim", pk=pk)
    action = form.cleaned_data["action"]
    with refusal_as_message(request, "未处理："):
        decision = review_decide(
            claim_id=pk, reviewer=request.user, action=action, reason=form.cleaned_data["reason"],
            now=business_now(), ip=client_ip(request), expected_version=form.cleaned_data["version"],
        )
        claim = decision.claim
        messages.success(request, f"已{ACTION_LABELS[action]}：{claim.professional.name}「{claim.title}」。")
        return redirect("review:queue")
    return redirect("review:claim", pk=pk)


@role_required(*REVIEWER_ROLES)
@require_POST
def batch(request):
    """Approve at once; reject and return (which a person then has to act on) after a confirmation page."""
    form = BatchForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"批量操作未执行：{_first_error(form)}")
        return redirect("review:queue")
    data = form.cleaned_data
    if data["action"] != Action.APPROVE and not data["confirmed"]:
        claims = reviewable_claims(request.user).filter(pk__in=data["claim"]).select_related("professional", "unit")
        return render(request, "audits/batch_confirm.html", {
            "form": form, "claims": claims.order_by("pk"), "action_label": ACTION_LABELS[data["action"]],
            "unknown": len(data["claim"]) - len(claims),
        })
    with refusal_as_message(request, "批量操作未执行："):
        result = review_batch(claim_ids=data["claim"], reviewer=request.user, action=data["action"],
                              reason=data["reason"], now=business_now(), ip=client_ip(request))
        return redirect("review:batch_result", batch_id=result.batch_id)
    return redirect("review:queue")


@role_required(*REVIEWER_ROLES)
@require_GET
def batch_result(request, batch_id: uuid.UUID):
    event = review_batch_get(request.user, batch_id)
    outcome = event.after
    ids = [*outcome["decided"], *(r["claim"] for r in outcome["refused"])]
    claims = reviewable_claims(request.user).filter(pk__in=ids).select_related("professional", "unit").in_bulk()
    return render(request, "audits/batch_result.html", {
        "event": event,
        "action_label": ACTION_LABELS[outcome["action"]],
        "reason": outcome["reason"],
        "decided": [claims.get(pk) for pk in outcome["decided"]],
        "refused": [(r["claim"], claims.get(r["claim"]), r["reason"]) for r in outcome["refused"]],
    })


@login_required
def notifications(request):
    items = Notification.objects.filter(user=request.user).order_by("-created_at", "-pk")
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "audits/monitor/notifications.html", {
        "page": page, "unread": items.filter(read_at__isnull=True).count(),
    })


@login_required
@require_POST
def notifications_read(request):
    """Mark one notice (`id`) or all of one's unread notices as read; someone else's id changes nothing."""
    notification_id = None
    if request.POST.get("id"):
        try:
            notification_id = int(request.POST["id"])
        except ValueError:
            raise Http404("未找到。")
    notifications_mark_read(user=request.user, now=business_now(), notification_id=notification_id)
    return redirect("review:notifications")


# --- a unit's reviewers ------------------------------------------------------------------------------------

@role_required(Role.COUNTY_HR, Role.CITY_HR)
def unit_reviewers(request, pk: int):
    """The HR bureau over a unit names its reviewers (from its staff who have accounts) or removes them."""
    unit = get_in_scope_or_404(units_in_scope(request.user), pk=pk)
    form = ReviewerAppointForm(request.POST or None, staff=appointable_staff(unit))
    if request.method == "POST" and form.is_valid():
        with refusal_on_form(form):
            membership = unit_reviewer_appoint(unit=unit, professional_id=form.cleaned_data["professional"].pk,
                                               actor=request.user, ip=client_ip(request))
            messages.success(request, f"已指定{membership.user.get_full_name() or membership.user.username}"
                                      f"为{unit.name}的审核员，该单位此后提交的申报由其审核。")
            return redirect("review:unit_reviewers", pk=unit.pk)
    return render(request, "audits/unit_reviewers.html", {
        "unit": unit, "reviewers": unit_reviewers_of(unit), "form": form,
        "waiting_with_bureau": Claim.objects.filter(unit=unit, status=LEVELS[0].waiting_status,
                                                    level1_region__isnull=False).count(),
    })


@role_required(Role.COUNTY_HR, Role.CITY_HR)
def unit_reviewer_remove(request, pk: int, membership_pk: int):
    """A confirmation page, then the removal (POST)."""
    unit = get_in_scope_or_404(units_in_scope(request.user), pk=pk)
    membership = get_in_scope_or_404(unit_reviewers_of(unit), pk=membership_pk)
    if request.method == "POST":
        with refusal_as_message(request):
            taken_over = review_services.unit_reviewer_remove(unit=unit, membership_id=membership.pk,
                                                              actor=request.user, ip=client_ip(request))
            name = membership.user.get_full_name() or membership.user.username
            messages.success(request, f"已取消{name}的审核员角色。" + (
                f"该单位已无审核员，{taken_over} 条待单位审核的申报改由本局代行审核。" if taken_over else ""))
        return redirect("review:unit_reviewers", pk=unit.pk)
    return render(request, "audits/unit_reviewer_remove.html", {
        "unit": unit, "membership": membership, "last": unit_reviewers_of(unit).count() == 1,
    })


# --- a unit's standard ------------------------------------------------------------------------------------

@role_required(Role.UNIT_REVIEWER)
def unit_standard(request, pk: int):
    """The unit's 学时认定标准: its reviewers see and change it; it applies to claims submitted afterwards."""
    unit = own_unit_or_404(request.user, pk)
    standard = unit_standard_get(unit.pk)
    form = UnitStandardForm(request.POST or None, initial=UnitStandardForm.initial_for(standard))
    if request.method == "POST" and form.is_valid():
        with refusal_on_form(form):
            unit_standard_save(actor=request.user, unit=unit, rules=form.rules(),
                               review_working_days=form.cleaned_data["review_working_days"], now=business_now(),
                               ip=client_ip(request))
            messages.success(request, "已保存本单位学时认定标准，此后提交的申报按新标准审核。")
            return redirect("review:unit_standard", pk=unit.pk)
    return render(request, "audits/unit_standard.html", {"unit": unit, "standard": standard, "form": form})
