from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "records"
    verbose_name = "学时与人员"

    def ready(self):
        from records.people import services  # noqa: F401  (connects the role-membership receivers)
