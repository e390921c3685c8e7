"""A form that comes back with errors lists them at its top, each linked to its field (issue 14)."""
import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from tests.factories import SHANGHAI
from tests.records.test_claims import form_data

pytestmark = pytest.mark.django_db

FRIDAY = dt.datetime(2025, 9, 26, 10, 0, tzinfo=SHANGHAI)


def summary(page: str) -> str:
    match = re.search(r'<div class="errors error-summary" role="alert" tabindex="-1" data-error-summary>(.*?)</div>',
                      page, re.S)
    assert match, "no error summary on the page"
    return match.group(1)


def test_the_claim_form_lists_each_error_linked_to_its_field(client, alice):
    client.force_login(alice.user)
    with time_machine.travel(FRIDAY, tick=False):
        page = client.post(reverse("records:claim_new"), {**form_data(title="", hours="0.25", category=""),
                                                          "action": "draft"}).content.decode()
    found = summary(page)
    assert "请修改以下 3 处错误" in found
    assert '<a href="#id_title" data-error-link="title">活动名称：请填写活动名称。</a>' in found
    assert 'href="#id_hours"' in found
    # A group of radios is linked by the wrapper Django gives it.
    assert 'href="#id_category"' in found and '<div id="id_category">' in page


def test_a_form_without_errors_has_no_summary(client, alice):
    client.force_login(alice.user)
    with time_machine.travel(FRIDAY, tick=False):
        page = client.get(reverse("records:claim_new")).content.decode()
    assert "data-error-summary" not in page


def test_the_shared_form_partial_shows_the_summary_too(client, alice):
    client.force_login(alice.user)
    page = client.post(reverse("password_change"), {"old_password": "wrong", "new_password1": "",
                                                    "new_password2": ""}).content.decode()
    found = summary(page)
    count = int(re.search(r"请修改以下 (\d+) 处错误", found).group(1))
    assert count == found.count("<li>") and count >= 2
    assert 'href="#id_old_password"' in found and 'href="#id_new_password1"' in found


def test_the_login_page_summarises_its_refusal(client, alice):
    page = client.post(reverse("login"), {"username": "alice", "password": "wrong"}).content.decode()
    assert "请修改以下 1 处错误" in summary(page)
