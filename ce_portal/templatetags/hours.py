from django import template

from ce_portal.formatting import shortfall_text

register = template.Library()
register.filter("shortfall", shortfall_text)
