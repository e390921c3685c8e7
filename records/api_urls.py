"""The registry API (/api/v1/): HR bureaus add units, unit reviewers add staff, bureaus look up compliance."""
from django.urls import path

from records.compliance.views import ComplianceApi
from records.people.api import ProfessionalCreateApi, UnitCreateApi

app_name = "registry_api"
urlpatterns = [
    path("units/", UnitCreateApi.as_view(), name="unit_create"),
    path("professionals/", ProfessionalCreateApi.as_view(), name="professional_create"),
    # The number goes in the body, never in the address (access logs, proxies, browser history).
    path("compliance/", ComplianceApi.as_view(), name="compliance"),
]
