"""The rows of a compliance list page, written in one pass.

A county's list is the page HR bureaus page through before title evaluation, with a goal of p99 < 300 ms
with 8 connections on two cores (issue 6). Through the template language its 50 rows × 9 cells cost more
than the page's SQL (bench/compliance_bench.py). Every text goes through `escape`; hours are Decimals with
one place, written as stored.
"""
from html import escape  # django.utils.html.escape without its lazy-string wrapper per call

from django.utils.safestring import SafeString, mark_safe

from .compliance import ComplianceRow

_YES = '<span class="flag-yes">达标</span>'
_NO = '<span class="flag-no">未达标</span>'


def compliance_row_html(row: ComplianceRow) -> str:
    compliant = row.compliant
    return (
        f'<tr data-professional="{int(row.professional_id)}" data-compliant="{"yes" if compliant else "no"}">'
        f"<td>{escape(row.name)}</td><td>{escape(row.id_number)}</td><td>{escape(row.unit_name)}</td>"
        f"<td>{escape(row.region_name)}</td>"
        f'<td class="hours">{row.public}</td><td class="hours">{row.professional}</td>'
        f'<td class="hours">{row.total}</td>'
        f"<td>{_YES if compliant else _NO}</td><td>{escape(row.shortfall) or '—'}</td></tr>\n"
    )


def compliance_rows_html(rows) -> SafeString:
    return mark_safe("".join(compliance_row_html(row) for row in rows))
