"""An account logged in with a password someone else set (a unit's one-time password) goes nowhere but the
password change page until it has chosen its own: every other page redirects there, an API call is refused
with the `Error` body. Log-out and static files stay open."""
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from records.people.services import MUST_CHANGE_PASSWORD_SESSION_KEY

API_PREFIX = "/api/"


def must_change_password(get_response):
    def middleware(request):
        if not request.session.get(MUST_CHANGE_PASSWORD_SESSION_KEY) or _open(request.path_info):
            return get_response(request)
        if request.path_info.startswith(API_PREFIX):
            return JsonResponse({"code": "password_change_required",
                                 "message": "请先登录平台修改单位为您设置的一次性密码，再使用接口。"},
                                status=403, json_dumps_params={"ensure_ascii": False})
        return redirect("password_change")

    return middleware


def _open(path: str) -> bool:
    return path in (reverse("password_change"), reverse("logout")) or path.startswith(settings.STATIC_URL)
