"""Helpers of the platform API tests: platforms, tokens, records and posting."""
import datetime as dt
from zoneinfo import ZoneInfo

from rest_framework.test import APIClient

from platforms.ingest.services import platform_token_issue
from platforms.registry.models import LearningPlatform

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2025, 6, 15, 10, 0, tzinfo=SHANGHAI)
RECORDS_URL = "/api/v1/platform/records/"


def make_platform(category: str, **extra) -> LearningPlatform:
    defaults = dict(name=f"测试{category}平台", operator="测试运营单位", url="https://example.invalid/",
                    category=category, level="provincial", years_approved=[2024, 2025], active=True)
    return LearningPlatform.objects.create(**{**defaults, **extra})


def issue(platform) -> str:
    _, token = platform_token_issue(platform=platform, label="测试", actor=None, ip=None)
    return token


def client_for(token: str | None) -> APIClient:
    client = APIClient()
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def record_for(person, n: int = 1, **overrides) -> dict:
    return {
        "external_id": f"EXT-{n}",
        "id_number": person.id_number,
        "name": person.name,
        "course_title": f"公需科目课程{n}",
        "category": "public",
        "hours": "2",
        "completed_at": "2025-05-01T10:30:00+08:00",
        **overrides,
    }


def post(client, body, **kwargs):
    return client.post(RECORDS_URL, body, format="json", **kwargs)
