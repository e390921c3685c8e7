"""The Jinja2 environment of templates/jinja2/: the filters the Django pages have as builtins, the same
functions (ce_portal/templatetags/portal.py), so a row reads alike in either engine."""
from jinja2 import Environment

from ce_portal.templatetags.portal import hours_filter


def environment(**options) -> Environment:
    env = Environment(**options)
    env.filters["hours"] = hours_filter
    return env
