"""Django's admin looks for `<app>.admin`; the registrations live in the sub-packages."""
from audits.calendar import admin as calendar_admin  # noqa: F401
from audits.trail import admin as trail_admin  # noqa: F401
