"""The shortfall coach at city scale (issue 14): 200,000 people, one run of `shortfall_messages_send`.

    .venv/bin/python bench/shortfall_bench.py                     # fresh ce_bench_shortfall, 200,000 people
    .venv/bin/python bench/shortfall_bench.py --people 20000

Builds a fresh PostgreSQL database (default ce_bench_shortfall on 127.0.0.1, dropped first), migrates it and
bulk-loads synthetic people rather than `seed_demo --size city` (minutes of both cores on a shared machine):
3,000 units with one reviewer each, `--people` professionals with an account and a current employment, and
their credited hours of the year, two thirds of them short. One in ten accounts has a mail address (the
locmem backend stands in for the mail server). Then it times the 1 September run, counts its queries and
notices, and runs it again (the second run must write nothing).
"""
import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from common import fresh_database, log  # noqa: E402


def load(people: int, units: int) -> None:
    from django.contrib.auth import get_user_model

    from ce_portal.demo.fakes import fake_credit_code, fake_id_number
    from records.hours.models import PersonYearTotal
    from records.people.models import Employment, Professional, Region, Role, RoleMembership, Unit

    User = get_user_model()
    county = Region.objects.get(name="新华区")
    unit_rows = Unit.objects.bulk_create(
        [Unit(name=f"压测单位{i}", credit_code=fake_credit_code(900_000 + i), region=county) for i in range(units)],
        batch_size=2000)
    reviewers = User.objects.bulk_create([User(username=f"bench_rev{i}") for i in range(units)], batch_size=2000)
    RoleMembership.objects.bulk_create([RoleMembership(user=u, role=Role.UNIT_REVIEWER, unit=unit)
                                        for u, unit in zip(reviewers, unit_rows)], batch_size=2000)
    for start in range(0, people, 10_000):
        indices = range(start, min(people, start + 10_000))
        users = User.objects.bulk_create(
            [User(username=f"bench_p{i}", email=f"p{i}@example.gov.cn" if i % 10 == 0 else "") for i in indices])
        persons = Professional.objects.bulk_create(
            [Professional(name=f"压测人员{i}", id_number=fake_id_number(5_000_000 + i), user=u)
             for i, u in zip(indices, users)])
        Employment.objects.bulk_create([Employment(professional=p, unit=unit_rows[i % units], started_on=dt.date(2020, 1, 1))
                                        for i, p in zip(indices, persons)])
        PersonYearTotal.objects.bulk_create(
            [PersonYearTotal(professional=p, year=2026, public_hours=Decimal(10 + i % 30),
                             professional_hours=Decimal(30 + (i * 7) % 40)) for i, p in zip(indices, persons)])
        log(f"loaded {indices.stop:,} people")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/ce_bench_shortfall")
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--units", type=int, default=3_000)
    args = parser.parse_args()
    os.environ.update(DATABASE_URL=args.db, DJANGO_SETTINGS_MODULE="ce_portal.settings",
                      EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
    os.environ.pop("REDIS_URL", None)
    fresh_database(args.db)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True, env=os.environ)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core import mail
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from audits.coach.services import shortfall_messages_send
    from audits.review.models import Notification
    from ce_portal.clock import SHANGHAI

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    started = time.perf_counter()
    load(args.people, args.units)
    log(f"load: {time.perf_counter() - started:.1f} s")
    today, now = dt.date(2026, 9, 1), dt.datetime(2026, 9, 1, 9, tzinfo=SHANGHAI)
    for run in ("first", "second"):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            created = shortfall_messages_send(today=today, now=now)
        log(f"{run} run: {created:,} new notices, {len(queries):,} queries, {len(mail.outbox):,} mails in all, "
            f"{time.perf_counter() - started:.1f} s (load average {os.getloadavg()[0]:.1f})")
    log(f"notices: {Notification.objects.filter(kind='shortfall').count():,} to people, "
        f"{Notification.objects.filter(kind='shortfall_unit').count():,} to unit reviewers")


if __name__ == "__main__":
    main()
