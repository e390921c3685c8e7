from .roles import role_homes
from .scoping import scope_for


def roles(request):
    """The roles the signed-in user holds (the navigation's role switcher), whether they watch a review
    monitor, and their unread notifications."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_for(user)
    return {
        "role_homes": role_homes(scope),
        "sees_monitor": bool(scope.is_city or scope.region_ids or scope.authority_ids),
        "unread_notifications": user.notifications.filter(read_at__isnull=True).count,  # lazy: counted if shown
    }
