"""The platforms app's one page: the public list of approved platforms and CE bases (namespace `platforms:`).
Its API is in platforms/ingest/urls.py."""
from django.urls import path

from platforms.registry import views as registry

app_name = "platforms"
urlpatterns = [
    path("providers/", registry.providers, name="providers"),
]
