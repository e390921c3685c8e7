from django import template

from ce_portal.clock import business_today
from records.hours.rules import review_overdue

register = template.Library()


@register.filter
def overdue(claim) -> bool:
    """Whether the claim's review is overdue today (by its due date, before or after the timer's run)."""
    return review_overdue(claim.status, claim.due_on, business_today())
