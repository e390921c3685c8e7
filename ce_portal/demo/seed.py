"""The demo's stages in order (`seed_demo`): registry, log-ins, the city's announcements, a training plan, platform
years, three years of credited hours, a month of review traffic, the demo unit's standard, planted screening
examples, overdue marking. Each stage is idempotent.
"""
import datetime as dt
from collections import Counter
from collections.abc import Callable
from contextlib import nullcontext

from django.db import connection, transaction

from ce_portal.clock import SHANGHAI
from ce_portal.demo.registry import (
    DEMO_COUNTY, SIZES, Seeding, _demo_units, approve_platform_years, bulk_load, seed_batch, seed_logins,
)
from records.hours.models import PersonYearTotal, PlatformRecord


def seed_registry(run: Seeding) -> None:
    for batch in SIZES[run.size]:
        run.stats.update(seed_batch(batch, today=run.today))


def plant_screening_examples(run: Seeding) -> None:
    """Duplicates for city_hr's screening queue, among the demo unit's staff (ce_portal/demo/screening.py)."""
    from ce_portal.demo.screening import plant_screening_examples as plant

    plant(run, unit=_demo_units()[0])


def training_plan(run: Seeding) -> None:
    """demo_unit's plan for the year, filed through demo_authority (ce_portal/demo/plans.py)."""
    from ce_portal.demo.plans import seed_training_plan

    seed_training_plan(run)


def unit_standard(run: Seeding) -> None:
    """demo_unit's own 学时认定标准, set after the month's traffic it would not apply to (ce_portal/demo/standards.py)."""
    from ce_portal.demo.standards import seed_unit_standard

    seed_unit_standard(run)


def review_traffic(run: Seeding) -> None:
    """A month of filings and decisions in the demo county (ce_portal/demo/review.py)."""
    from ce_portal.demo.review import seed_review_traffic

    seed_review_traffic(run, county=DEMO_COUNTY)


def announcements(run: Seeding) -> None:
    """The city's current announcements on every desk (ce_portal/demo/announcements.py)."""
    from ce_portal.demo.announcements import seed_announcements

    seed_announcements(run)


def credit_hours(run: Seeding) -> None:
    """Credited hours of the last three years for every demo person (ce_portal/demo/hours.py)."""
    from ce_portal.demo.hours import EXTERNAL_PREFIX, batch_id_numbers, credit_people

    # The city's first load is 6.4 million platform records: with the indexes and foreign-key checks left
    # in place that took twice the 3-minute goal of `seed_demo --size city` (bench/seed_city.py).
    first_city_load = (run.size == "city" and connection.vendor == "postgresql"
                       and not PlatformRecord.objects.filter(external_id__startswith=EXTERNAL_PREFIX).exists())
    tables = [PlatformRecord._meta.db_table, PersonYearTotal._meta.db_table]
    with bulk_load(tables) if first_city_load else nullcontext():
        for batch in SIZES[run.size]:
            run.stats.update(credit_people(batch_id_numbers(batch), today=run.today, helper_process=first_city_load))


def flag_overdue(run: Seeding) -> None:
    """Every start of the demo flags what fell overdue since the last one and refreshes today's monitor
    figures, as beat's timers would have: the queues, the monitors and the digests then count the same
    overdue claims from the first page on — the planted screening claims included, and in a demo started
    again days later. A timer's work, not demo data: it counts in no statistic."""
    from audits.monitor.services import snapshot_refresh
    from audits.review.services import mark_overdue

    mark_overdue(today=run.today, now=run.now)
    snapshot_refresh(today=run.today, now=run.now)


STAGES: list[Callable[[Seeding], None]] = [
    # Screening plants its duplicates last, so that its first run screens every other stage's hours too.
    seed_registry, seed_logins, announcements, training_plan, approve_platform_years, credit_hours,
    review_traffic, unit_standard, plant_screening_examples, flag_overdue,
]


@transaction.atomic
def seed(*, size: str, today: dt.date, now: dt.datetime | None = None) -> Counter:
    """Run every stage; return what was created (empty when everything was already there). `now` defaults to
    the start of `today`."""
    run = Seeding(size=size, today=today, now=now or dt.datetime.combine(today, dt.time(), tzinfo=SHANGHAI))
    for stage in STAGES:
        stage(run)
    return run.stats
