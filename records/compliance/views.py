"""Compliance lists (rule 10 in docs/rules.md) for unit reviewers, industry authorities and the HR bureaus:
the page, its CSV and XLSX downloads, and the API that title evaluation asks about one person and year.
"""
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from ce_portal.clock import business_clock, business_now, business_today
from ce_portal.downloads import DOWNLOAD_RETENTION, download_state
from ce_portal.errors import error_responses, refusal_as_message, refusal_on_form
from ce_portal.exports import FORMATS, table_response
from ce_portal.replica import reads_from_replica
from records.compliance.forms import ComplianceFilterForm, PersonFindForm
from records.compliance.models import ExportJob
from records.compliance.selectors import (
    OVERSEERS, compliance_list, compliance_person_find, filter_choices, list_years, person_compliance, policy_of,
    unit_progress,
)
from records.compliance.services import compliance_csv, compliance_export_request, export_download_name, title_of
from records.people.access import own_unit_or_404, role_required
from records.people.models import Role

PAGE_SIZE = 50


RECENT_EXPORTS = 10


def _form(request, data) -> ComplianceFilterForm:
    return ComplianceFilterForm(data, years=list_years(business_today()))


@role_required(*OVERSEERS)
@require_GET
@vary_on_headers("HX-Request")
@reads_from_replica
def compliance_page(request):
    form = _form(request, request.GET)
    context = {"form": form, "filters": None}
    if form.is_valid():
        filters = form.filters()
        with refusal_on_form(form):
            listing = compliance_list(request.user, **filters.as_params())
            title = title_of(request.user, filters)
            page = Paginator(listing, PAGE_SIZE).get_page(request.GET.get("page"))
            context.update({
                "filters": filters, "listing": listing, "title": title, "policy": listing.policy,
                "page": page,
                "counts": listing.counts,
                "csv_url": f"{reverse('records:compliance_csv')}?{request.GET.urlencode()}",
                **filter_choices(request.user, region_id=filters.region_id, unit_id=filters.unit_id,
                                 version=listing.version),
            })
    # A change of filter or page from htmx swaps the rows (and, out of band, what the filters decide): the
    # fragment only. The same address without JavaScript, or a refused query, is the whole page.
    if request.htmx and "listing" in context:
        return render(request, "records/compliance/partials/swap.html", context)
    context["exports"] = ExportJob.objects.filter(requested_by=request.user)[:RECENT_EXPORTS]
    return render(request, "records/compliance/list.html", context, status=200 if form.is_valid() else 400)


@role_required(*OVERSEERS)
@require_POST
@reads_from_replica
def compliance_find(request):
    """A full ID number, posted, becomes the person's row of the list: the address names the person's id,
    never the number (docs/personal-data.md). One answer for nobody and for a row the viewer sees masked."""
    form = PersonFindForm(request.POST, years=list_years(business_today()))
    valid = form.is_valid()
    year = form.chosen_year()
    if not valid:
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
        return redirect(f"{reverse('records:compliance')}?year={year}")
    person = compliance_person_find(request.user, year=year, id_number=form.cleaned_data["id_number"])
    if person is None:
        messages.error(request, f"{year} 年度名单中没有您可查看完整号码的该身份证号码人员。")
        return redirect(f"{reverse('records:compliance')}?year={year}")
    return redirect(f"{reverse('records:compliance')}?year={year}&person={person}")


def _from_the_list(request, data, act):
    """`act(filters)` for the list's filters in `data` (a CSV, an export). Filters or an act refused send the
    user back to the list, told why; a unit or county outside their scope is 404, as on the list."""
    form = _form(request, data)
    if not form.is_valid():
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
        return redirect("records:compliance")
    with refusal_as_message(request):
        return act(form.filters())
    return redirect("records:compliance")


@role_required(*OVERSEERS)
@require_GET
@reads_from_replica
def compliance_csv_download(request):
    return _from_the_list(request, request.GET,
                          lambda filters: compliance_csv(request.user, filters, now=business_now()))


@role_required(*OVERSEERS)
@require_POST
def compliance_export(request):
    def export(filters):
        job = compliance_export_request(actor=request.user, filters=filters, now=business_now())
        return redirect("records:export_job", pk=job.pk)

    return _from_the_list(request, request.POST, export)


def _job_get(request, pk: int) -> ExportJob:
    """Only the person who asked for an export sees it."""
    job = ExportJob.objects.filter(pk=pk, requested_by=request.user).first()
    if job is None:
        raise Http404("未找到。")
    return job


@role_required(*OVERSEERS)
@require_GET
def export_job(request, pk: int):
    job = _job_get(request, pk)
    return render(request, "records/compliance/export.html", {
        "job": job, "state": download_state(job, "records:export_job_file"), "name": export_download_name(job),
        "retention_days": DOWNLOAD_RETENTION.days,
    })


@role_required(*OVERSEERS)
@require_GET
def export_job_status(request, pk: int):
    return JsonResponse(download_state(_job_get(request, pk), "records:export_job_file"))


@role_required(*OVERSEERS)
@require_GET
def export_job_file(request, pk: int):
    job = _job_get(request, pk)
    if job.status != ExportJob.Status.READY:
        return redirect("records:export_job", pk=job.pk)
    return FileResponse(
        job.file.open("rb"), as_attachment=True, filename=export_download_name(job),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


class HoursSerializer(serializers.Serializer):
    total_hours = serializers.DecimalField(max_digits=8, decimal_places=1, help_text="总学时")
    public_hours = serializers.DecimalField(max_digits=8, decimal_places=1, help_text="公需科目学时")
    professional_hours = serializers.DecimalField(max_digits=8, decimal_places=1, help_text="专业科目学时")


class ComplianceQuerySerializer(serializers.Serializer):
    id_number = serializers.CharField(max_length=40, help_text="身份证号码（18 位）。在请求体中，不在地址中：地址会进入访问日志。")
    year = serializers.IntegerField(help_text="年度")


class ComplianceSerializer(serializers.Serializer):
    id_number = serializers.CharField()
    name = serializers.CharField()
    year = serializers.IntegerField()
    unit = serializers.CharField(allow_null=True, help_text="该年度所在单位（该年度最后任职的单位）")
    state = serializers.ChoiceField(
        choices=[("compliant", "达标"), ("not_compliant", "未达标"), ("no_record", "无记录")],
        help_text="compliant 达标；not_compliant 未达标；no_record 无记录：该年度早于本平台开始记录学时，"
                  "或早于该人员在本平台登记且没有任何学时（缺少数据不等于未达标）")
    compliant = serializers.BooleanField(allow_null=True,
                                         help_text="总学时、公需科目、专业科目三项均达到要求；无记录时为 null")
    public_hours = serializers.DecimalField(max_digits=8, decimal_places=1)
    professional_hours = serializers.DecimalField(max_digits=8, decimal_places=1)
    total_hours = serializers.DecimalField(max_digits=8, decimal_places=1)
    requirement = HoursSerializer(help_text="该年度学时要求")
    shortfalls = HoursSerializer(help_text="各项尚差学时（达到要求为 0）")


class ComplianceApi(APIView):
    """For title evaluation, appointment and annual assessment: was this person compliant in the year, with
    which credited hours? Logged-in bureau users (session, or `Authorization: Token …`); a person outside
    the caller's scope is 404, the same as one who does not exist, and so is everyone to an industry
    authority, which sees ID numbers masked (an answer would confirm a number). A POST that reads: the ID
    number travels in the body, so no access log or proxy keeps it (docs/personal-data.md)."""

    authentication_classes = [SessionAuthentication, TokenAuthentication]
    parser_classes = [JSONParser]

    @extend_schema(operation_id="person_compliance", summary="某人某年度是否达到继续教育学时要求",
                   request=ComplianceQuerySerializer, responses={
        200: ComplianceSerializer,
        **error_responses({
            400: "身份证号码有误（invalid_id_number），缺少字段或格式不对，或年度尚未开始（year_in_future）。",
            403: "未登录（会话或 Token）。",
            404: "没有查询的角色，或该人员不存在或不在您的范围内（两者答复相同）。",
            415: "Content-Type 不是 application/json。",
        }),
    })
    def post(self, request):
        query = ComplianceQuerySerializer(data=request.data)
        query.is_valid(raise_exception=True)
        result = person_compliance(request.user, id_number=query.validated_data["id_number"],
                                   year=query.validated_data["year"], today=business_today())
        policy, hours, assessment = result.policy, result.hours, result.hours.assessment
        return Response(ComplianceSerializer({
            "id_number": result.professional.id_number, "name": result.professional.name, "year": hours.year,
            "unit": result.unit.name if result.unit else None, "state": result.state,
            "compliant": hours.compliant if result.on_record else None,
            "public_hours": hours.public, "professional_hours": hours.professional, "total_hours": hours.total,
            "requirement": {"total_hours": policy.total_hours, "public_hours": policy.public_hours,
                            "professional_hours": policy.professional_hours},
            "shortfalls": {"total_hours": assessment.total_short, "public_hours": assessment.public_short,
                           "professional_hours": assessment.professional_short},
        }).data)


# --- the unit's progress view -----------------------------------------------------------------------------

PROGRESS_HEADER = ["姓名", "公需科目学时", "专业科目学时", "总学时", "尚缺学时", "尚缺", "是否达标"]


def _progress(request, pk: int):
    """The unit, this year and its people's progress, the furthest behind first (`?behind=1`: only those)."""
    unit = own_unit_or_404(request.user, pk)
    year = business_today().year
    behind_only = request.GET.get("behind") == "1"
    return unit, year, behind_only, unit_progress(unit.pk, year=year, behind_only=behind_only)


@role_required(Role.UNIT_REVIEWER)
@require_GET
def unit_progress_page(request, pk: int):
    unit, year, behind_only, rows = _progress(request, pk)
    return render(request, "records/compliance/unit_progress.html", {
        "unit": unit, "year": year, "behind_only": behind_only, "policy": policy_of(year),
        "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
        "behind": sum(1 for row in rows if not row.hours.compliant),
    })


@role_required(Role.UNIT_REVIEWER)
@require_GET
def unit_progress_export(request, pk: int, fmt: str):
    if fmt not in FORMATS:
        raise Http404("未找到。")
    unit, year, _, rows = _progress(request, pk)
    today, now = business_clock()
    return table_response(
        fmt, filename=f"{unit.name}{year}年学时进度_{today:%Y%m%d}", title=f"{unit.name}{year}年度学时进度",
        generated_by=request.user.get_full_name() or request.user.username, generated_at=now, header=PROGRESS_HEADER,
        rows=([row.name, row.hours.public, row.hours.professional, row.hours.total, row.missing,
               row.hours.shortfall or "—", "达标" if row.hours.compliant else "未达标"] for row in rows),
    )
