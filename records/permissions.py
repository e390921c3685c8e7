"""Admin access follows the roles: every city_hr member may use /admin/ for the lists the notice puts in
the city bureau's hands (calendar overrides, requirement policy, make-up exemptions, platforms, bases)."""
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from .choices import Role

CITY_HR_GROUP = "市人社局管理员"
CITY_HR_MODELS = (
    ("audits", "workingdayoverride"),
    ("audits", "officialcalendaryear"),
    ("records", "makeupexemption"),
    ("records", "requirementpolicy"),
    ("platforms", "learningplatform"),
    ("platforms", "trainingbase"),
)
CITY_HR_ACTIONS = ("add", "change", "view")  # no delete: the city corrects a row, it does not erase history


def city_hr_group() -> Group:
    """The group with exactly the city bureau's admin permissions (created or brought up to date)."""
    group, _ = Group.objects.get_or_create(name=CITY_HR_GROUP)
    wanted = {(app, f"{action}_{model}") for app, model in CITY_HR_MODELS for action in CITY_HR_ACTIONS}
    permissions = [
        p for p in Permission.objects.filter(content_type__app_label__in={app for app, _ in CITY_HR_MODELS})
        .select_related("content_type")
        if (p.content_type.app_label, p.codename) in wanted
    ]
    if len(permissions) != len(wanted):
        found = {(p.content_type.app_label, p.codename) for p in permissions}
        raise LookupError(f"missing permissions {sorted(wanted - found)}: run migrate first")
    group.permissions.set(permissions)
    return group


@transaction.atomic
def sync_staff_access(*, user) -> None:
    """Give a city_hr member the admin group and staff status; take the group away when the role goes,
    and staff status too unless something else (superuser, other groups or permissions) still needs it."""
    is_city_hr = user.role_memberships.filter(role=Role.CITY_HR).exists()
    in_group = user.groups.filter(name=CITY_HR_GROUP).exists()
    if is_city_hr:
        if not in_group:
            user.groups.add(city_hr_group())
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
    elif in_group:
        user.groups.remove(*user.groups.filter(name=CITY_HR_GROUP))
        if user.is_staff and not (
            user.is_superuser or user.groups.exists() or user.user_permissions.exists()
        ):
            user.is_staff = False
            user.save(update_fields=["is_staff"])
