"""Hours read one way on every page, export and certificate (26, 26.5: never 26.0), and a person's year
lists platform records and approved claims in one table by date (issue 14)."""
import datetime as dt
from decimal import Decimal as D

import pytest
import time_machine
from django.template import engines
from django.urls import reverse

from ce_portal.formatting import hours_text
from records.hours.models import PlatformRecord
from records.hours.services import add_to_year_totals
from tests.factories import SHANGHAI, ClaimFactory
from tests.platforms.helpers import make_platform

pytestmark = pytest.mark.django_db

FRIDAY = dt.datetime(2025, 9, 26, 10, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize("value, text", [(D("26.0"), "26"), (D("26.00"), "26"), (D("26.5"), "26.5"),
                                         (D("100.0"), "100"), (D("0.5"), "0.5"), ("8.0", "8")])
def test_the_filter_and_the_function_agree(value, text):
    assert engines["django"].from_string("{{ v|hours }}").render({"v": value}) == text
    assert engines["jinja2"].from_string("{{ v|hours }}").render({"v": value}) == text
    assert hours_text(D(str(value))) == text


def approved(professional, title: str, start: dt.date, hours: str):
    return ClaimFactory(professional=professional, title=title, start_date=start, end_date=start, year=start.year,
                        hours=D(hours), status="approved")


def test_the_professionals_page_writes_26_and_lists_every_credit_by_date(client, alice):
    public_platform = make_platform("public")
    approved(alice, "急诊急救研修班", dt.date(2025, 9, 10), "26.0")
    approved(alice, "医院管理讲座", dt.date(2025, 3, 2), "2.5")
    PlatformRecord.objects.create(platform=public_platform, external_id="r-1", professional=alice,
                                  course_title="专业技术人员诚信建设", category="public", hours=D("6.0"),
                                  completed_at=dt.datetime(2025, 6, 1, 20, 0, tzinfo=SHANGHAI), year=2025,
                                  content_hash="x" * 64)
    add_to_year_totals({(alice.pk, 2025): (D("6.0"), D("28.5"))})
    client.force_login(alice.user)
    with time_machine.travel(FRIDAY, tick=False):
        page = client.get(reverse("records:my_home")).content.decode()
    credited = page[page.index('id="credited"'):page.index("</section>", page.index('id="credited"'))]
    assert "26.0" not in page and "6.0" not in credited and ">26<" in credited and ">2.5<" in credited
    # One table, newest first, whichever way each credit came.
    order = [credited.index(title) for title in ("急诊急救研修班", "专业技术人员诚信建设", "医院管理讲座")]
    assert order == sorted(order)
    assert credited.count('data-credited="claim"') == 2 and credited.count('data-credited="platform"') == 1
    assert "2025-06-01" in credited and "面授申报" in credited and f"平台：{public_platform.name}" in credited


def test_the_review_page_and_the_claim_page_write_whole_hours_without_a_decimal(client, alice, ada):
    claim = ClaimFactory(professional=alice, hours=D("26.0"), status="submitted")
    client.force_login(alice.user)
    mine = client.get(reverse("records:claim_detail", args=[claim.pk])).content.decode()
    assert "<dd>26</dd>" in mine and "26.0" not in mine
    client.force_login(ada)
    with time_machine.travel(FRIDAY, tick=False):
        review = client.get(reverse("review:claim", args=[claim.pk])).content.decode()
    assert "<dd>26</dd>" in review and "26.0" not in review
