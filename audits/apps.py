from django.apps import AppConfig


class AuditsConfig(AppConfig):
    name = "audits"
    verbose_name = "审核与审计"

    def ready(self):
        from . import signals  # noqa: F401  (connects the working-day calendar's change hooks)
