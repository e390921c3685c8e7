"""Edits to the working-day calendar: drop the process's calendar, tell the other processes, and recompute
stored provisional deadlines once the edit is committed."""
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import OfficialCalendarYear, WorkingDayOverride
from .tasks import recompute_provisional_due_dates
from .workdays import calendar_edited


@receiver(post_save, sender=WorkingDayOverride, dispatch_uid="workdays_override_saved")
@receiver(post_delete, sender=WorkingDayOverride, dispatch_uid="workdays_override_deleted")
@receiver(post_save, sender=OfficialCalendarYear, dispatch_uid="workdays_official_year_saved")
@receiver(post_delete, sender=OfficialCalendarYear, dispatch_uid="workdays_official_year_deleted")
def working_calendar_changed(**kwargs):
    calendar_edited()
    # After the calendar's own commit hook (registered just above), so the worker reads the new version.
    transaction.on_commit(recompute_provisional_due_dates.delay)
