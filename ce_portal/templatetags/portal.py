"""Filters every page uses, loaded as builtins (TEMPLATES in ce_portal/settings.py): no page can forget them."""
from decimal import Decimal

from django import template

from ce_portal.formatting import hours_text

register = template.Library()


@register.filter(name="hours")
def hours_filter(value) -> str:
    """`{{ claim.hours|hours }}`: 26, 26.5 — the one way hours read (ce_portal.formatting.hours_text)."""
    # A screening flag's evidence keeps its hours as JSON text: read the same.
    return "" if value is None or value == "" else hours_text(Decimal(str(value)))


@register.filter
def error_count(form) -> int:
    """How many messages a bound form shows, its non-field ones included: the summary's N."""
    return sum(len(messages) for messages in form.errors.values())
