from django import template

from ce_portal.clock import business_today
from records.announcements.selectors import announcements_current

register = template.Library()

# A home page lists this many, newest first; all of them are on the announcements page.
SHOWN_ON_HOME = 5


@register.inclusion_tag("records/announcements/on_home.html")
def current_announcements(manage: bool = False):
    """The announcements shown today: the same block on every role's home page (city_hr's with its buttons)."""
    rows = list(announcements_current(business_today())[:SHOWN_ON_HOME + 1])
    return {"announcements": rows[:SHOWN_ON_HOME], "more": len(rows) > SHOWN_ON_HOME, "manage": manage}
