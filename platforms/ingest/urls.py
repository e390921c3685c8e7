from django.urls import path

from .api import PlatformRecordsIngestApi

app_name = "platform_api"
urlpatterns = [
    path("records/", PlatformRecordsIngestApi.as_view(), name="records"),
]
