"""The public page of approved platforms and CE bases (issue 14, "what the public sees"): the notice asks
that the platforms — and with them the free public courses — be published."""
import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from ce_portal.clock import SHANGHAI
from platforms.registry.models import LearningPlatform
from tests.platforms.helpers import make_platform


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2025, 6, 15, 10, tzinfo=SHANGHAI), tick=False):
        yield


@pytest.mark.django_db
def test_anyone_sees_the_years_platforms_by_category_with_links_and_phones(client):
    LearningPlatform.objects.all().delete()
    make_platform("public", name="河南省专业技术人员公共服务平台", url="https://www.hnzjgl.gov.cn/", phone="0371-12345678",
                  years_approved=[2024, 2025])
    make_platform("professional", name="平顶山医学继续教育平台", level="city", years_approved=[2025])
    make_platform("professional", name="已停用的平台", years_approved=[2025], active=False)
    make_platform("professional", name="往年平台", years_approved=[2023])
    page = client.get(reverse("platforms:providers")).content.decode()
    assert "2025 年度认定的学习平台和继续教育基地" in page
    assert 'href="https://www.hnzjgl.gov.cn/"' in page and "0371-12345678" in page
    assert "平顶山医学继续教育平台" in page
    assert "已停用的平台" not in page and "往年平台" not in page
    old = client.get(reverse("platforms:providers"), {"year": "2023"}).content.decode()
    assert "往年平台" in old and "平顶山医学继续教育平台" not in old


@pytest.mark.django_db
def test_an_address_the_annex_prints_without_a_scheme_links_to_the_site_not_to_a_portal_path(client):
    LearningPlatform.objects.all().delete()
    make_platform("public", name="河南专技在线", url="hnzj.ghlearning.com", years_approved=[2025])
    page = client.get(reverse("platforms:providers")).content.decode()
    assert 'href="https://hnzj.ghlearning.com"' in page and ">hnzj.ghlearning.com</a>" in page


@pytest.mark.django_db
def test_a_year_without_platforms_says_so_and_shows_the_latest(client):
    LearningPlatform.objects.all().delete()
    make_platform("public", years_approved=[2025])
    page = client.get(reverse("platforms:providers"), {"year": "1999"}).content.decode()
    assert "“1999”不是有认定平台的年度，已显示 2025 年。" in page


@pytest.mark.django_db
def test_the_login_page_links_to_it(client):
    assert reverse("platforms:providers") in client.get(reverse("login")).content.decode()
