"""records 0033: platform records become a table partitioned by year on a populated database, and back,
keeping every row: counts, hour sums and ids per year, the screening flag that names a record, and the ids
that follow."""
import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from tests.factories import SHANGHAI
from tests.migration_steps import migrate_to, migrate_to_latest

BEFORE = [("records", "0032_training_sessions"), ("audits", "0010_overdue_snapshot_flagged")]
AFTER = [("records", "0033_platform_record_partitions"), ("audits", "0011_screening_flag_platform_record_unconstrained")]
TABLE = "records_platformrecord"


def figures() -> dict:
    """Per year: rows, hours, the sum of ids and the revoked rows; and every (platform, external id)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT year, count(*), sum(hours), sum(id), count(credit_revoked_at) FROM {TABLE} GROUP BY year ORDER BY year"
        )
        per_year = cursor.fetchall()
        cursor.execute(f"SELECT platform_id, external_id FROM {TABLE} ORDER BY 1, 2")
        return {"per_year": per_year, "keys": cursor.fetchall()}


def partitions_holding_rows() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text, count(*) FROM {TABLE} GROUP BY 1")
        return dict(cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_every_platform_record_survives_partitioning_and_its_reversal():
    try:
        apps = migrate_to(BEFORE)
        LearningPlatform = apps.get_model("platforms", "LearningPlatform")
        Professional, PlatformRecord = apps.get_model("records", "Professional"), apps.get_model("records", "PlatformRecord")
        ScreeningFlag = apps.get_model("audits", "ScreeningFlag")
        platforms = list(LearningPlatform.objects.order_by("pk")[:2])
        people = [Professional.objects.create(name=f"测试{n}", id_number=f"41040219900101{n:04d}") for n in range(5)]
        records = PlatformRecord.objects.bulk_create(
            PlatformRecord(
                platform=platforms[n % 2], external_id=f"R-{n}", professional=people[n % 5], course_title="课程",
                category="public", hours=Decimal("0.5") * (1 + n % 7), year=2023 + n % 3,
                completed_at=dt.datetime(2023 + n % 3, 3, 1 + n % 28, 10, tzinfo=SHANGHAI), content_hash=f"{n}",
                credit_revoked_at=dt.datetime(2025, 1, 2, tzinfo=SHANGHAI) if n % 50 == 0 else None,
            )
            for n in range(600)
        )
        flag = ScreeningFlag.objects.create(
            rule="same_file", platform_record=records[17], professional=records[17].professional, evidence={},
            dedupe_key="test:17", created_at=dt.datetime(2025, 6, 1, tzinfo=SHANGHAI),
        )
        before = figures()
        assert [row[:2] for row in before["per_year"]] == [(2023, 200), (2024, 200), (2025, 200)]

        apps = migrate_to(AFTER)
        assert figures() == before
        holding = partitions_holding_rows()
        assert holding == {f"{TABLE}_y2023": 200, f"{TABLE}_y2024": 200, f"{TABLE}_y2025": 200}
        ScreeningFlag, PlatformRecord = apps.get_model("audits", "ScreeningFlag"), apps.get_model("records", "PlatformRecord")
        assert ScreeningFlag.objects.get(pk=flag.pk).platform_record.external_id == "R-17"
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM records_platformrecordkey")
            assert cursor.fetchone()[0] == 600
        later = PlatformRecord.objects.create(
            platform_id=platforms[0].pk, external_id="R-new", professional_id=people[0].pk, course_title="课程", category="public",
            hours=Decimal("1"), year=2025, completed_at=dt.datetime(2025, 4, 1, tzinfo=SHANGHAI), content_hash="n",
        )
        assert later.pk > max(r.pk for r in records)
        later.delete()
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM records_platformrecordkey")
            assert cursor.fetchone()[0] == 600  # its key went with it

        migrate_to(BEFORE)
        assert figures() == before
        assert partitions_holding_rows() == {TABLE: 600}
    finally:
        migrate_to_latest()
