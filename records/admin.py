"""Django's admin looks for `<app>.admin`; the registrations live in the sub-packages."""
from records.hours import admin as hours_admin  # noqa: F401
from records.people import admin as people_admin  # noqa: F401
