import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ce_portal.settings")

app = Celery("ce_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Every part of the domain that runs in the background keeps its tasks in its own tasks.py; ce_portal's are
# the kernel's (the purge of every kind of download).
TASK_PACKAGES = [
    "ce_portal", "records.people", "records.hours", "records.certificates", "records.compliance", "records.plans",
    "audits.review", "audits.monitor", "audits.coach", "audits.screening",
]
app.autodiscover_tasks(TASK_PACKAGES)


@app.on_after_finalize.connect
def _ensure_filesystem_broker_folders(sender, **kwargs):
    # kombu's filesystem transport does not create its folders itself.
    from django.conf import settings

    if str(sender.conf.broker_url).startswith("filesystem://"):
        for sub in ("queue", "processed", "control"):
            (settings.CELERY_FILESYSTEM_DIR / sub).mkdir(parents=True, exist_ok=True)
