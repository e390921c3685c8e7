"""A forgotten password without an e-mail on file, in real Chromium: the unit's reviewer resets it from the
person's page (a confirmation first), reads the one-time password off the screen, the person logs in with it,
is held on the password change page, and after choosing their own lands on their home page."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.browser.conftest import log_in
from tests.factories import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MONDAY = dt.datetime(2026, 3, 2, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
NEW = "Zi-ji-de-2026!"


@pytest.fixture(autouse=True)
def morning():
    # tick=True: the clock runs on in every thread, the live server's included.
    with time_machine.travel(MONDAY, tick=True):
        yield


def test_the_unit_resets_a_password_and_the_person_must_change_it_first(page, alice, ada):
    log_in(page, "ada", DEMO_PASSWORD)
    page.goto(f"/people/{alice.pk}/")
    page.click("main a:has-text('重置密码')")
    assert "确定为 张爱丽" in page.locator("main").inner_text()
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")
    password = page.locator("[data-one-time-password]").inner_text()
    assert len(password) == 12
    page.click("text=退出登录")
    page.wait_for_url("**/login/")

    log_in(page, "alice", DEMO_PASSWORD)
    assert "用户名或密码不正确" in page.locator(".errors").inner_text()  # the old one is gone
    log_in(page, "alice", password)
    assert page.url.endswith("/password/")
    assert "一次性密码" in page.locator(".errors").inner_text()
    page.goto("/me/claims/new/")
    assert page.url.endswith("/password/")  # nowhere else first

    page.fill("#id_old_password", password)
    page.fill("#id_new_password1", NEW)
    page.fill("#id_new_password2", NEW)
    page.click("main button[type=submit]")
    page.wait_for_url("**/me/")
    assert "密码已修改" in page.locator(".messages").inner_text()
    assert page.locator("h1").get_attribute("data-home") == "professional"
    page.goto("/me/account/")
    assert page.url.endswith("/me/account/")
