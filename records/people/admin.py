from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from records.people.models import Employment, IndustryAuthority, Professional, Region, RoleMembership, Unit
from records.people.rules import EmploymentPeriod, employment_overlap


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]


@admin.register(IndustryAuthority)
class IndustryAuthorityAdmin(admin.ModelAdmin):
    list_display = ["name", "region"]
    list_filter = ["region"]
    search_fields = ["name"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "credit_code", "region", "authority", "kind"]
    list_filter = ["region", "kind"]
    search_fields = ["name", "credit_code"]
    autocomplete_fields = ["authority"]


class EmploymentFormSet(BaseInlineFormSet):
    """One employment at a time, judged over the whole set as it will be saved (a period ended and a new one
    added in one save are checked together, not against the stored rows)."""

    def clean(self):
        super().clean()
        periods = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or form.errors:
                continue
            unit = data.get("unit")
            period = EmploymentPeriod(unit.name if unit else "", data.get("started_on"), data.get("ended_on"))
            problem = employment_overlap(period, periods)
            if problem:
                raise ValidationError(problem, code="employment_overlap")
            periods.append(period)


class EmploymentInline(admin.TabularInline):
    model = Employment
    formset = EmploymentFormSet
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(Professional)
class ProfessionalAdmin(admin.ModelAdmin):
    list_display = ["name", "masked_id_number", "specialty", "title_level", "status"]
    list_filter = ["status", "title_level"]
    search_fields = ["name", "=id_number"]
    inlines = [EmploymentInline]
    raw_id_fields = ["user"]


@admin.register(RoleMembership)
class RoleMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "professional", "unit", "authority", "region"]
    list_filter = ["role"]
    raw_id_fields = ["user", "professional", "unit"]
