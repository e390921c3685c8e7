"""Where each role lands after log-in."""
from django.urls import reverse

from .choices import Role

# Order matters: a user with several roles lands on the first one they hold.
HOME_URL_NAMES = {
    Role.CITY_HR: "records:city_home",
    Role.COUNTY_HR: "records:county_home",
    Role.AUTHORITY_REVIEWER: "records:authority_home",
    Role.UNIT_REVIEWER: "records:unit_home",
    Role.PROFESSIONAL: "records:my_home",
}


def role_homes(scope) -> list[tuple[str, str, str]]:
    """(role code, Chinese label, URL) for every role the scope holds, in landing order."""
    return [
        (role.value, role.label, reverse(url_name)) for role, url_name in HOME_URL_NAMES.items() if scope.has(role)
    ]
