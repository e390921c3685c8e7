from django import template

from audits.review.selectors import review_queue_counts
from ce_portal.clock import business_today

register = template.Library()


@register.simple_tag
def pending_review_count(user) -> int:
    """How many claims wait for this user's decision (for the link on the role home pages)."""
    return review_queue_counts(user, today=business_today())["total"]
