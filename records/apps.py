from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "records"
    verbose_name = "学时与人员"

    def ready(self):
        from . import signals  # noqa: F401  (connects the receivers)
