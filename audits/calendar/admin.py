"""city_hr keeps the calendar's overrides and official years in the admin; every edit is audited and re-dates
at once, in its own transaction, the open claims whose deadlines it moves (and says how many)."""
import datetime as dt

from django.contrib import admin, messages

from audits.calendar.models import OfficialCalendarYear, WorkingDayOverride
from audits.calendar.selectors import current_calendar
from audits.review.services import due_dates_recompute
from audits.trail.admin import AuditedReferenceAdmin
from ce_portal.clock import business_today
from ce_portal.http import client_ip


class CalendarAdmin(AuditedReferenceAdmin):
    def touched_dates(self, objs) -> tuple[dt.date, dt.date]:
        raise NotImplementedError

    def _redate(self, request, *objs) -> None:
        # current_calendar() reads this transaction's own edit (audits/calendar/selectors.py).
        moved = due_dates_recompute(calendar=current_calendar(), today=business_today(),
                                    touching=self.touched_dates(objs), actor=request.user, ip=client_ip(request))
        messages.info(request, f"已按新的工作日历重新计算审核期限：{moved} 条待审核申报的审核期限有变化。"
                      if moved else "工作日历已更新，没有待审核申报的审核期限因此改变。")

    def save_model(self, request, obj, form, change):
        before = type(obj).objects.get(pk=obj.pk) if change else None
        super().save_model(request, obj, form, change)
        self._redate(request, *(o for o in (before, obj) if o is not None))

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._redate(request, obj)

    def delete_queryset(self, request, queryset):
        objs = list(queryset)
        super().delete_queryset(request, queryset)
        if objs:
            self._redate(request, *objs)


@admin.register(WorkingDayOverride)
class WorkingDayOverrideAdmin(CalendarAdmin):
    list_display = ["date", "is_working", "note", "source", "updated_at"]
    list_filter = ["is_working"]
    date_hierarchy = "date"
    audit_action = "calendar.override"

    def touched_dates(self, objs):
        return min(o.date for o in objs), max(o.date for o in objs)


@admin.register(OfficialCalendarYear)
class OfficialCalendarYearAdmin(CalendarAdmin):
    list_display = ["year", "source", "marked_by", "marked_at"]
    readonly_fields = ["marked_by", "marked_at"]
    audit_action = "calendar.official_year"

    def touched_dates(self, objs):
        return dt.date(min(o.year for o in objs), 1, 1), dt.date(max(o.year for o in objs), 12, 31)

    def save_model(self, request, obj, form, change):
        obj.marked_by = request.user
        super().save_model(request, obj, form, change)
