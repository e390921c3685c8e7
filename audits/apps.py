from django.apps import AppConfig


class AuditsConfig(AppConfig):
    name = "audits"
    verbose_name = "审核与审计"

    def ready(self):
        # The calendar's receiver first: it registers the commit hook that publishes the new calendar before
        # review's receiver queues the recompute of stored deadlines.
        from audits.calendar import selectors  # noqa: F401
        from audits.review import tasks  # noqa: F401
        from records.plans import tasks as plan_tasks  # noqa: F401  (training plans' deadlines, the same way)
