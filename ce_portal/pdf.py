"""PDF documents rendered by WeasyPrint from templates, with the CJK font checked on every render.

A missing CJK font fails silently in WeasyPrint: every character a blank box, exit code 0, while pdftotext
still reads the right text (docs/measurements.md). So the render watches WeasyPrint's log for `.notdef`
glyphs and fails loudly instead.
"""
import io

import weasyprint
from django.conf import settings
from django.template.loader import render_to_string
from pypdf import PdfReader, PdfWriter
from weasyprint.text.fonts import FontConfiguration

CJK_FAMILY = "Noto Sans CJK SC"  # Debian's fonts-noto-cjk; named in templates/records/pdf/*.html too


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


def render_pdf_pages(template: str, context: dict) -> list[bytes]:
    """The template's pages, each as a PDF of its own. Laid out and written once: a write subsets the CJK
    font, which costs about as much as laying out a page, so many one-page documents cost far less as one
    document split afterwards than as many documents."""
    pdf = render_pdf(template, context)
    reader = PdfReader(io.BytesIO(pdf))
    pages = []
    for page in reader.pages:
        writer = PdfWriter()
        writer.add_page(page)
        buffer = io.BytesIO()
        writer.write(buffer)
        pages.append(buffer.getvalue())
    return pages
