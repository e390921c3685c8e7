"""Reads for certificates: what a year's credited records are, who belongs to a unit's year, what a serial says."""
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from records.certificates.models import Certificate, CertificateBundle
from records.certificates.rules import serial_normalize, verification_code_valid, verification_url
from records.hours.models import ActivityKind, Claim, PlatformRecord, SubjectCategory
from records.hours.rules import NOT_IN_REVIEW
from records.people.access import scope_for, units_in_scope
from records.people.models import Employment, Professional, Unit

ZERO = Decimal("0")


ONLINE = "在线学习"


def employment_of_year(professional: Professional, year: int) -> Employment | None:
    """The person's last employment that overlaps the year: the unit a certificate of that year names."""
    return (
        Employment.objects.filter(professional=professional, started_on__lte=dt.date(year, 12, 31))
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=dt.date(year, 1, 1)))
        .select_related("unit")
        .order_by("-started_on", "-pk")
        .first()
    )


def unit_people_of_year(unit: Unit, year: int) -> QuerySet[Professional]:
    """Everyone employed at the unit at some time in the year, in name order."""
    employments = Employment.objects.filter(unit=unit, started_on__lte=dt.date(year, 12, 31)).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=dt.date(year, 1, 1))
    )
    return Professional.objects.filter(pk__in=employments.values("professional_id")).order_by("name", "pk")


def credited_records(professional_id: int, year: int) -> list[dict]:
    """The year's credited records, itemised as a certificate prints them, in a stable order."""
    items = []
    platform_rows = PlatformRecord.objects.filter(
        professional_id=professional_id, year=year, credit_revoked_at__isnull=True
    ).select_related("platform")
    for row in platform_rows:
        day = timezone.localtime(row.completed_at).date().isoformat()
        items.append({
            "source": "platform", "id": row.pk, "title": row.course_title, "kind": ONLINE,
            "category": row.category, "provider": row.platform.name, "start": day, "end": day,
            "hours": str(row.hours),
        })
    claims = Claim.objects.filter(
        professional_id=professional_id, year=year, status=Claim.Status.APPROVED, credit_revoked_at__isnull=True
    ).select_related("provider_base")
    for claim in claims:
        items.append({
            "source": "claim", "id": claim.pk, "title": claim.title, "kind": ActivityKind(claim.kind).label,
            "category": claim.category,
            "provider": claim.provider_base.name if claim.provider_base else claim.provider_name,
            "start": claim.start_date.isoformat(), "end": claim.end_date.isoformat(), "hours": str(claim.hours),
        })
    items.sort(key=lambda item: (item["start"], item["source"], item["id"]))
    return items


def hours_of(records: list[dict]) -> tuple[Decimal, Decimal]:
    public = sum((Decimal(r["hours"]) for r in records if r["category"] == SubjectCategory.PUBLIC), ZERO)
    professional = sum((Decimal(r["hours"]) for r in records if r["category"] != SubjectCategory.PUBLIC), ZERO)
    return public, professional


def pending_claim_count(professional_id: int, year: int) -> int:
    """The person's claims of the year still waiting on a reviewer, at whichever level."""
    return Claim.objects.filter(professional_id=professional_id, year=year).exclude(status__in=NOT_IN_REVIEW).count()


def valid_certificate(professional_id: int, year: int, *, for_update: bool = False) -> Certificate | None:
    qs = Certificate.objects.filter(professional_id=professional_id, year=year, status=Certificate.Status.ISSUED)
    return (qs.select_for_update() if for_update else qs).first()


def certificate_list_for_person(professional: Professional) -> QuerySet[Certificate]:
    return professional.certificates.select_related("superseded_by").order_by("-year", "-issued_at", "-pk")


def certificate_get_own(user, pk: int) -> Certificate:
    from records.people.access import get_in_scope_or_404

    own = Certificate.objects.filter(professional_id__in=scope_for(user).professional_ids)
    return get_in_scope_or_404(own.select_related("superseded_by"), pk=pk)


def bundle_list(user) -> QuerySet[CertificateBundle]:
    """The user's own bundles, for units still in their scope."""
    return CertificateBundle.objects.filter(requested_by=user, unit__in=units_in_scope(user)).select_related("unit")


def bundle_get(user, pk: int) -> CertificateBundle:
    from records.people.access import get_in_scope_or_404

    return get_in_scope_or_404(bundle_list(user), pk=pk)


def verification_link(serial: str) -> str:
    """The public address a certificate's QR code opens."""
    path = reverse("records:verify", args=[serial])
    return verification_url(settings.SITE_URL, path, serial, settings.CERTIFICATE_HMAC_KEY)


@dataclass(frozen=True)
class Verification:
    status: str  # valid | superseded | revoked | not_found | invalid_code
    label: str
    certificate: Certificate | None = None

    @property
    def found(self) -> bool:
        return self.certificate is not None


VERIFICATION_LABELS = {
    "valid": "有效",
    "superseded": "已被取代（该年度学时记录已变更）",
    "revoked": "已撤销",
    "not_found": "未找到该证书",
    "invalid_code": "验证码无效：该二维码或链接不是本平台签发的",
}


_BY_STATUS = {
    Certificate.Status.ISSUED: "valid",
    Certificate.Status.SUPERSEDED: "superseded",
    Certificate.Status.REVOKED: "revoked",
}


def certificate_verify(serial_text: str, code: str | None) -> Verification:
    """What the public learns about a serial. A code, when given, is checked before the database is read,
    so a forged link learns nothing about whether its serial exists."""
    serial = serial_normalize(serial_text)
    if code is not None and (serial is None or not verification_code_valid(serial, code, settings.CERTIFICATE_HMAC_KEY)):
        return Verification("invalid_code", VERIFICATION_LABELS["invalid_code"])
    certificate = (
        Certificate.objects.filter(serial=serial).select_related("superseded_by").first() if serial else None
    )
    if certificate is None:
        return Verification("not_found", VERIFICATION_LABELS["not_found"])
    status = _BY_STATUS[certificate.status]
    return Verification(status, VERIFICATION_LABELS[status], certificate)
