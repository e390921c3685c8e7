"""PDF documents rendered by WeasyPrint from templates under templates/records/pdf/.

A document's context is built from stored rows by a function here, never from a request. Missing CJK
fonts fail silently in WeasyPrint (BASELINE.md: every character a blank box, while pdftotext still reads
the right text), so every render checks the fonts it embedded and refuses a document with missing glyphs
or with Chinese set in anything but the SC (Simplified Chinese) faces.
"""
import datetime as dt
import logging
from decimal import Decimal

import segno
import weasyprint
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from weasyprint.text.fonts import FontConfiguration

from .choices import SubjectCategory
from .selectors_certificates import verification_link

CJK_FAMILY = "Noto Sans CJK SC"  # Debian's fonts-noto-cjk; named in templates/records/pdf/*.html too
# WeasyPrint logs every layout step at INFO: at hundreds of certificates a minute that drowns the real logs.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
# Parsing fontconfig's font list once per process, not per document, saves a good part of each render.
_font_config = FontConfiguration()


class PdfFontError(RuntimeError):
    """The document would print boxes or non-Chinese glyph forms: refuse it rather than issue it."""


def _check_fonts(fonts) -> None:
    for font in fonts:
        family = str(font.family)
        if font.missing:
            raise PdfFontError(f"字体 {family} 缺少 {len(font.missing)} 个字符的字形，请安装 fonts-noto-cjk。")
        if "CJK" in family and not family.endswith(" SC"):
            raise PdfFontError(f"中文使用了非简体中文字形的字体 {family}，请检查 lang 与 font-family 设置。")
    if not any(str(font.family).endswith("CJK SC") for font in fonts):
        raise PdfFontError(f"PDF 中没有嵌入中文字体 {CJK_FAMILY}，请安装 fonts-noto-cjk。")


def render_pdf(template: str, context: dict) -> bytes:
    return pdf_from_html(render_to_string(template, context))


def pdf_from_html(html: str) -> bytes:
    document = weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).render(font_config=_font_config)
    pdf = document.write_pdf()
    _check_fonts(list(document.fonts.values()))  # filled in by write_pdf
    return pdf


def _hours(text: str) -> str:
    return f"{Decimal(text).quantize(Decimal('0.1'))}"


def _day(iso: str) -> str:
    day = dt.date.fromisoformat(iso)
    return f"{day.year}年{day.month}月{day.day}日"


def _period(start: str, end: str) -> str:
    if start == end:
        return _day(start)
    last = dt.date.fromisoformat(end)
    # Activities never cross a year (claim rules), so the end needs no year of its own.
    return f"{_day(start)}至{last.month}月{last.day}日"


def certificate_context(certificate) -> dict:
    """Everything the certificate prints, from the certificate row and its content snapshot alone."""
    content = certificate.content
    link = verification_link(certificate.serial)
    labels = dict(SubjectCategory.choices)
    policy, hours = content["policy"], content["hours"]
    issued = timezone.localtime(certificate.issued_at)
    return {
        "serial": certificate.serial,
        "name": content["name"],
        "masked_id_number": content["masked_id_number"],
        "unit": content["unit"] or "（无在职单位记录）",
        "year": certificate.year,
        "rows": [
            {"label": labels[SubjectCategory.PUBLIC], "need": _hours(policy["public"]), "have": _hours(hours["public"])},
            {"label": labels[SubjectCategory.PROFESSIONAL], "need": _hours(policy["professional"]),
             "have": _hours(hours["professional"])},
            {"label": "合计", "need": _hours(policy["total"]), "have": _hours(hours["total"])},
        ],
        "records": [
            {**record, "category_label": labels.get(record["category"], record["category"]),
             "period": _period(record["start"], record["end"]), "hours": _hours(record["hours"])}
            for record in content["records"]
        ],
        "issued_on": f"{issued.year}年{issued.month}月{issued.day}日",
        "verification_link": link,
        "verification_page": settings.SITE_URL.rstrip("/") + reverse("records:verify_search"),
        # SVG keeps the modules sharp at any print resolution; "M" correction survives a crease or a stamp.
        "qr_data_uri": segno.make(link, error="m").svg_data_uri(scale=4, border=2),
        "cjk_family": CJK_FAMILY,
    }


def render_certificate_pdf(certificate) -> bytes:
    return render_pdf("records/pdf/certificate.html", certificate_context(certificate))
