"""Credited hours for certificate tests: platform records and approved claims, with the kept totals rebuilt."""
import datetime as dt
import subprocess
from decimal import Decimal

from platforms.registry.models import LearningPlatform
from records.hours.models import PlatformRecord
from records.hours.services import recompute_year_totals
from tests.factories import SHANGHAI, ClaimFactory


def platform_record(professional, *, hours="15", category="public", year=2025, title="专业技术人员职业道德与诚信建设",
                    day=dt.date(2025, 3, 10)) -> PlatformRecord:
    platform = LearningPlatform.objects.filter(category=category).order_by("pk").first()
    record = PlatformRecord.objects.create(
        platform=platform, professional=professional, external_id=f"{professional.pk}-{PlatformRecord.objects.count()}",
        course_title=title, category=category, hours=Decimal(hours), year=year, content_hash="0" * 64,
        completed_at=dt.datetime.combine(day, dt.time(20), tzinfo=SHANGHAI),
    )
    recompute_year_totals([(professional.pk, year)])
    return record


def approved_claim(professional, *, hours="30", category="professional", year=2025, start=dt.date(2025, 6, 2),
                   days=3, **extra):
    claim = ClaimFactory(
        professional=professional, status="approved", category=category, year=year, hours=Decimal(hours),
        start_date=start, end_date=start + dt.timedelta(days=days - 1), filed_on=start + dt.timedelta(days=days + 3),
        due_on=None, decided_at=dt.datetime.combine(start, dt.time(12), tzinfo=SHANGHAI) + dt.timedelta(days=20),
        **extra,
    )
    recompute_year_totals([(professional.pk, year)])
    return claim


def make_compliant(professional, year=2025):
    """30 public hours on platforms and 60 professional hours in two approved claims: exactly 90/30/60."""
    return [
        platform_record(professional, hours="15", year=year, title="专业技术人员职业道德与诚信建设",
                        day=dt.date(year, 3, 10)),
        platform_record(professional, hours="15", year=year, title="数字经济与创新驱动发展", day=dt.date(year, 4, 8)),
        approved_claim(professional, hours="30", year=year, start=dt.date(year, 6, 2), title="临床新技术研修班",
                       kind="workshop", provider_name="平顶山学院"),
        approved_claim(professional, hours="30", year=year, start=dt.date(year, 9, 15), title="急诊急救技能面授培训",
                       provider_name="平顶山市第一人民医院"),
    ]


def pdf_text(certificate) -> str:
    """The certificate's rendered PDF as pdftotext reads it (layout kept)."""
    return subprocess.run(["pdftotext", "-layout", certificate.pdf.path, "-"], capture_output=True, text=True,
                          check=True).stdout
