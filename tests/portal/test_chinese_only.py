"""The portal speaks Simplified Chinese only, whatever language the browser asks for."""
import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_browser_asking_for_english_still_reads_chinese(client):
    response = client.post(reverse("login"), {"username": "", "password": ""}, HTTP_ACCEPT_LANGUAGE="en")

    page = response.content.decode()
    assert "该字段是必填项。" in page and "This field is required" not in page  # Django's own text
    assert "Accept-Language" not in response.get("Vary", "")


def test_there_is_no_language_switch(client):
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 404
