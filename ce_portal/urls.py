from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from csp.decorators import csp_update
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from records.people.views import (
    LoginView,
    PasswordChangeDoneView,
    PasswordChangeView,
    PasswordResetCompleteView,
    PasswordResetConfirmView,
    PasswordResetDoneView,
    PasswordResetView,
    home,
)

admin.site.site_header = "继续教育学时管理平台 · 管理后台"
admin.site.site_title = "继续教育管理后台"

urlpatterns = [
    path("", home, name="home"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("password/reset/complete/", PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("admin/", admin.site.urls),
    path("", include("records.urls")),
    path("", include("audits.urls")),
    path("", include("platforms.urls")),
    path("api/v1/", include("records.api_urls")),
    path("api/v1/platform/", include("platforms.ingest.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI's start-up script comes from a URL of its own, not inline; its stylesheet draws icons from
    # data: URLs, allowed on this page only.
    path("api/docs/", csp_update({"img-src": ["data:"]})(SpectacularSwaggerSplitView.as_view(url_name="schema")),
         name="api-docs"),
]

# The database out of reach is a 503 saying 系统繁忙, wherever it failed; anything else, Django's own pages
# (ce_portal/outage.py).
handler500 = "ce_portal.outage.server_error"
handler400 = "ce_portal.outage.bad_request"
