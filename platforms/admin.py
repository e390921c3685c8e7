"""Django's admin looks for `<app>.admin`; the registrations live in the sub-packages."""
from platforms.ingest import admin as ingest_admin  # noqa: F401
from platforms.registry import admin as registry_admin  # noqa: F401
