from django.urls import path

from . import api, views_compliance

app_name = "registry_api"
urlpatterns = [
    path("units/", api.UnitCreateApi.as_view(), name="unit_create"),
    path("professionals/", api.ProfessionalCreateApi.as_view(), name="professional_create"),
    path("compliance/<str:id_number>/<int:year>/", views_compliance.ComplianceApi.as_view(), name="compliance"),
]
