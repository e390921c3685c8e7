"""County, authority and city monitors: figures, scope (404), chart, drill-down, CSV/XLSX exports."""
import csv
import datetime as dt
import io

import openpyxl
import pytest
import time_machine
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audits.monitor.models import OverdueSnapshot
from audits.monitor.selectors import line_chart, working_days_late
from audits.monitor.services import snapshot_refresh
from audits.review.models import ReviewDecision
from ce_portal.clock import SHANGHAI
from tests.factories import ClaimFactory

TODAY = dt.date(2025, 10, 15)
NOW = dt.datetime(2025, 10, 15, 10, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def backlog(alice, bob, carol, ada):
    """新华区: unit_a has 2 overdue (one since 9 Oct) and 1 on time; unit_b 1 overdue at level 2. 叶县: 1 pending."""
    late = ClaimFactory(professional=alice, title="急救技能培训", due_on=dt.date(2025, 10, 9))
    ClaimFactory(professional=alice, due_on=dt.date(2025, 10, 14))
    ClaimFactory(professional=alice, due_on=dt.date(2025, 10, 20))
    ClaimFactory(professional=bob, status="unit_approved", due_on=dt.date(2025, 10, 13))
    ClaimFactory(professional=carol, due_on=dt.date(2025, 10, 20))
    decided = ClaimFactory(professional=alice, status="approved")
    for on_time in (True, True, True, False):
        ReviewDecision.objects.create(claim=decided, level=1, action="approve", reviewer=ada,
                                      at=dt.datetime(2025, 3, 3, tzinfo=SHANGHAI), on_time=on_time)
    # Last year's decision does not count towards this year's rate.
    ReviewDecision.objects.create(claim=decided, level=1, action="approve", reviewer=ada,
                                  at=dt.datetime(2024, 12, 31, 23, tzinfo=SHANGHAI), on_time=False)
    snapshot_refresh(today=TODAY, now=NOW)
    return late


@pytest.mark.django_db  # the calendar reads the admin's working-day overrides
def test_working_days_late_counts_working_days_after_the_due_date():
    # Due Tue 30 Sep; 1–8 Oct off, 11 Oct (Sat) worked: 9, 10, 11, 13, 14, 15 Oct.
    assert working_days_late([dt.date(2025, 9, 30), dt.date(2025, 10, 14), TODAY], TODAY) == {
        dt.date(2025, 9, 30): 6, dt.date(2025, 10, 14): 1, TODAY: 0,
    }


@pytest.mark.django_db
def test_the_snapshot_holds_each_units_backlog_and_the_totals(backlog, unit_a, unit_b, xinhua, health_bureau):
    rows = {(s.unit_id, s.authority_id): s for s in OverdueSnapshot.objects.filter(date=TODAY, region=xinhua)}
    a = rows[unit_a.pk, health_bureau.pk]
    assert (a.pending, a.overdue, a.oldest_overdue_due_on, a.decided, a.decided_on_time) == (
        3, 2, dt.date(2025, 10, 9), 4, 3)
    total = rows[None, None]
    assert (total.pending, total.overdue, total.oldest_overdue_due_on) == (4, 3, dt.date(2025, 10, 9))
    assert rows[None, health_bureau.pk].overdue == 2
    assert rows[unit_b.pk, None].overdue == 1


@pytest.mark.django_db
def test_a_second_refresh_overwrites_and_drops_a_cleared_unit(backlog, bob, unit_b):
    bob_claims = unit_b.claims.all()
    bob_claims.update(status="approved")
    snapshot_refresh(today=TODAY, now=NOW + dt.timedelta(minutes=15))
    assert not OverdueSnapshot.objects.filter(date=TODAY, unit=unit_b).exists()
    assert OverdueSnapshot.objects.filter(date=TODAY).count() == OverdueSnapshot.objects.filter(
        date=TODAY).values("region", "unit", "authority").distinct().count()


@pytest.mark.django_db
def test_county_hr_sees_every_unit_of_the_county(client, backlog, xin, unit_a, unit_b):
    client.force_login(xin)
    response = client.get(reverse("monitor:home"), follow=True)
    assert response.status_code == 200
    table = response.context["table"]
    assert [(r.name, r.pending, r.overdue, r.oldest_overdue_days) for r in table.rows] == [
        (unit_a.name, 3, 2, 5), (unit_b.name, 1, 1, 2),  # 10, 11 (a worked Saturday), 13, 14, 15 Oct
    ]
    assert table.rows[0].on_time_rate == 75
    html = response.content.decode()
    assert reverse("monitor:unit_overdue", args=[unit_a.pk]) in html
    assert "叶县第一高级中学" not in html


@pytest.mark.django_db
def test_a_county_bureau_cannot_see_another_county(client, backlog, ye, xinhua, unit_a):
    client.force_login(ye)
    assert client.get(reverse("monitor:region", args=[xinhua.pk])).status_code == 404
    assert client.get(reverse("monitor:region_export", args=[xinhua.pk, "csv"])).status_code == 404
    assert client.get(reverse("monitor:unit_overdue", args=[unit_a.pk])).status_code == 404
    assert client.get(reverse("monitor:city")).status_code == 404


@pytest.mark.django_db
def test_people_without_an_oversight_role_get_404(client, backlog, alice, ada, xinhua):
    for user in (alice.user, ada):
        client.force_login(user)
        assert client.get(reverse("monitor:home")).status_code == 404
        assert client.get(reverse("monitor:region", args=[xinhua.pk])).status_code == 404


@pytest.mark.django_db
def test_an_authority_sees_its_own_units_only(client, backlog, hank, health_bureau, unit_a, unit_b, xinhua):
    client.force_login(hank)
    response = client.get(reverse("monitor:home"), follow=True)
    assert [r.name for r in response.context["table"].rows] == [unit_a.name]
    assert client.get(reverse("monitor:unit_overdue", args=[unit_a.pk])).status_code == 200
    assert client.get(reverse("monitor:unit_overdue", args=[unit_b.pk])).status_code == 404
    assert client.get(reverse("monitor:region", args=[xinhua.pk])).status_code == 404


@pytest.mark.django_db
def test_city_hr_sees_every_county_and_drills_into_each(client, backlog, cheng, xinhua, yexian):
    client.force_login(cheng)
    response = client.get(reverse("monitor:home"), follow=True)
    rows = {r.name: r for r in response.context["table"].rows}
    assert (rows["新华区"].pending, rows["新华区"].overdue) == (4, 3)
    assert (rows["叶县"].pending, rows["叶县"].overdue) == (1, 0)
    assert rows["石龙区"].pending == 0  # a quiet county is listed too
    assert reverse("monitor:region", args=[yexian.pk]) in response.content.decode()
    assert client.get(reverse("monitor:region", args=[yexian.pk])).status_code == 200


@pytest.mark.django_db
def test_the_drill_down_lists_the_overdue_claims_longest_waiting_first(client, backlog, xin, unit_a):
    client.force_login(xin)
    response = client.get(reverse("monitor:unit_overdue", args=[unit_a.pk]))
    rows = response.context["rows"]
    assert [(c.due_on, days) for c, days, _ in rows] == [(dt.date(2025, 10, 9), 5), (dt.date(2025, 10, 14), 1)]
    assert "急救技能培训" in response.content.decode()


@pytest.mark.django_db
def test_the_csv_export_names_who_made_it_and_when(client, backlog, xin, xinhua, unit_a):
    client.force_login(xin)
    response = client.get(reverse("monitor:region_export", args=[xinhua.pk, "csv"]))
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == ["新华区逾期审核监控"]
    assert lines[1] == ["生成人：新华区人社局", "生成时间：2025-10-15 10:00:00（北京时间）"]
    assert lines[3][:4] == ["单位名称", "行业主管部门", "待审核", "逾期未审核"]
    assert lines[4][:6] == [unit_a.name, "新华区卫生健康委员会", "3", "2", "2025-10-09", "5"]


@pytest.mark.django_db
def test_the_xlsx_exports_open_with_openpyxl(client, backlog, xin, xinhua, unit_a):
    client.force_login(xin)
    response = client.get(reverse("monitor:region_export", args=[xinhua.pk, "xlsx"]))
    assert "attachment" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "生成人：新华区人社局"
    assert rows[4][:4] == (unit_a.name, "新华区卫生健康委员会", 3, 2)

    response = client.get(reverse("monitor:unit_overdue_export", args=[unit_a.pk, "xlsx"]))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    claims = list(sheet.iter_rows(values_only=True))[4:]
    assert [(r[2], r[7]) for r in claims] == [("急救技能培训", 5), (claims[1][2], 1)]


@pytest.mark.django_db
def test_an_unknown_export_format_is_404(client, backlog, xin, xinhua):
    client.force_login(xin)
    assert client.get(reverse("monitor:region_export", args=[xinhua.pk, "pdf"])).status_code == 404


@pytest.mark.django_db
def test_the_chart_draws_the_days_that_have_figures(client, backlog, xin, xinhua):
    OverdueSnapshot.objects.create(date=TODAY - dt.timedelta(days=3), region=xinhua, pending=9, overdue=7,
                                   computed_at=NOW - dt.timedelta(days=3))
    client.force_login(xin)
    html = client.get(reverse("monitor:region", args=[xinhua.pk]) + "?days=90").content.decode()
    assert 'data-day="2025-10-12" data-overdue="7"' in html
    assert 'data-day="2025-10-15" data-overdue="3"' in html
    assert "近 90 天逾期未审核数量" in html


def test_the_chart_scales_to_a_round_top():
    chart = line_chart([(TODAY - dt.timedelta(days=29), 0), (TODAY, 13)], today=TODAY, days=30)
    assert [v for _, v in chart.y_ticks] == [0, 5, 10, 15, 20]
    (x0, y0, _, _), (x1, y1, _, _) = chart.dots
    assert (x0, x1) == (chart.plot_left, chart.plot_right)
    assert y0 == chart.plot_bottom and y1 < y0


@pytest.mark.django_db
def test_notifications_are_listed_and_marked_read_only_for_their_owner(client, ada, hank):
    from audits.review.models import Notification

    mine = Notification.objects.create(user=ada, kind="review_reminder", text="明天到期", dedupe_key="k1",
                                       created_at=NOW)
    theirs = Notification.objects.create(user=hank, kind="review_reminder", text="别人的", dedupe_key="k2",
                                         created_at=NOW)
    client.force_login(ada)
    html = client.get(reverse("review:notifications")).content.decode()
    assert "明天到期" in html and "别人的" not in html
    client.post(reverse("review:notifications_read"), {"id": theirs.pk})
    theirs.refresh_from_db()
    assert theirs.read_at is None
    client.post(reverse("review:notifications_read"), {"id": mine.pk})
    mine.refresh_from_db()
    assert mine.read_at == NOW


@pytest.mark.django_db
def test_a_refresh_shows_new_figures_though_the_page_is_cached(client, backlog, xin, xinhua, bob):
    client.force_login(xin)
    url = reverse("monitor:region", args=[xinhua.pk])
    assert 'data-total="overdue"><strong class="badge warn">3 条' in client.get(url).content.decode()
    bob.claims.update(status="approved")
    # Until the next refresh the monitor keeps showing the figures it was computed from.
    assert 'data-total="overdue"><strong class="badge warn">3 条' in client.get(url).content.decode()
    snapshot_refresh(today=TODAY, now=NOW + dt.timedelta(minutes=15))
    assert 'data-total="overdue"><strong class="badge warn">2 条' in client.get(url).content.decode()


@pytest.mark.django_db
def test_the_body_comes_from_djangos_cache_until_a_refresh_makes_new_figures(client, backlog, xin, xinhua, bob):
    client.force_login(xin)
    url = reverse("monitor:region", args=[xinhua.pk])
    with CaptureQueriesContext(connection) as first:
        assert 'data-total="overdue"><strong class="badge warn">3 条' in client.get(url).content.decode()
    # The figures' rows changed behind the monitor's back, their version (latest row, its time) unchanged:
    OverdueSnapshot.objects.filter(date=TODAY, region=xinhua).update(overdue=0)
    with CaptureQueriesContext(connection) as second:
        assert 'data-total="overdue"><strong class="badge warn">3 条' in client.get(url).content.decode()
    assert len(second) < len(first)  # neither the table nor the chart was read again
    # It is Django's cache (the "pages" cache), not a store of the view's own.
    caches["pages"].clear()
    assert 'data-total="overdue">0 条' in client.get(url).content.decode()

    bob.claims.update(status="approved")
    snapshot_refresh(today=TODAY, now=NOW + dt.timedelta(minutes=15))
    assert 'data-total="overdue"><strong class="badge warn">2 条' in client.get(url).content.decode()


@pytest.mark.django_db
def test_the_history_counts_a_claim_overdue_from_the_day_after_its_due_date_whenever_it_was_flagged(alice, unit_a):
    def overdue_on(day, at):
        snapshot_refresh(today=day, now=at)
        return OverdueSnapshot.objects.get(date=day, unit=unit_a).overdue

    # Due Friday 10 Oct; the timer was down all weekend and flagged it only on Monday afternoon.
    claim = ClaimFactory(professional=alice, due_on=dt.date(2025, 10, 10))
    assert overdue_on(dt.date(2025, 10, 10), dt.datetime(2025, 10, 10, 23, 55, tzinfo=SHANGHAI)) == 0
    assert overdue_on(dt.date(2025, 10, 11), dt.datetime(2025, 10, 11, 0, 1, tzinfo=SHANGHAI)) == 1
    claim.overdue_since = dt.datetime(2025, 10, 13, 15, tzinfo=SHANGHAI)
    claim.save(update_fields=["overdue_since"])
    assert overdue_on(dt.date(2025, 10, 12), dt.datetime(2025, 10, 12, 23, 55, tzinfo=SHANGHAI)) == 1
    # A flag set too early (a clock ahead) makes it overdue no sooner.
    ClaimFactory(professional=alice, due_on=dt.date(2025, 10, 16), overdue_since=dt.datetime(2025, 10, 16, 9, tzinfo=SHANGHAI))
    assert overdue_on(dt.date(2025, 10, 16), dt.datetime(2025, 10, 16, 23, 55, tzinfo=SHANGHAI)) == 1  # the 10 Oct one
    assert overdue_on(dt.date(2025, 10, 17), dt.datetime(2025, 10, 17, 0, 1, tzinfo=SHANGHAI)) == 2


def flag(claim, status="open"):
    from audits.screening.models import ScreeningFlag

    return ScreeningFlag.objects.create(rule="same_evidence", claim=claim, professional=claim.professional,
                                        evidence={}, status=status, dedupe_key=f"test:{claim.pk}", created_at=NOW)


@pytest.mark.django_db
def test_a_claim_held_by_a_screening_flag_waits_on_the_city_not_on_its_unit(
        client, backlog, xin, unit_a, xinhua, health_bureau):
    """issue 14: the unit cannot approve it until city_hr decides the flag, so it is not the unit's overdue."""
    flag(backlog)  # due 9 Oct, overdue
    snapshot_refresh(today=TODAY, now=NOW)
    rows = {(s.unit_id, s.authority_id): s for s in OverdueSnapshot.objects.filter(date=TODAY, region=xinhua)}
    a = rows[unit_a.pk, health_bureau.pk]
    assert (a.pending, a.overdue, a.oldest_overdue_due_on, a.flagged) == (2, 1, dt.date(2025, 10, 14), 1)
    assert (rows[None, None].overdue, rows[None, None].flagged) == (2, 1)

    client.force_login(xin)
    page = client.get(reverse("monitor:region", args=[xinhua.pk])).content.decode()
    assert "待市人社局处理筛查标记" in page and '<dd data-total="flagged">1 条</dd>' in page
    # The drill-down into the unit's overdue claims leaves it out too.
    assert "急救技能培训" not in client.get(reverse("monitor:unit_overdue", args=[unit_a.pk])).content.decode()


@pytest.mark.django_db
def test_the_live_backlog_counts_a_held_claim_apart_too(client, backlog, xin, unit_a, xinhua):
    flag(backlog)
    OverdueSnapshot.objects.filter(date=TODAY).delete()  # before today's first refresh: read from the claims
    client.force_login(xin)
    page = client.get(reverse("monitor:region", args=[xinhua.pk])).content.decode()
    row = page[page.index(f'data-row="{unit_a.pk}"'):]
    assert 'data-overdue="1"' in row[:row.index("</tr>")] and 'data-flagged="1"' in row[:row.index("</tr>")]


@pytest.mark.django_db
def test_a_confirmed_flag_leaves_the_claim_to_its_reviewer(backlog, unit_a, health_bureau, xinhua):
    flag(backlog, status="confirmed")  # the unit must now refuse it: still the unit's to clear
    snapshot_refresh(today=TODAY, now=NOW)
    a = OverdueSnapshot.objects.get(date=TODAY, unit=unit_a)
    assert (a.overdue, a.flagged) == (2, 0)
