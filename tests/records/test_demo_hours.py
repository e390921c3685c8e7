"""The demo's credited hours (ce_portal/demo/hours.py): a believable mix per year, credited like the ingestion API
credits, nothing the screening would flag, and a second run adds nothing."""
import datetime as dt
from collections import Counter
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Max, Sum
from django.db.models.functions import TruncDate

from ce_portal.demo import registry as demo
from ce_portal.demo.hours import KEEP_FREE_DAYS, YEARS_BACK, batch_id_numbers, credit_people, plan_year
from ce_portal.demo.seed import seed
from ce_portal.partitions import year_partitions_ensure
from records.compliance.selectors import compliance_list
from records.hours.models import Claim, PersonYearTotal, PlatformRecord, RequirementPolicy
from records.hours.rules import assess

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2025, 6, 3, 10, 0, tzinfo=SHANGHAI)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def seeded(db):
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo")


def test_a_year_plan_is_deterministic_and_fits_the_day_limit_and_the_job():
    started = dt.date(2024, 3, 1)
    plans = {(n, year): plan_year(f"41040219900101{n:04d}", "临床医学", year, started_on=started, today=TODAY)
             for n in range(200) for year in (2023, 2024, 2025)}
    assert plans == {key: plan_year(f"41040219900101{key[0]:04d}", "临床医学", key[1], started_on=started, today=TODAY)
                     for key in plans}
    assert all(not records for (_, year), records in plans.items() if year == 2023)  # before the job
    for (_, year), records in plans.items():
        days = [r.day for r in records]
        assert len(days) == len(set(days))  # one record a day: never over the 10-hour day
        assert all(Decimal(0) < r.hours <= 10 and (r.hours * 2) % 1 == 0 for r in records)
        assert all(max(started, dt.date(year, 1, 1)) <= d <= TODAY - dt.timedelta(days=KEEP_FREE_DAYS) for d in days)
    totals = Counter()
    requirement = RequirementPolicy(total_hours=90, public_hours=30, professional_hours=60)
    for (_, year), records in plans.items():
        if year == 2024:
            public = sum((r.hours for r in records if r.category == "public"), Decimal(0))
            professional = sum((r.hours for r in records if r.category == "professional"), Decimal(0))
            a = assess(public, professional, requirement)
            totals["compliant" if a.compliant else "public" if a.public_short else "professional"] += 1
    assert 100 <= totals["compliant"] <= 170 and totals["public"] >= 10 and totals["professional"] >= 10


def test_demo_people_have_credited_hours_that_make_a_believable_list(seeded):
    # Kept totals equal the records they came from.
    sums = Counter()
    for source in (PlatformRecord.objects.all(), Claim.objects.filter(status=Claim.Status.APPROVED)):
        for row in source.values("professional_id", "year", "category").annotate(h=Sum("hours")):
            sums[row["professional_id"], row["year"], row["category"]] += row["h"]
    for total in PersonYearTotal.objects.all():
        assert total.public_hours == sums.get((total.professional_id, total.year, "public"), 0)
        assert total.professional_hours == sums.get((total.professional_id, total.year, "professional"), 0)
    assert set(PersonYearTotal.objects.values_list("year", flat=True)) == {2023, 2024, 2025}
    # Nothing the daily-hours screening would flag.
    per_day = PlatformRecord.objects.annotate(day=TruncDate("completed_at", tzinfo=SHANGHAI)).values(
        "professional_id", "day").annotate(h=Sum("hours")).aggregate(m=Max("h"))["m"]
    assert per_day <= 10

    from django.contrib.auth import get_user_model

    city = get_user_model().objects.get(username="demo_city")
    shares = {}
    for year in (2024, 2025):
        listing = compliance_list(city, year=year)
        assert listing.counts.total > 200
        shares[year] = listing.counts.compliant / listing.counts.total
        shortfalls = {part.split(" ")[0] for row in listing.iterator() if not row.compliant
                      for part in row.shortfall.split("、")}
        assert {"公需科目", "专业科目"} <= shortfalls, year
    assert 0.5 <= shares[2024] <= 0.85 and shares[2025] < shares[2024]  # 2025 is still under way


def test_a_second_run_credits_nothing_more(seeded):
    before = (PlatformRecord.objects.count(), list(PersonYearTotal.objects.order_by("pk").values_list(
        "public_hours", "professional_hours")))
    with time_machine.travel(NOW + dt.timedelta(days=30), tick=False):
        assert seed(size="demo", today=TODAY + dt.timedelta(days=30)) == Counter()
    assert (PlatformRecord.objects.count(), list(PersonYearTotal.objects.order_by("pk").values_list(
        "public_hours", "professional_hours"))) == before


COPY_MODES = [pytest.param(True, id="copy"), pytest.param(False, id="bulk_create")]  # PostgreSQL runs both


@pytest.mark.django_db
@pytest.mark.parametrize("copy", COPY_MODES)
def test_the_city_path_credits_by_copy_what_it_plans(copy):
    batch = demo.Batch(unit_start=36, units=24, person_start=300, professionals=40)
    with time_machine.travel(NOW, tick=False):
        demo.seed_batch(batch, today=TODAY, copy=copy)
        stats = credit_people(batch_id_numbers(batch), today=TODAY, copy=copy)
        assert stats["platform_records"] == PlatformRecord.objects.count() > 40
        assert stats["year_totals"] == PersonYearTotal.objects.count()
        assert credit_people(batch_id_numbers(batch), today=TODAY, copy=copy) == Counter()


def _written() -> tuple[list, list]:
    return (sorted(PlatformRecord.objects.values_list("external_id", "hours", "completed_at", "content_hash")),
            sorted(PersonYearTotal.objects.values_list("professional_id", "year", "public_hours", "professional_hours")))


def _schema(tables) -> set[tuple[str, str]]:
    from django.db import connection

    with connection.cursor() as cursor:
        # The partitions' indexes too: a partitioned table's index built "ON ONLY" it would reach none of them.
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename LIKE ANY(%s)",
                       [[f"{table}%" for table in tables]])
        indexes = set(cursor.fetchall())
        cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                       " WHERE conrelid::regclass::text = ANY(%s)", [tables])
        return indexes | set(cursor.fetchall())


@pytest.mark.django_db
def test_the_city_first_load_plans_in_a_helper_process_under_bulk_load_and_writes_the_same_rows():
    tables = ["records_platformrecord", "records_personyeartotal"]
    year_partitions_ensure(range(TODAY.year - YEARS_BACK, TODAY.year + 1))  # as the load makes them
    schema = _schema(tables)
    batch = demo.Batch(unit_start=36, units=24, person_start=300, professionals=40)
    with time_machine.travel(NOW, tick=False):
        demo.seed_batch(batch, today=TODAY, copy=True)
        with demo.bulk_load(tables):
            assert _schema(tables) < schema  # secondary indexes and foreign keys gone meanwhile
            stats = credit_people(batch_id_numbers(batch), today=TODAY, copy=True, helper_process=True)
        assert _schema(tables) == schema
        in_helper = _written()
        PlatformRecord.objects.all().delete()
        PersonYearTotal.objects.all().delete()
        assert credit_people(batch_id_numbers(batch), today=TODAY, copy=True) == stats  # planned in this process
    assert _written() == in_helper
    assert len(in_helper[0]) == stats["platform_records"] > 40 and len(in_helper[1]) == stats["year_totals"]
