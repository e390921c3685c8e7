"""The help pages name the real pages of a role: as links for a reader who holds that role, as plain names for
anyone else (a professional reading the county's help would otherwise follow links that answer 404)."""
from django import template
from django.urls import reverse

register = template.Library()


@register.inclusion_tag("records/help/_page_link.html", takes_context=True)
def page_link(context, url_name: str, text: str):
    return {"href": reverse(url_name) if context.get("linked") else "", "text": text}
