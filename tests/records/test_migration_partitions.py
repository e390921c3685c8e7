"""records 0033–0034: platform records and claims become tables partitioned by year on a populated database,
and back, keeping every row: counts, hour sums and ids per year, the rows that name a record or a claim, and
the ids that follow."""
import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from tests.factories import SHANGHAI
from tests.migration_steps import migrate_to, migrate_to_latest

BEFORE = [("records", "0032_training_sessions"), ("audits", "0010_overdue_snapshot_flagged")]
AFTER = [("records", "0034_claim_partitions"), ("audits", "0012_claim_keys_unconstrained")]
TABLE = "records_platformrecord"


def figures() -> dict:
    """Per year and table: rows, hours, the sum of ids and the revoked rows; every (platform, external id); the
    claims the decisions and evidence name."""
    with connection.cursor() as cursor:
        per_year = {}
        for table in (TABLE, "records_claim"):
            cursor.execute(f"SELECT year, count(*), sum(hours), sum(id), count(credit_revoked_at) FROM {table} "
                           "GROUP BY year ORDER BY year")
            per_year[table] = cursor.fetchall()
        cursor.execute(f"SELECT platform_id, external_id FROM {TABLE} ORDER BY 1, 2")
        keys = cursor.fetchall()
        cursor.execute("SELECT d.id, c.id, c.year FROM audits_reviewdecision d JOIN records_claim c ON c.id = d.claim_id "
                       "UNION ALL SELECT e.id, c.id, c.year FROM records_evidencefile e JOIN records_claim c "
                       "ON c.id = e.claim_id ORDER BY 1, 2")
        return {"per_year": per_year, "keys": keys, "named_claims": cursor.fetchall()}


def storage(table: str) -> dict[str, list | None]:
    """The storage parameters of `table`, or of each of its partitions when it has them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname, c.reloptions FROM pg_class c WHERE c.oid = %s::regclass AND c.relkind = 'r' "
                       "UNION ALL SELECT c.relname, c.reloptions FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                       "WHERE i.inhparent = %s::regclass", [table, table])
        return dict(cursor.fetchall())


def partitions_holding_rows(table: str) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text, count(*) FROM {table} GROUP BY 1")
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
        Claim, ReviewDecision = apps.get_model("records", "Claim"), apps.get_model("audits", "ReviewDecision")
        EvidenceFile, User = apps.get_model("records", "EvidenceFile"), apps.get_model("auth", "User")
        reviewer = User.objects.create(username="reviewer")
        for n in range(90):
            year = 2024 + n % 3
            claim = Claim.objects.create(
                professional=people[n % 5], year=year, category="professional", kind="workshop", title="研修班",
                start_date=dt.date(year, 9, 1), end_date=dt.date(year, 9, 1), hours=Decimal("2") + n % 4,
                status="approved" if n % 3 else "draft",
            )
            if n % 3:
                at = dt.datetime(year, 9, 20, 15, tzinfo=SHANGHAI)
                ReviewDecision.objects.create(claim=claim, level=1, action="approve", reviewer=reviewer, on_time=True, at=at)
                EvidenceFile.objects.create(claim=claim, file=f"evidence/{n}", original_name="证书.pdf",
                                            content_type="application/pdf", size=10, sha256=f"{n:064x}",
                                            uploaded_by=reviewer, uploaded_at=at)
        before = figures()
        assert [row[:2] for row in before["per_year"][TABLE]] == [(2023, 200), (2024, 200), (2025, 200)]
        assert [row[:2] for row in before["per_year"]["records_claim"]] == [(2024, 30), (2025, 30), (2026, 30)]
        assert len(before["named_claims"]) == 120
        assert storage("records_claim") == {"records_claim": ["fillfactor=85"]}

        apps = migrate_to(AFTER)
        assert figures() == before
        # the room migration 0007 keeps on a claim's page for the overdue marking's updates, in every partition
        claim_storage = storage("records_claim")
        assert {"records_claim_y2024", "records_claim_default"} <= set(claim_storage)
        assert set(map(tuple, claim_storage.values())) == {("fillfactor=85",)}
        assert partitions_holding_rows(TABLE) == {f"{TABLE}_y2023": 200, f"{TABLE}_y2024": 200, f"{TABLE}_y2025": 200}
        assert partitions_holding_rows("records_claim") == {
            "records_claim_y2024": 30, "records_claim_y2025": 30, "records_claim_y2026": 30}
        assert apps.get_model("audits", "ReviewDecision").objects.filter(claim__year=2025).count() == 30
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
        assert partitions_holding_rows(TABLE) == {TABLE: 600}
        assert partitions_holding_rows("records_claim") == {"records_claim": 90}
        assert storage("records_claim") == {"records_claim": ["fillfactor=85"]}
    finally:
        migrate_to_latest()
