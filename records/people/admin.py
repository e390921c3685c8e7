from django.contrib import admin

from records.people.models import Employment, IndustryAuthority, Professional, Region, RoleMembership, Unit


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


class EmploymentInline(admin.TabularInline):
    model = Employment
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(Professional)
class ProfessionalAdmin(admin.ModelAdmin):
    list_display = ["name", "masked_id_number", "specialty", "title_level", "status"]
    list_filter = ["status", "title_level"]
    # By name only: ID numbers are encrypted, and the admin's search would put one in the address (docs/personal-data.md).
    search_fields = ["name"]
    inlines = [EmploymentInline]
    raw_id_fields = ["user"]


@admin.register(RoleMembership)
class RoleMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "professional", "unit", "authority", "region"]
    list_filter = ["role"]
    raw_id_fields = ["user", "professional", "unit"]
