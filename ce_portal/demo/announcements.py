"""Demo stage (ce_portal/demo/seed.py STAGES): the city HR bureau's current 通知公告, so every demo desk shows
one, posted through the real service by demo_city. Skipped once any announcement exists."""
import datetime as dt

from django.contrib.auth import get_user_model

from ce_portal.clock import SHANGHAI
from records.announcements.models import Announcement
from records.announcements.services import AnnouncementInput, announcement_create

NOTICES = [
    ("关于做好本年度专业技术人员继续教育学时申报工作的通知",
     "各县（市、区）人社局、市直各单位：\n"
     "本年度继续教育学时须在当年内申报，往年学时不再补报。请各单位督促本单位专业技术人员及时在本平台申报学时，"
     "并在收到申报后 5 个工作日内完成审核。\n"
     "在认定的学习平台完成的网络课程由平台自动报送，无需重复申报。", 14, 60),
    ("认定的继续教育学习平台和继续教育基地名单",
     "本市认定的网络学习平台和继续教育基地名单见“认定的学习平台”页面，公需科目课程免费学习。", 3, 90),
]


def seed_announcements(run) -> None:
    city_hr = get_user_model().objects.filter(username="demo_city").first()
    if run.size != "demo" or city_hr is None or Announcement.objects.exists():
        return
    for title, body, days_ago, days_shown in NOTICES:
        publish_on = run.today - dt.timedelta(days=days_ago)
        now = dt.datetime.combine(publish_on, dt.time(9), tzinfo=SHANGHAI)
        announcement_create(actor=city_hr, data=AnnouncementInput(
            title=title, body=body, publish_on=publish_on, expires_on=publish_on + dt.timedelta(days=days_shown),
        ), upload=None, now=now)
    run.stats["announcements"] += len(NOTICES)
