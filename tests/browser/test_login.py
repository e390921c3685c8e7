import pytest

from tests.browser.conftest import log_in
from tests.factories import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLE_HOMES = [
    ("alice", "/me/", "professional", "我的继续教育"),
    ("ada", "/unit/", "unit_reviewer", "用人单位工作台"),
    ("hank", "/authority/", "authority_reviewer", "行业主管部门工作台"),
    ("xin", "/county/", "county_hr", "县（市、区）人社局工作台"),
    ("cheng", "/city/", "city_hr", "市人社局工作台"),
]


def test_the_login_page_is_in_chinese(page):
    page.goto("/")
    assert page.url.endswith("/login/?next=/")
    assert page.locator("h1").inner_text() == "登录"
    assert page.locator("html").get_attribute("lang") == "zh-CN"


@pytest.mark.parametrize("username, path, role, heading", ROLE_HOMES)
def test_each_role_lands_on_its_home_page(page, request, username, path, role, heading):
    request.getfixturevalue(username)
    missing = []
    page.on("response", lambda response: missing.append(response.url) if response.status == 404 else None)
    log_in(page, username, DEMO_PASSWORD)
    assert missing == []  # every stylesheet, script and the icon the pages ask for is there
    assert page.url.endswith(path)
    home = page.locator("h1")
    assert home.get_attribute("data-home") == role
    assert heading in home.inner_text()


def test_a_wrong_password_shows_a_chinese_error(page, alice):
    log_in(page, "alice", "not-the-password")
    assert page.url.endswith("/login/")
    assert "用户名或密码不正确" in page.locator(".errors").inner_text()


def test_logging_out_returns_to_the_login_page(page, alice):
    log_in(page, "alice", DEMO_PASSWORD)
    page.click("text=退出登录")
    page.wait_for_url("**/login/")
    page.goto("/me/")
    assert "/login/" in page.url
