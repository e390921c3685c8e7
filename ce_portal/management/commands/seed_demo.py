import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ce_portal.clock import business_clock
from ce_portal.demo.registry import SIZES
from ce_portal.demo.seed import seed


class Command(BaseCommand):
    help = (
        "写入演示数据：demo 为一个小型的平顶山（每个县区 2–4 家单位、300 名专业技术人员和各角色演示账号），"
        "city 为全市规模（3,000 家单位、200,000 名专业技术人员）。可重复执行，已有的数据不会改动。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=list(SIZES), default="demo", help="demo（默认）或 city")

    def handle(self, *args, size, **options):
        if settings.ENVIRONMENT == "production":
            # Demo log-ins share one published password: they must never reach a real database.
            raise CommandError("生产环境不能写入演示数据（CE_PORTAL_ENV=production）。")
        started = time.perf_counter()
        today, now = business_clock()
        created = seed(size=size, today=today, now=now)
        seconds = time.perf_counter() - started
        if not created:
            self.stdout.write(f"演示数据已存在，未做更改 / demo data already present, nothing changed ({seconds:.1f} s)")
            return
        rows = ", ".join(f"{name}={count:,}" for name, count in sorted(created.items()))
        self.stdout.write(self.style.SUCCESS(f"演示数据已写入 / demo data written ({size}): {rows} in {seconds:.1f} s"))
