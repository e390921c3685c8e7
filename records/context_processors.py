from .roles import role_homes
from .scoping import scope_for


def roles(request):
    """The roles the signed-in user holds, for the navigation's role switcher."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"role_homes": role_homes(scope_for(user))}
