"""The one clock: read once at the edge (a view, a task) and passed down as `today=`/`now=`."""
import datetime as dt

from django.utils import timezone


def business_today() -> dt.date:
    return timezone.localdate()  # Asia/Shanghai (settings.TIME_ZONE)


def business_now() -> dt.datetime:
    return timezone.localtime()
