"""Certificate pages: a person's certificates, a unit's bulk ZIP, and the public verification page and API."""
from django.contrib import messages
from django.http import FileResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from ce_portal.clock import business_now
from ce_portal.downloads import DOWNLOAD_RETENTION, download_state
from ce_portal.errors import error_responses, refusal_as_message
from ce_portal.http import rate_limited
from records.certificates.models import Certificate, CertificateBundle
from records.certificates.rules import certificate_refusal, mask_name, serial_normalize
from records.certificates.selectors import (
    VERIFICATION_LABELS, Verification, bundle_get, bundle_list, certificate_get_own, certificate_list_for_person,
    certificate_verify, pending_claim_count,
)
from records.certificates.services import certificate_bundle_request, certificate_request
from records.hours.selectors import recent_year_hours
from records.people.access import role_required
from records.people.models import Role
from records.people.selectors import unit_list

VERIFY_RATE_PER_MINUTE = 30


OVERSEERS = (Role.UNIT_REVIEWER, Role.AUTHORITY_REVIEWER, Role.COUNTY_HR, Role.CITY_HR)


YEARS_SHOWN = 5


UNIT_CHOICES = 100


def _year_from(value) -> int | None:
    try:
        year = int(value)
    except (TypeError, ValueError):
        return None
    return year if 2000 <= year <= 2100 else None


def _year_rows(professional, current_year: int) -> list[dict]:
    certificates = list(certificate_list_for_person(professional))
    return [{
        "year": hours.year, "hours": hours,
        "certificates": [c for c in certificates if c.year == hours.year],
        # Why a request would be refused now, so the page says so instead of offering a button that fails.
        "refusal": certificate_refusal(year=hours.year, current_year=current_year, assessment=hours.assessment,
                                       pending_claims=pending_claim_count(professional.pk, hours.year)),
    } for hours in recent_year_hours(professional, current_year=current_year, years=YEARS_SHOWN)]


@role_required(Role.PROFESSIONAL)
@require_http_methods(["GET", "POST"])
def my_certificates(request):
    professional = request.user.professional
    now = business_now()
    if request.method == "POST":
        year = _year_from(request.POST.get("year"))
        if year is None:
            messages.error(request, "请选择正确的学时年度。")
            return redirect("records:my_certificates")
        with refusal_as_message(request):
            certificate = certificate_request(actor=request.user, professional=professional, year=year, now=now)
            return redirect("records:certificate_download", pk=certificate.pk)
        return redirect("records:my_certificates")
    return render(request, "records/certificates/mine.html", {
        "professional": professional, "years": _year_rows(professional, now.year),
    })


def _certificate_state(certificate: Certificate) -> dict:
    ready = certificate.render_status == Certificate.RenderStatus.READY
    return {
        "status": certificate.status, "status_label": certificate.get_status_display(),
        "render_status": certificate.render_status, "render_label": certificate.get_render_status_display(),
        "ready": ready, "failed": certificate.render_status == Certificate.RenderStatus.FAILED,
        "download_url": reverse("records:certificate_download", args=[certificate.pk]) if ready else None,
    }


@role_required(Role.PROFESSIONAL)
@require_GET
def certificate_download(request, pk: int):
    """The PDF once it exists; until then a page that shows the rendering progress (202), not an error."""
    certificate = certificate_get_own(request.user, pk)
    if certificate.render_status == Certificate.RenderStatus.READY and certificate.status != Certificate.Status.REVOKED:
        return FileResponse(
            certificate.pdf.open("rb"), content_type="application/pdf", as_attachment=True,
            filename=f"继续教育学时证明_{certificate.year}_{certificate.serial}.pdf",
        )
    status = 202 if certificate.render_status in (Certificate.RenderStatus.PENDING, Certificate.RenderStatus.RENDERING) else 200
    return render(request, "records/certificates/progress.html", {
        "certificate": certificate, "state": _certificate_state(certificate),
    }, status=status)


@role_required(Role.PROFESSIONAL)
@require_GET
def certificate_status(request, pk: int):
    return JsonResponse(_certificate_state(certificate_get_own(request.user, pk)))


@role_required(*OVERSEERS)
@require_http_methods(["GET", "POST"])
def bundles(request):
    now = business_now()
    if request.method == "POST":
        year = _year_from(request.POST.get("year"))
        unit_id = request.POST.get("unit")
        if year is None or not str(unit_id or "").isdigit():
            messages.error(request, "请选择单位和正确的学时年度。")
            return redirect("records:certificate_bundles")
        with refusal_as_message(request):
            bundle = certificate_bundle_request(actor=request.user, unit_id=int(unit_id), year=year, now=now)
            return redirect("records:certificate_bundle", pk=bundle.pk)
        return redirect("records:certificate_bundles")
    search = request.GET.get("q", "").strip()
    units = unit_list(request.user, search=search)
    return render(request, "records/certificates/bundles.html", {
        # A city holds thousands of units: the choice shows the first matches, the search narrows them.
        "units": units[:UNIT_CHOICES], "more_units": units.count() > UNIT_CHOICES, "q": search,
        "years": range(now.year, now.year - YEARS_SHOWN, -1),
        "bundles": bundle_list(request.user).order_by("-created_at", "-pk")[:20],
    })


def _bundle_state(bundle: CertificateBundle) -> dict:
    return {**download_state(bundle, "records:certificate_bundle_zip"), "included": bundle.included}


@role_required(*OVERSEERS)
@require_GET
def bundle_detail(request, pk: int):
    bundle = bundle_get(request.user, pk)
    return render(request, "records/certificates/bundle.html", {
        "bundle": bundle, "state": _bundle_state(bundle), "retention_days": DOWNLOAD_RETENTION.days,
    })


@role_required(*OVERSEERS)
@require_GET
def bundle_status(request, pk: int):
    return JsonResponse(_bundle_state(bundle_get(request.user, pk)))


@role_required(*OVERSEERS)
@require_GET
def bundle_zip(request, pk: int):
    bundle = bundle_get(request.user, pk)
    if bundle.status != CertificateBundle.Status.READY:
        return redirect("records:certificate_bundle", pk=bundle.pk)
    return FileResponse(
        bundle.file.open("rb"), content_type="application/zip", as_attachment=True,
        filename=f"{bundle.unit.name}_{bundle.year}年继续教育学时证明.zip",
    )


RATE_LIMIT_MESSAGE = f"核验请求过于频繁（每分钟最多 {VERIFY_RATE_PER_MINUTE} 次），请稍后再试。"


@require_GET
def verify_search(request):
    """The form for a serial copied from paper; the serial itself is checked on the result page."""
    typed = request.GET.get("serial", "")
    if not typed.strip():
        return render(request, "records/certificates/verify.html", {"result": None})
    serial = serial_normalize(typed)
    if serial is None:
        return render(request, "records/certificates/verify.html", {
            "result": None, "typed": typed,
            "error": "证书编号格式不正确：应为“年份-四位-四位-四位”，如 2025-7K3M-Q9TD-X2HF。",
        })
    return redirect("records:verify", serial=serial)


@require_GET
def verify(request, serial: str):
    if rate_limited(request, "certificate-verify", VERIFY_RATE_PER_MINUTE):
        return render(request, "records/certificates/rate_limited.html", {"message": RATE_LIMIT_MESSAGE}, status=429)
    result = certificate_verify(serial, request.GET.get("c"))
    return render(request, "records/certificates/verify.html", {"result": verification_payload(result)},
                  status=200 if result.found else 404)


def verification_payload(result: Verification) -> dict:
    body = {"status": result.status, "status_label": result.label}
    certificate = result.certificate
    if certificate is not None:
        content = certificate.content
        body.update({
            "serial": certificate.serial,
            "name": mask_name(content["name"]),
            "unit": content["unit"],
            "year": certificate.year,
            "interim": bool(content.get("interim")),
            "hours": content["hours"],
            "issued_at": timezone.localtime(certificate.issued_at).isoformat(),
            "pdf_sha256": certificate.pdf_sha256 or None,
            "superseded_by": certificate.superseded_by.serial if certificate.superseded_by else None,
            "revoked_at": timezone.localtime(certificate.revoked_at).isoformat() if certificate.revoked_at else None,
        })
    return body


class VerificationHoursSerializer(serializers.Serializer):
    public = serializers.CharField(help_text="公需科目学时")
    professional = serializers.CharField(help_text="专业科目学时")
    total = serializers.CharField(help_text="总学时")


class VerificationSerializer(serializers.Serializer):
    """The body `verification_payload` builds (for the schema): the certificate's fields only when found."""

    status = serializers.ChoiceField(choices=list(VERIFICATION_LABELS), help_text="核验结果")
    status_label = serializers.CharField(help_text="核验结果（中文）")
    serial = serializers.CharField(required=False)
    name = serializers.CharField(required=False, help_text="持证人姓名（部分隐去）")
    unit = serializers.CharField(required=False)
    year = serializers.IntegerField(required=False)
    hours = VerificationHoursSerializer(required=False)
    issued_at = serializers.DateTimeField(required=False)
    pdf_sha256 = serializers.CharField(required=False, allow_null=True)
    superseded_by = serializers.CharField(required=False, allow_null=True, help_text="取代它的证书编号")
    revoked_at = serializers.DateTimeField(required=False, allow_null=True)


class CertificateVerifyApi(APIView):
    """For title-evaluation systems: the same answer as the public page, as JSON, under the same rate limit."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        operation_id="certificate_verify", summary="核验学时证明",
        parameters=[OpenApiParameter("c", str, required=False, description="二维码链接中的验证码（可不填）")],
        responses={
            200: VerificationSerializer,
            404: OpenApiResponse(VerificationSerializer, description="未找到该证书，或验证码无效（status 说明）。"),
            **error_responses({429: f"每个地址每分钟最多核验 {VERIFY_RATE_PER_MINUTE} 次。"}),
        },
    )
    def get(self, request, serial: str):
        if rate_limited(request, "certificate-verify", VERIFY_RATE_PER_MINUTE):
            return Response({"code": "rate_limited", "message": RATE_LIMIT_MESSAGE}, status=429)
        result = certificate_verify(serial, request.query_params.get("c"))
        return Response(verification_payload(result), status=200 if result.found else 404)
