"""Reads of 通知公告: what every home page shows today, city_hr's list of them all, one announcement for a reader."""
import datetime as dt

from django.db.models import Q, QuerySet

from ce_portal.errors import NotFound
from records.announcements.models import Announcement
from records.people.access import scope_for


def announcement_current_q(today: dt.date) -> Q:
    """SQL twin of rules.announcement_state(...) == SHOWN: published, not expired, not withdrawn."""
    return Q(withdrawn_at__isnull=True, publish_on__lte=today, expires_on__gte=today)


def announcements_current(today: dt.date) -> QuerySet[Announcement]:
    """What every role's home page shows, newest first."""
    return Announcement.objects.filter(announcement_current_q(today)).order_by("-publish_on", "-id")


def announcement_list(user, today: dt.date) -> QuerySet[Announcement]:
    """city_hr sees every announcement, scheduled, expired and withdrawn too; every other signed-in user the
    ones shown today, like their home page. Newest first."""
    if not getattr(user, "is_authenticated", False):
        return Announcement.objects.none()
    if scope_for(user).is_city:
        return Announcement.objects.order_by("-publish_on", "-id")
    return announcements_current(today)


def announcement_get(user, pk: int, today: dt.date) -> Announcement:
    announcement = announcement_list(user, today).filter(pk=pk).first()
    if announcement is None:
        raise NotFound("未找到该公告。")
    return announcement
