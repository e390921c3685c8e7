"""city_hr's screening pages: the flag queue, a flag with everything it involves, its resolution, a run now."""
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from audits.review.services import tell_credit_revoked
from audits.screening.forms import FlagFilterForm, ResolveForm
from audits.screening.rules import BLOCKING_RULES, Rule
from audits.screening.selectors import (
    certificates_at_stake, flag_get, flag_involved, flag_list, last_run, open_flag_counts,
)
from audits.screening.services import Resolution, flag_resolve, screening_request
from ce_portal.clock import business_now
from ce_portal.errors import refusal_as_message
from records.people.access import role_required
from records.people.models import Role

PAGE_SIZE = 50


@role_required(Role.CITY_HR)
@require_GET
def flags(request):
    form = FlagFilterForm(request.GET or None)
    filters = form.filters()
    counts = open_flag_counts(request.user)
    return render(request, "audits/screening/list.html", {
        "form": form,
        "page": Paginator(flag_list(request.user, **filters), PAGE_SIZE).get_page(request.GET.get("page")),
        "open_counts": [(rule, label, counts.get(rule, 0)) for rule, label in Rule.choices],
        "last_run": last_run(),
    })


def _detail(request, flag, form, status=200):
    return render(request, "audits/screening/detail.html", {
        "flag": flag,
        "involved": flag_involved(flag),
        "blocking": flag.rule in BLOCKING_RULES,
        "form": form,
    }, status=status)


@role_required(Role.CITY_HR)
@require_GET
def flag_detail(request, pk: int):
    return _detail(request, flag_get(request.user, pk), ResolveForm())


@role_required(Role.CITY_HR)
@require_POST
def resolve(request, pk: int):
    """Dismiss at once; confirm (which revokes hours and certificates) after a page that says what goes."""
    flag = flag_get(request.user, pk)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        return _detail(request, flag, form, status=400)
    data = form.cleaned_data
    if data["action"] == Resolution.CONFIRM and not data["confirmed"]:
        return render(request, "audits/screening/confirm.html", {
            "flag": flag, "form": form, "subject": flag.claim or flag.platform_record,
            "certificates": certificates_at_stake(flag),
        })
    with refusal_as_message(request, "未处理："), transaction.atomic():
        now = business_now()
        flag = flag_resolve(flag=flag, action=data["action"], reason=data["reason"], actor=request.user, now=now)
        tell_credit_revoked(flag, now=now)
        messages.success(request, f"疑点 #{flag.pk}（{flag.professional.name}）{flag.get_status_display()}。")
        return redirect("screening:flags")
    return redirect("screening:flag", pk=pk)


@role_required(Role.CITY_HR)
@require_POST
def run(request):
    screening_request(actor=request.user, now=business_now())
    messages.success(request, "已开始筛查自上次筛查以来新增和变更的申报及平台记录，完成后新疑点将出现在列表中。")
    return redirect("screening:flags")
