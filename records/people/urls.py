from django.urls import path

from . import views

app_name = "people"
urlpatterns = [
    path("unit/", views.unit_home, name="unit_home"),
    path("authority/", views.authority_home, name="authority_home"),
    path("county/", views.county_home, name="county_home"),
    path("city/", views.city_home, name="city_home"),
    path("people/<int:pk>/", views.professional_detail, name="professional_detail"),
    path("register/", views.register, name="register"),
    path("register/units/", views.register_units, name="register_units"),
    path("unit/registrations/<int:pk>/approve/", views.registration_approve, name="registration_approve"),
    path("unit/registrations/<int:pk>/reject/", views.registration_reject, name="registration_reject"),
    path("unit/staff/import/", views.staff_import, name="staff_import"),
    path("unit/staff/import/template.<str:fmt>", views.staff_import_template, name="staff_import_template"),
    path("unit/staff/add/", views.staff_add, name="staff_add"),
    path("unit/staff/transfer/", views.staff_transfer, name="staff_transfer"),
    path("units/new/", views.unit_create, name="unit_create"),
]
