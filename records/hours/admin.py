"""city_hr keeps the yearly requirement policy and grants make-up exemptions in the admin."""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils import timezone

from audits.calendar.selectors import current_calendar
from audits.review.services import due_dates_recompute, exemption_revoked_notify
from audits.trail.admin import AuditedReferenceAdmin
from ce_portal.clock import SHANGHAI, business_today
from ce_portal.errors import DomainError
from ce_portal.http import client_ip
from records.hours.models import MakeUpExemption, RequirementPolicy
from records.hours.services import makeup_exemption_grant, makeup_exemption_grant_check, makeup_exemption_revoke
from records.people.access import scope_for
from records.people.models import Role


@admin.register(RequirementPolicy)
class RequirementPolicyAdmin(AuditedReferenceAdmin):
    """A year's numbers, closes and reading of the review clock; every edit is audited, and one that moves
    the review close or the reading re-dates the year's claims waiting on a reviewer in the same transaction."""

    list_display = ["year", "total_hours", "public_hours", "professional_hours", "filing_closes_at",
                    "review_closes_on", "review_clock_reading"]
    audit_action = "policy"
    readonly_fields = ["closes_in_force"]

    @admin.display(description="生效的截止时间")
    def closes_in_force(self, obj) -> str:
        """What the year's closes are, the defaults included (a field left empty shows nothing of them)."""
        if obj is None or obj.pk is None:
            return "保存后显示。"
        closes = obj.closes()
        review = f"{closes.review:%Y年%m月%d日}" if closes.review else "无（2026 年以前的年度）"
        return f"申报截止：{closes.filing.astimezone(SHANGHAI):%Y年%m月%d日 %H:%M:%S}；审核截止：{review}"

    def save_model(self, request, obj, form, change):
        before = RequirementPolicy.objects.get(pk=obj.pk).closes() if change else None
        super().save_model(request, obj, form, change)
        # What a waiting claim's deadline is computed from (audits.review.rules.level_due); a review close
        # left empty follows the calendar, hence the closes compared, not the fields.
        if before is None or (before.review, before.reading) == (obj.closes().review, obj.review_clock_reading):
            return
        moved = due_dates_recompute(calendar=current_calendar(), today=business_today(), year=obj.year,
                                    actor=request.user, ip=client_ip(request))
        messages.info(request, f"已按新的审核截止日期和审核时限计算方式重新计算：{obj.year} 年度 {moved} 条待审核申报的审核期限有变化。"
                      if moved else f"{obj.year} 年度没有待审核申报的审核期限因此改变。")


class MakeUpExemptionGrantForm(forms.ModelForm):
    """Granting runs the service's own checks, so a refusal shows on its field and nothing is saved."""

    actor = None  # set per request by MakeUpExemptionAdmin.get_form
    now = None

    class Meta:
        model = MakeUpExemption
        fields = ["professional", "year", "reason", "expires_at"]

    def clean(self):
        data = super().clean()
        if not self.errors:
            try:
                makeup_exemption_grant_check(granted_by=self.actor, now=self.now, **data)
            except DomainError as error:
                raise ValidationError({error.field: error.message} if error.field else error.message) from error
        return data


class MakeUpExemptionRevokeForm(forms.ModelForm):
    revoke_reason = forms.CharField(label="撤销理由", widget=forms.Textarea(attrs={"rows": 3}))

    class Meta:
        model = MakeUpExemption
        fields = []


@admin.register(MakeUpExemption)
class MakeUpExemptionAdmin(admin.ModelAdmin):
    """补学豁免: only city_hr grants or revokes, always through the audited services."""

    list_display = ["professional", "year", "granted_by", "granted_at", "expires_at", "revoked_at"]
    list_filter = ["year"]
    raw_id_fields = ["professional"]
    search_fields = ["professional__name"]  # not by ID number: see ProfessionalAdmin

    def _is_city_hr(self, request) -> bool:
        return scope_for(request.user).has(Role.CITY_HR)

    def has_module_permission(self, request):
        return self._is_city_hr(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._is_city_hr(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return self._is_city_hr(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        # The only change is a revocation, and a revoked grant stays as it is.
        revoked = obj is not None and obj.revoked_at is not None
        return self._is_city_hr(request) and not revoked and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # a grant is history: revoke it instead

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["professional", "year", "reason", "granted_by", "granted_at", "expires_at", "revoked_at"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            kwargs["form"] = MakeUpExemptionRevokeForm
            return super().get_form(request, obj, change=change, **kwargs)
        form = super().get_form(request, obj, change=change, form=MakeUpExemptionGrantForm, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user, "now": timezone.now()})

    def save_model(self, request, obj, form, change):
        ip = client_ip(request)
        if change:
            now = timezone.now()
            makeup_exemption_revoke(exemption=obj, reason=form.cleaned_data["revoke_reason"], revoked_by=request.user,
                                    now=now, ip=ip)
            obj.refresh_from_db()
            waiting = exemption_revoked_notify(exemption=obj, now=now)
            if waiting:
                self.message_user(request, f"依据该豁免提交的 {waiting} 条申报仍在审核中：审核人员将看到撤销情况，"
                                  "本人已收到通知。")
            return
        granted = makeup_exemption_grant(
            professional=obj.professional, year=obj.year, reason=obj.reason, expires_at=obj.expires_at,
            granted_by=request.user, now=form.now, ip=ip,
        )
        obj.pk, obj.granted_by, obj.granted_at = granted.pk, granted.granted_by, granted.granted_at
        obj._state.adding = False
