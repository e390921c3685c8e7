import unicodedata

from django.conf import settings
from django.core.management.base import BaseCommand

from ce_portal.demo.registry import DEMO_LOGINS, DEMO_PASSWORD
from records.people.models import Role, RoleMembership


def _width(text: str) -> int:
    """Terminal columns: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


class Command(BaseCommand):
    help = "列出演示账号（角色、用户名、密码、登录后进入的页面）/ Lists the demo log-ins."

    def handle(self, *args, **options):
        memberships = {
            m.user.username: m
            for m in RoleMembership.objects.filter(user__username__in=[login.username for login in DEMO_LOGINS])
            .select_related("user", "professional", "unit", "authority", "region")
        }
        rows = [("角色 / Role", "用户名 / Username", "密码 / Password", "登录后进入 / Lands on", "范围 / Scope")]
        for login in DEMO_LOGINS:
            membership = memberships.get(login.username)
            if membership is None:
                scope = "未创建，请先运行 seed_demo / not created: run seed_demo"
            elif login.role == Role.PROFESSIONAL:
                scope = membership.professional.name
            else:
                scope = str(membership.scope_object)
            rows.append((
                f"{Role(login.role).label} / {login.role_en}", login.username, DEMO_PASSWORD,
                f"{login.landing} / {login.landing_en}", scope,
            ))
        widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = ["  ".join(_pad(cell, width) for cell, width in zip(row, widths)).rstrip() for row in rows]
        lines.insert(1, "  ".join("-" * width for width in widths))
        url = settings.SITE_URL.rstrip("/") + "/"
        self.stdout.write("演示账号 / Demo log-ins\n")
        self.stdout.write("\n".join(lines))
        self.stdout.write(f"\n打开 / Open {url} ，用上表任一账号登录 / and log in with any of the accounts above.")
