"""city_hr issues and revokes platform API tokens in the admin (a token is shown once)."""
from django import forms
from django.contrib import admin, messages
from django.template.loader import render_to_string

from ce_portal.clock import business_now
from ce_portal.http import client_ip
from platforms.ingest.models import PlatformToken
from platforms.ingest.services import platform_token_issue, platform_token_revoke
from platforms.registry.admin import _is_city_hr


class PlatformTokenIssueForm(forms.ModelForm):
    class Meta:
        model = PlatformToken
        fields = ["platform", "label"]


@admin.register(PlatformToken)
class PlatformTokenAdmin(admin.ModelAdmin):
    """city_hr issues and revokes platform API tokens. A token is never edited or deleted: a leaked or
    unneeded one is revoked, and the row stays as the record of who could push hours when."""

    list_display = ["platform", "label", "prefix", "created_at", "last_used_at", "valid"]
    list_filter = ["platform", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "label", "platform__name"]
    readonly_fields = ["platform", "label", "prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    @admin.display(description="有效", boolean=True)
    def valid(self, obj):
        return obj.revoked_at is None

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = PlatformTokenIssueForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ["platform", "label"]

    def save_model(self, request, obj, form, change):
        issued, token = platform_token_issue(
            platform=obj.platform, label=obj.label, actor=request.user, ip=client_ip(request)
        )
        # The admin's change log and redirect refer to `obj`: point it at the row the service created.
        obj.pk, obj.prefix, obj.token_hash = issued.pk, issued.prefix, issued.token_hash
        obj.created_at = issued.created_at
        # The one time the token is shown, in a <code> that is easy to select and copy.
        messages.warning(request, render_to_string("admin/platforms/token_issued.html", {
            "platform": obj.platform.name, "token": token,
        }))

    @admin.action(description="吊销所选令牌", permissions=["revoke"])
    def revoke(self, request, queryset):
        now = business_now()
        ip = client_ip(request)
        revoked = sum(platform_token_revoke(token=token, actor=request.user, ip=ip, now=now) for token in queryset)
        self.message_user(request, f"已吊销 {revoked} 个令牌，使用这些令牌的请求将被拒绝。", messages.SUCCESS)

    def has_revoke_permission(self, request):
        return _is_city_hr(request)

    def has_module_permission(self, request):
        return _is_city_hr(request)

    def has_view_permission(self, request, obj=None):
        return _is_city_hr(request)

    def has_add_permission(self, request):
        return _is_city_hr(request)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
