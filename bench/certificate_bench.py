"""Certificate throughput: PDFs rendered per second in one worker process, and the ZIP of a 500-person unit.

    .venv/bin/python bench/certificate_bench.py [--people 500] [--renders 40] [--db postgres://…/ce_bench_cert]
                                                [--workers N --redis redis://127.0.0.1:6379/7]

Drops and recreates the database and migrates it (not timed), then seeds one unit whose people are each
exactly compliant (2 × 15 public + 2 × 30 professional platform hours). It measures, in this one process:

1. renders: `certificate_render` (WeasyPrint + font check + storing the file) for --renders certificates,
   one after another — what one Celery worker with concurrency 1 does;
2. ZIP, cold: `certificate_bundle_build` for the whole unit when nobody has a certificate yet (every
   certificate is issued and rendered inside the bundle task);
3. ZIP, warm: the same again once every certificate exists (only reading files and zipping).

With --workers N, a Celery worker with N processes runs beside this one on the given Redis, and the cold
bundle hands its renders to it (as a production worker's other processes would take them).
"""
import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from common import fresh_database

ROOT = Path(__file__).resolve().parent.parent
YEAR = 2025
NOW = dt.datetime(2025, 11, 3, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def setup_django(url: str, media: str) -> None:
    os.environ.update(DATABASE_URL=url, MEDIA_ROOT=media, DJANGO_SETTINGS_MODULE="ce_portal.settings",
                      LOG_LEVEL="WARNING", AXES_ENABLED="false")
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def seed_unit(people: int):
    from django.contrib.auth import get_user_model

    from ce_portal.demo.fakes import fake_credit_code, fake_id_number
    from platforms.registry.models import LearningPlatform
    from records.hours.models import PlatformRecord
    from records.hours.services import add_to_year_totals, year_deltas
    from records.people.models import Employment, Professional, Region, Role, RoleMembership, Unit

    region = Region.objects.get(name="新华区")
    unit = Unit.objects.create(name="平顶山市第一人民医院", credit_code=fake_credit_code(7), region=region,
                               kind=Unit.Kind.PUBLIC_INSTITUTION)
    reviewer = get_user_model().objects.create(username="bench-reviewer")
    RoleMembership.objects.create(user=reviewer, role=Role.UNIT_REVIEWER, unit=unit)
    surnames, given = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗", "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"
    staff = Professional.objects.bulk_create(
        Professional(name=f"{surnames[i % len(surnames)]}{given[i % len(given)]}{given[i // len(given) % len(given)]}",
                     id_number=fake_id_number(i))
        for i in range(people)
    )
    Employment.objects.bulk_create(
        Employment(professional=p, unit=unit, started_on=dt.date(2020, 1, 1)) for p in staff
    )
    public = LearningPlatform.objects.filter(category="public").first()
    professional = LearningPlatform.objects.filter(category="professional").first()
    courses = [(public, "专业技术人员职业道德与诚信建设", "15", 3), (public, "数字经济与创新驱动发展", "15", 4),
               (professional, "临床诊疗新进展", "30", 6), (professional, "医疗质量与安全管理", "30", 9)]
    records = [
        PlatformRecord(platform=platform, external_id=f"{p.pk}-{n}", professional=p, course_title=title,
                       category=platform.category, hours=Decimal(hours), year=YEAR, content_hash="0" * 64,
                       completed_at=dt.datetime(YEAR, month, 10, 12, tzinfo=NOW.tzinfo))
        for p in staff for n, (platform, title, hours, month) in enumerate(courses)
    ]
    PlatformRecord.objects.bulk_create(records, batch_size=5000)
    add_to_year_totals(year_deltas((r.professional_id, r.year, r.category, r.hours) for r in records))
    return unit, reviewer, staff


def bench_renders(staff, reviewer) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds of each render (CPU time shows the cost on a machine others share)."""
    from records.certificates.services import certificate_obtain, certificate_render

    wall, cpu = [], []
    for person in staff:
        certificate = certificate_obtain(professional=person, year=YEAR, now=NOW, actor=reviewer)
        started, started_cpu = time.perf_counter(), time.process_time()
        assert certificate_render(certificate_id=certificate.pk, now=NOW)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return wall, cpu


def bench_bundle(unit, reviewer) -> tuple[float, float, object]:
    from records.certificates.models import CertificateBundle
    from records.certificates.services import certificate_bundle_build

    bundle = CertificateBundle.objects.create(unit=unit, year=YEAR, requested_by=reviewer, created_at=NOW)
    started, started_cpu = time.perf_counter(), time.process_time()
    assert certificate_bundle_build(bundle_id=bundle.pk, now=NOW)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    bundle.refresh_from_db()
    return elapsed, cpu, bundle


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--renders", type=int, default=40)
    parser.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/ce_bench_cert")
    parser.add_argument("--workers", type=int, default=0, help="processes of a helper Celery worker")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/7")
    args = parser.parse_args()

    fresh_database(args.db)
    if args.workers:
        os.environ["REDIS_URL"] = args.redis
    with tempfile.TemporaryDirectory(prefix="ce-cert-bench-") as media:
        setup_django(args.db, media)
        unit, reviewer, staff = seed_unit(args.people)
        helper = None
        if not args.workers:
            from records.certificates import services as certificates

            certificates.BUNDLE_FAN_OUT_MIN = sys.maxsize  # nobody to hand renders to: queue none
        else:
            helper = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "ce_portal", "worker", "--pool", "prefork",
                 "--concurrency", str(args.workers), "--loglevel", "warning", "--purge", "--without-gossip",
                 "--without-mingle"],
                cwd=ROOT, env=os.environ.copy(),
            )
            time.sleep(8)  # let the worker connect before anything is queued
        bench_renders(staff[:1], reviewer)  # warm-up: fontconfig, template loading, first connection
        wall, cpu = bench_renders(staff[1:args.renders + 1], reviewer)
        from records.certificates.models import Certificate

        Certificate.objects.all().delete()  # the cold ZIP starts from nobody having a certificate
        cold, cold_cpu, bundle = bench_bundle(unit, reviewer)
        warm, warm_cpu, bundle_again = bench_bundle(unit, reviewer)
        if helper is not None:
            helper.terminate()
            helper.wait(timeout=60)

        zip_size = Path(bundle.file.path).stat().st_size
        load = os.getloadavg()[0]
        print(f"load average during the run: {load:.1f} on {os.cpu_count()} cores")
        print(f"renders, one process: {len(wall)} certificates; wall median {statistics.median(wall) * 1000:.0f} ms "
              f"= {1 / statistics.median(wall):.1f} renders/s; CPU median {statistics.median(cpu) * 1000:.0f} ms "
              f"= {1 / statistics.median(cpu):.1f} renders/s per free core")
        print(f"ZIP of a {args.people}-person unit, cold (issue + render every certificate in the task"
              f"{f', helped by a {args.workers}-process worker' if args.workers else ''}): "
              f"{cold:.1f} s wall, {cold_cpu:.1f} s CPU, {bundle.included} PDFs, {zip_size / 1e6:.1f} MB")
        print(f"ZIP of the same unit, warm (all certificates exist): {warm:.1f} s wall, {warm_cpu:.1f} s CPU, "
              f"{bundle_again.included} PDFs")


if __name__ == "__main__":
    main()
