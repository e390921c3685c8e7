"""The one clock: read once at the edge (a view, a task) and passed down as `today=`/`now=`.

Business time is Asia/Shanghai (settings.TIME_ZONE): deadlines, filing closes and working days are all
judged on the Beijing calendar day.
"""
import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

SHANGHAI = ZoneInfo("Asia/Shanghai")


def business_today() -> dt.date:
    return timezone.localdate()  # Asia/Shanghai (settings.TIME_ZONE)


def business_now() -> dt.datetime:
    return timezone.localtime()


def business_clock() -> tuple[dt.date, dt.datetime]:
    """(today, now) read together once, for a task or a page that passes both down."""
    now = business_now()
    return now.date(), now
