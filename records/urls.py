from django.urls import path

from . import views, views_claims, views_people

app_name = "records"
urlpatterns = [
    path("me/", views.my_home, name="my_home"),
    path("unit/", views.unit_home, name="unit_home"),
    path("authority/", views.authority_home, name="authority_home"),
    path("county/", views.county_home, name="county_home"),
    path("city/", views.city_home, name="city_home"),
    path("people/<int:pk>/", views.professional_detail, name="professional_detail"),
    path("register/", views_people.register, name="register"),
    path("register/units/", views_people.register_units, name="register_units"),
    path("unit/registrations/<int:pk>/approve/", views_people.registration_approve, name="registration_approve"),
    path("unit/registrations/<int:pk>/reject/", views_people.registration_reject, name="registration_reject"),
    path("unit/staff/import/", views_people.staff_import, name="staff_import"),
    path("unit/staff/import/template.<str:fmt>", views_people.staff_import_template, name="staff_import_template"),
    path("unit/staff/add/", views_people.staff_add, name="staff_add"),
    path("unit/staff/transfer/", views_people.staff_transfer, name="staff_transfer"),
    path("units/new/", views_people.unit_create, name="unit_create"),
    path("me/years/<int:year>/", views_claims.my_year, name="my_year"),
    path("me/claims/new/", views_claims.claim_new, name="claim_new"),
    path("me/claims/<int:pk>/", views_claims.claim_detail, name="claim_detail"),
    path("me/claims/<int:pk>/edit/", views_claims.claim_edit, name="claim_edit"),
    path("me/claims/<int:pk>/submit/", views_claims.claim_submit, name="claim_submit"),
    path("me/claims/<int:pk>/withdraw/", views_claims.claim_withdraw, name="claim_withdraw"),
    path("me/evidence/<int:pk>/correct/", views_claims.evidence_correct, name="evidence_correct"),
    path("me/evidence/<int:pk>/remove/", views_claims.evidence_remove, name="evidence_remove"),
    path("evidence/<int:pk>/", views_claims.evidence_download, name="evidence_download"),
]
