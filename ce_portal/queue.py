"""Background work, queued by the task's dotted name.

By name rather than by import: a part's tasks.py calls its services, so a service that imported its own
task would close an import circle, and the domain never imports its interface (pyproject.toml's
import-linter contracts). The task is looked up when the work is queued, so a misspelt or removed task
fails at once, in the tests too.
"""
from importlib import import_module

from django.db import transaction


def _task(dotted_name: str):
    module, name = dotted_name.rsplit(".", 1)
    return getattr(import_module(module), name)


def enqueue(task_name: str, *args, **kwargs) -> None:
    """Queue the task now (honours CELERY_TASK_ALWAYS_EAGER, like `.delay`)."""
    _task(task_name).delay(*args, **kwargs)


def enqueue_on_commit(task_name: str, *args, **kwargs) -> None:
    """Queue the task once the current transaction commits, so the worker reads what this one wrote."""
    task = _task(task_name)
    transaction.on_commit(lambda: task.delay(*args, **kwargs))
