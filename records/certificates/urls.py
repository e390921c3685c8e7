from django.urls import path

from . import views

app_name = "certificates"
urlpatterns = [
    path("me/certificates/", views.my_certificates, name="my_certificates"),
    path("me/certificates/<int:pk>/", views.certificate_download, name="certificate_download"),
    path("me/certificates/<int:pk>/status", views.certificate_status, name="certificate_status"),
    path("certificates/bundles/", views.bundles, name="certificate_bundles"),
    path("certificates/bundles/<int:pk>/", views.bundle_detail, name="certificate_bundle"),
    path("certificates/bundles/<int:pk>/status", views.bundle_status, name="certificate_bundle_status"),
    path("certificates/bundles/<int:pk>/zip", views.bundle_zip, name="certificate_bundle_zip"),
    path("verify/", views.verify_search, name="verify_search"),
    path("verify/<str:serial>", views.verify, name="verify"),
    path("api/v1/verify/<str:serial>", views.CertificateVerifyApi.as_view(), name="verify_api"),
]
