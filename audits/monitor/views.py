"""Monitor pages: county / authority / city tables of overdue reviews, drill-down to a unit's overdue claims,
chart, exports. Access is checked first (role, then the object's scope → 404).
"""
import hashlib

from django.core.cache import caches
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse

from audits.monitor import selectors as monitor
from audits.review.rules import waiting_level
from ce_portal.clock import business_clock
from ce_portal.exports import FORMATS, table_response
from ce_portal.replica import reads_from_replica
from records.people.access import role_required
from records.people.models import Role

MONITOR_ROLES = (Role.CITY_HR, Role.COUNTY_HR, Role.AUTHORITY_REVIEWER)


TABLE_PAGE_SIZE = 50


CLAIM_PAGE_SIZE = 50


UNIT_HEADER = ["单位名称", "行业主管部门", "待审核", "逾期未审核", "最早逾期的审核期限", "最长逾期（工作日）",
               "本年已审核", "本年按期审核", "本年按期审核率（%）", "待市人社局处理筛查标记"]


REGION_HEADER = ["区域", "待审核", "逾期未审核", "最早逾期的审核期限", "最长逾期（工作日）",
                 "本年已审核", "本年按期审核", "本年按期审核率（%）", "待市人社局处理筛查标记"]


CLAIM_HEADER = ["申报编号", "姓名", "活动名称", "学时", "审核环节", "申报日期", "审核期限", "逾期（工作日）", "标记逾期时间"]


def _days(request) -> int:
    try:
        days = int(request.GET.get("days", monitor.CHART_DAYS[0]))
    except ValueError:
        days = 0
    return days if days in monitor.CHART_DAYS else monitor.CHART_DAYS[0]


def _user_label(user) -> str:
    return user.get_full_name() or user.get_username()


def _fmt(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Http404("未找到。")
    return fmt


@role_required(*MONITOR_ROLES)
def monitor_home(request):
    scope = request.scope
    if scope.is_city:
        return redirect("monitor:city")
    if scope.region_ids:
        return redirect("monitor:region", min(scope.region_ids))
    return redirect("monitor:authority", min(scope.authority_ids))


# Rendered monitor bodies live in Django's cache ("pages": each process's memory, settings.CACHES): the
# figures change only when the refresh runs (every 15 minutes), and rendering hundreds of cells is most of a
# page's cost. A refresh is a new figures version, so a new key; a body outlives its version by this much at
# most.
BODY_TIMEOUT = 15 * 60


def _body_key(request, version, today) -> str:
    """Everything a body is made of: the page and its query (chart days, page number), the figures version,
    the day, and the scope of the user it is rendered for (the user has already been let in)."""
    scope = request.scope
    parts = (request.path, request.GET.urlencode(), version, today,
             *(sorted(ids) for ids in (scope.roles, scope.unit_ids, scope.authority_ids, scope.region_ids,
                                       scope.city_region_ids)))
    return "monitor-body:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def _body(request, version, today, build) -> str:
    """The page's body (figures, chart, table): from the cache while the figures are unchanged. Before the
    first refresh (no version) there is nothing worth keeping."""
    key = _body_key(request, version, today) if version else None
    html = caches["pages"].get(key) if key else None
    if html is None:
        html = render_to_string("audits/monitor/partials/body.html", build(), request=request)
        if key:
            caches["pages"].set(key, html, BODY_TIMEOUT)
    return html


def _table_page(request, *, title: str, level: str, today, version, table, chart, export: str, export_args=(),
                parents=()):
    """`table` and `chart` are functions: they run only when the body is not cached."""

    def build():
        rows = table()
        return {
            "table": rows, "page": Paginator(rows.rows, TABLE_PAGE_SIZE).get_page(request.GET.get("page")),
            "chart": chart(), "chart_days": monitor.CHART_DAYS, "level": level,
            "exports": [(fmt.upper(), reverse(export, args=[*export_args, fmt])) for fmt in FORMATS],
        }

    at_risk = monitor.year_end_at_risk(request.scope, today=today)
    return render(request, "audits/monitor/table.html", {
        "title": title, "level": level, "parents": parents, "body": _body(request, version, today, build),
        "year_end_at_risk": None if at_risk is None else at_risk.count(),
    })


@role_required(Role.CITY_HR)
@reads_from_replica
def city(request):
    today = business_clock()[0]
    days = _days(request)
    return _table_page(
        request, title="全市逾期审核监控", level="city", today=today,
        version=monitor.figures_version(today=today),
        table=lambda: monitor.city_table(today=today),
        chart=lambda: monitor.line_chart(monitor.overdue_history(today=today, days=days), today=today, days=days),
        export="monitor:city_export",
    )


@role_required(Role.CITY_HR, Role.COUNTY_HR)
@reads_from_replica
def region(request, pk: int):
    region = monitor.region_get(request.scope, pk)
    today = business_clock()[0]
    days = _days(request)
    return _table_page(
        request, title=f"{region.name}逾期审核监控", level="units", today=today,
        version=monitor.figures_version(today=today, region=region),
        table=lambda: monitor.region_table(region, today=today),
        chart=lambda: monitor.line_chart(
            monitor.overdue_history(today=today, days=days, region=region), today=today, days=days),
        export="monitor:region_export", export_args=[region.pk],
        parents=[("全市", reverse("monitor:city"))] if request.scope.is_city else [],
    )


@role_required(*MONITOR_ROLES)
@reads_from_replica
def authority(request, pk: int):
    authority = monitor.authority_get(request.scope, pk)
    today = business_clock()[0]
    days = _days(request)
    return _table_page(
        request, title=f"{authority.name}逾期审核监控", level="units", today=today,
        version=monitor.figures_version(today=today, authority=authority),
        table=lambda: monitor.authority_table(authority, today=today),
        chart=lambda: monitor.line_chart(
            monitor.overdue_history(today=today, days=days, authority=authority), today=today, days=days),
        export="monitor:authority_export", export_args=[authority.pk],
    )


def _table_rows(table, *, with_authority: bool):
    for r in table.rows:
        cells = [r.name, r.authority_name] if with_authority else [r.name]
        yield [*cells, r.pending, r.overdue, r.oldest_overdue_due_on, r.oldest_overdue_days, r.decided,
               r.decided_on_time, r.on_time_rate, r.flagged]


def _export(request, fmt: str, *, table, title: str, filename: str, with_authority: bool = True):
    today, now = business_clock()
    return table_response(
        _fmt(fmt), filename=f"{filename}_{today:%Y%m%d}", title=title, generated_by=_user_label(request.user),
        generated_at=now, header=UNIT_HEADER if with_authority else REGION_HEADER,
        rows=_table_rows(table, with_authority=with_authority),
    )


@role_required(Role.CITY_HR)
@reads_from_replica
def city_export(request, fmt: str):
    return _export(request, fmt, table=monitor.city_table(today=business_clock()[0]), title="全市逾期审核监控",
                   filename="全市逾期审核监控", with_authority=False)


@role_required(Role.CITY_HR, Role.COUNTY_HR)
@reads_from_replica
def region_export(request, pk: int, fmt: str):
    region = monitor.region_get(request.scope, pk)
    return _export(request, fmt, table=monitor.region_table(region, today=business_clock()[0]),
                   title=f"{region.name}逾期审核监控", filename=f"{region.name}逾期审核监控")


@role_required(*MONITOR_ROLES)
@reads_from_replica
def authority_export(request, pk: int, fmt: str):
    authority = monitor.authority_get(request.scope, pk)
    return _export(request, fmt, table=monitor.authority_table(authority, today=business_clock()[0]),
                   title=f"{authority.name}逾期审核监控", filename=f"{authority.name}逾期审核监控")


def _claim_rows(claims, today):
    """(claim, working days late, the level it waits on) for each overdue claim."""
    late = monitor.working_days_late((c.due_on for c in claims), today)
    for c in claims:
        yield c, late[c.due_on], waiting_level(c.status)


@role_required(*MONITOR_ROLES)
@reads_from_replica
def unit_overdue(request, pk: int):
    unit = monitor.unit_get(request.scope, pk)
    today, now = business_clock()
    page = Paginator(monitor.overdue_claims(unit, today=today), CLAIM_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "audits/monitor/unit_overdue.html", {
        "unit": unit, "page": page, "rows": list(_claim_rows(page.object_list, today)), "today": today,
    })


@role_required(*MONITOR_ROLES)
@reads_from_replica
def unit_overdue_export(request, pk: int, fmt: str):
    unit = monitor.unit_get(request.scope, pk)
    today, now = business_clock()
    claims = list(monitor.overdue_claims(unit, today=today))
    rows = (
        [c.pk, c.professional.name, c.title, c.hours, level.label,
         c.filed_on, c.due_on, days, c.overdue_since and f"{c.overdue_since.astimezone(now.tzinfo):%Y-%m-%d %H:%M}"]
        for c, days, level in _claim_rows(claims, today)
    )
    return table_response(
        _fmt(fmt), filename=f"{unit.name}逾期申报_{today:%Y%m%d}", title=f"{unit.name}逾期未审核学时申报",
        generated_by=_user_label(request.user), generated_at=now, header=CLAIM_HEADER, rows=rows,
    )


@role_required(*MONITOR_ROLES)
def year_end(request):
    """The claims in the user's watch that will miss the year's review close if nobody acts."""
    today = business_clock()[0]
    claims = monitor.year_end_at_risk(request.scope, today=today)
    page = Paginator(claims if claims is not None else [], CLAIM_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "audits/monitor/year_end.html", {
        "shown": claims is not None, "page": page, "today": today,
        "rows": [(c, waiting_level(c.status)) for c in page.object_list],
    })
