"""HTML written in one pass where Django's template-rendered widgets cost more than the rest of a page.

Django renders a <select> and each of its options through templates (≈ 0.1 ms an option). On the pages that
are loaded all day — a reviewer's queue, a county's compliance list with its 300 units — that was more than
their SQL (bench/review_bench.py, bench/compliance_bench.py).
"""
from html import escape  # what django.utils.html.escape does, without its lazy-string wrapper per call

from django.forms import BoundField
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


def options_html(choices, selected) -> SafeString:
    """<option>s of (value, label) pairs, the one equal to `selected` (compared as text) selected."""
    selected = "" if selected is None else str(selected)
    options = []
    for value, label in choices:
        value = str(value)
        mark = " selected" if value == selected else ""
        options.append(f'<option value="{escape(value)}"{mark}>{escape(str(label))}</option>')
    return mark_safe("".join(options))


def select_html(field: BoundField) -> SafeString:
    """A ChoiceField's <select>, as its widget would render it (name, id, the current value selected)."""
    value = field.value()
    invalid = mark_safe(' aria-invalid="true"') if field.errors else ""
    return format_html('<select name="{}" id="{}"{}>{}</select>', field.html_name, field.auto_id, invalid,
                       options_html(field.field.choices, "" if value is None else value))
