"""Stored files that no row names, swept away once they are old enough to be sure.

A file is written before the row that names it is committed (evidence_add saves the upload, then the row;
a build writes its ZIP or XLSX, then marks the job ready). A process killed in between, or a transaction
rolled back after the write, leaves a file nobody can reach, perhaps with personal data in it. Writing the
other way round would leave rows that name missing files, which is worse. So the nightly sweep deletes a
file that no FileField of any model names, once it is older than ORPHAN_AGE: a file that young may belong
to a transaction still open.

The sweep walks the storage one folder at a time and asks the database about that folder's files only, so
its memory stays small whatever the number of files.
"""
import datetime as dt
import logging
import posixpath

from django.apps import apps
from django.core.files.storage import default_storage
from django.db import models

logger = logging.getLogger(__name__)

ORPHAN_AGE = dt.timedelta(days=1)
BATCH = 1000


def _file_fields() -> list[tuple[type[models.Model], str]]:
    return [(model, field.name) for model in apps.get_models() for field in model._meta.get_fields()
            if isinstance(field, models.FileField)]


def _named(names: list[str], fields) -> set[str]:
    found = set()
    for start in range(0, len(names), BATCH):
        batch = names[start:start + BATCH]
        for model, field in fields:
            found.update(model._base_manager.filter(**{f"{field}__in": batch}).values_list(field, flat=True))
    return found


def orphan_files_sweep(*, now: dt.datetime, storage=default_storage) -> list[str]:
    """Delete the stored files no row names that are older than ORPHAN_AGE; returns their names."""
    if not storage.exists(""):
        return []  # nothing stored yet
    fields = _file_fields()
    removed = []
    folders = [""]
    while folders:
        folder = folders.pop()
        subfolders, files = storage.listdir(folder)
        folders.extend(posixpath.join(folder, sub) for sub in subfolders)
        names = [posixpath.join(folder, name) for name in files]
        named = _named(names, fields)
        for name in names:
            if name not in named and storage.get_modified_time(name) < now - ORPHAN_AGE:
                storage.delete(name)
                removed.append(name)
    if removed:
        logger.warning("removed %d stored files that no row names: %s", len(removed), removed[:20])
    return removed
