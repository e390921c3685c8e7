from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404

from .scoping import scope_for


def role_required(*roles):
    """The page belongs to these roles; anyone else gets 404 (scope rule: never reveal what exists)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            scope = scope_for(request.user)
            if not any(scope.has(role) for role in roles):
                raise Http404("未找到。")
            request.scope = scope
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
