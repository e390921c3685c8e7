from django import template

from ce_portal.html import select_html

register = template.Library()


@register.simple_tag
def select(field):
    """`{% select form.field %}`: ce_portal.html.select_html."""
    return select_html(field)
