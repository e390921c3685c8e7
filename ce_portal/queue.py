"""Background work, queued by the task's dotted name, never failing the request that queues it.

By name rather than by import: a part's tasks.py calls its services, so a service that imported its own
task would close an import circle, and the domain never imports its interface (pyproject.toml's
import-linter contracts). The task is looked up when the work is queued, so a misspelt or removed task
fails at once, in the tests too.

The broker being down (Redis stopped) must not stop a professional filing a claim or a reviewer deciding:
the work is a database row that says it is queued, so a message that cannot be sent is logged and dropped,
and the sweep (ce_portal/jobs.py) queues it again from the row once the broker is back. Settings keep the
try short (CELERY_TASK_PUBLISH_RETRY_POLICY, CELERY_BROKER_CONNECTION_TIMEOUT).
"""
import logging
from importlib import import_module

from django.db import transaction
from kombu.exceptions import OperationalError as BrokerUnavailable

logger = logging.getLogger(__name__)


def _task(dotted_name: str):
    module, name = dotted_name.rsplit(".", 1)
    return getattr(import_module(module), name)


def _send(task, args, kwargs) -> bool:
    try:
        # No result: nobody waits for one, and asking for it would subscribe this process to the result
        # store (Redis) for every message, which fails on its own when Redis is down.
        task.apply_async(args, kwargs, ignore_result=True)
    except (BrokerUnavailable, OSError):
        logger.warning("broker unavailable: %s not queued now; the sweep queues it again from its row",
                       task.name, exc_info=True)
        return False
    return True


def enqueue(task_name: str, *args, **kwargs) -> bool:
    """Queue the task now (honours CELERY_TASK_ALWAYS_EAGER, like `.delay`); False when the broker is down."""
    return _send(_task(task_name), args, kwargs)


def enqueue_on_commit(task_name: str, *args, **kwargs) -> None:
    """Queue the task once the current transaction commits, so the worker reads what this one wrote."""
    task = _task(task_name)
    transaction.on_commit(lambda: _send(task, args, kwargs))
