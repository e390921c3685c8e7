"""The unread-notifications badge on every page: read through the cache, and right after every change."""
import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audits.review.models import Notification
from audits.review.services import create_and_email
from tests.factories import SHANGHAI

NOW = dt.datetime(2025, 10, 15, 8, 0, tzinfo=SHANGHAI)
pytestmark = pytest.mark.django_db(transaction=True)  # the cache is cleared once a change is committed


def badge(client) -> int:
    found = re.search(r'data-unread="(\d+)"', client.get(reverse("review:notifications")).content.decode())
    return int(found.group(1)) if found else 0


def notify(user, n: int) -> None:
    create_and_email([Notification(user=user, kind="test", text=f"第{i}条", created_at=NOW,
                                   dedupe_key=f"test:{user.pk}:{n}:{i}") for i in range(n)], now=NOW, subject="测试")


def test_the_badge_follows_new_and_read_notices_and_costs_no_query_once_counted(client, ada):
    client.force_login(ada)
    assert badge(client) == 0
    notify(ada, 2)
    assert badge(client) == 2
    with CaptureQueriesContext(connection) as page:
        client.get(reverse("records:unit_home"))
    assert not [q for q in page if "audits_notification" in q["sql"]]

    one = Notification.objects.filter(user=ada).first()
    client.post(reverse("review:notifications_read"), {"id": one.pk})
    assert badge(client) == 1
    client.post(reverse("review:notifications_read"))
    assert badge(client) == 0
