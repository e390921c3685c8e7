"""Print the shortfall coach's messages for one person and one unit as of a date, without sending anything:
what the release note shows of the demo person's and the demo unit's messages."""
import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from audits.coach.rules import COACH_DAYS
from audits.coach.selectors import shortfall_messages
from ce_portal.clock import business_today
from records.people.models import Professional, Unit


class Command(BaseCommand):
    help = "显示某人、某单位在指定日期会收到的学时未达标提醒（只显示，不发送）。"

    def add_arguments(self, parser):
        parser.add_argument("--person", help="专业技术人员的登录账号，或姓名（同名时取最早登记的一位）")
        parser.add_argument("--unit", help="单位名称")
        parser.add_argument("--date", type=_date, help="按哪一天计算，如 2026-09-01；默认今天")

    def handle(self, *args, person=None, unit=None, date=None, **options):
        if not person and not unit:
            raise CommandError("请用 --person 指定登录账号，或用 --unit 指定单位名称。")
        today = date or business_today()
        if (today.month, today.day) not in COACH_DAYS:
            self.stdout.write(f"注意：{today:%Y-%m-%d} 不是发送日（每年 9 月 1 日、11 月 1 日、12 月 1 日），以下为假如当天发送的内容。")
        if person:
            # By account, or by name: the release note may show someone behind whom no demo log-in is.
            professional = (Professional.objects.filter(user__username=person).first()
                            or Professional.objects.filter(name=person).order_by("pk").first())
            if professional is None:
                raise CommandError(f"没有登录账号或姓名为“{person}”的专业技术人员。")
            texts = [m.text for u in shortfall_messages(today=today, professional_id=professional.pk) for m in u.people]
            if texts and professional.user_id is None:
                texts.append("（此人尚未开通账号，不会收到这条通知，只出现在单位的名单上。）")
            self._print(professional.name, texts, none="学时已达标或无记录，不会收到提醒。")
        if unit:
            found = Unit.objects.filter(name=unit).first()
            if found is None:
                raise CommandError(f"没有名为“{unit}”的单位。")
            texts = [u.text for u in shortfall_messages(today=today, unit_id=found.pk)]
            self._print(f"{found.name}的审核员", texts, none="没有未达标人员，不会收到名单。")

    def _print(self, whom: str, texts: list[str], *, none: str) -> None:
        self.stdout.write(f"—— {whom} ——")
        self.stdout.write("\n".join(texts) if texts else none)


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"日期“{value}”无效，请写成 2026-09-01 的形式。")
