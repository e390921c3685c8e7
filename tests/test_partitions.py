"""Platform records partitioned by year on PostgreSQL (ce_portal/partitions.py): a year's query reads one
partition, next year's partition is made ahead, a year nobody made waits in the DEFAULT partition and moves
when it is made, an old year can be detached, and an external id stays unique across years."""
import datetime as dt
import threading
import time
from decimal import Decimal as D
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, connections, transaction
from django.urls import reverse

from ce_portal.partitions import (
    PartitionRefused, year_partition_attach, year_partition_detach, year_partitions, year_partitions_ensure,
)
from ce_portal.tasks import create_year_partitions
from platforms.ingest.rules import CONFLICT
from platforms.ingest.services import platform_records_ingest
from records.hours.models import Claim, PlatformRecord
from records.hours.services import add_to_year_totals
from tests.factories import SHANGHAI, ClaimFactory, ProfessionalFactory, UnitFactory
from tests.platforms.helpers import NOW, make_platform, record_for

TABLE = "records_platformrecord"


def add_record(platform, person, year: int, n: int) -> PlatformRecord:
    return PlatformRecord.objects.create(
        platform=platform, external_id=f"R-{year}-{n}", professional=person, course_title="课程", category="public",
        hours=D("2.5"), completed_at=dt.datetime(year, 5, 1, 10, tzinfo=SHANGHAI), year=year, content_hash="h",
    )


def partition_of(record: PlatformRecord) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {TABLE} WHERE id = %s", [record.pk])
        return cursor.fetchone()[0]


@pytest.fixture
def platform(db):
    return make_platform("public")


@pytest.fixture
def person(db):
    return ProfessionalFactory()


def test_a_years_query_reads_only_that_years_partition(platform, person):
    year_partitions_ensure([2024, 2025])
    for year in (2024, 2025):
        add_record(platform, person, year, 1)

    plan = PlatformRecord.objects.filter(professional=person, year=2025).explain()

    assert f"{TABLE}_y2025" in plan
    assert f"{TABLE}_y2024" not in plan and f"{TABLE}_default" not in plan


def test_a_persons_claims_of_a_year_are_read_from_that_years_partition(db):
    person = ProfessionalFactory(unit=UnitFactory())
    year_partitions_ensure([2024, 2025])
    for year in (2024, 2025):
        ClaimFactory(professional=person, year=year, start_date=dt.date(year, 3, 1), end_date=dt.date(year, 3, 1))

    plan = Claim.objects.filter(professional=person, year=2025).explain()

    assert "records_claim_y2025" in plan
    assert "records_claim_y2024" not in plan and "records_claim_default" not in plan


def test_claims_are_not_detached(db):
    with pytest.raises(PartitionRefused, match="只有平台登记学时可以分离归档"):
        year_partition_detach("records_claim", 2020, today=dt.date(2026, 12, 1))


def test_a_year_without_a_partition_waits_in_default_and_moves_when_its_partition_is_made(platform, person):
    records = [add_record(platform, person, 2031, n) for n in range(3)]
    assert {partition_of(r) for r in records} == {f"{TABLE}_default"}

    assert year_partitions_ensure([2031]) == [f"{TABLE}_y2031", "records_claim_y2031"]

    assert {partition_of(r) for r in records} == {f"{TABLE}_y2031"}
    assert PlatformRecord.objects.filter(year=2031).count() == 3
    by_name = {p.name: p.rows for p in year_partitions(TABLE)}
    assert by_name[f"{TABLE}_y2031"] == 3 and by_name[f"{TABLE}_default"] == 0
    assert year_partitions_ensure([2031]) == []  # made once


def test_a_claims_partition_made_later_keeps_room_on_its_pages_for_the_overdue_marking(db):
    year_partitions_ensure([2033])
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, reloptions FROM pg_class WHERE relname = ANY(%s)",
                       [["records_claim_y2033", "records_claim_default", f"{TABLE}_y2033"]])
        options = dict(cursor.fetchall())
    assert options == {"records_claim_y2033": ["fillfactor=85"], "records_claim_default": ["fillfactor=85"],
                       f"{TABLE}_y2033": None}


def test_the_nightly_task_makes_the_coming_year_before_it_begins(db):
    with time_machine.travel(dt.datetime(2032, 12, 31, 23, 0, tzinfo=SHANGHAI), tick=False):
        made = create_year_partitions()
    assert made == [f"{TABLE}_y2032", f"{TABLE}_y2033", "records_claim_y2032", "records_claim_y2033"]
    assert {f"{TABLE}_y2032", f"{TABLE}_y2033"} <= {p.name for p in year_partitions(TABLE)}
    assert {"records_claim_y2032", "records_claim_y2033"} <= {p.name for p in year_partitions("records_claim")}


def test_an_old_year_is_detached_with_its_rows_and_a_recent_one_is_refused(platform, person):
    year_partitions_ensure([2022, 2025])
    old = [add_record(platform, person, 2022, n) for n in range(2)]
    add_record(platform, person, 2025, 1)
    today = dt.date(2026, 12, 1)

    with pytest.raises(PartitionRefused, match="2025 年度的数据仍可能变化"):
        year_partition_detach(TABLE, 2025, today=today)
    assert year_partition_detach(TABLE, 2022, today=today) == f"{TABLE}_y2022"

    assert not PlatformRecord.objects.filter(year=2022).exists()
    assert PlatformRecord.objects.filter(year=2025).count() == 1
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {TABLE}_y2022 ORDER BY id")
        assert [row[0] for row in cursor.fetchall()] == [r.pk for r in old]
    with pytest.raises(PartitionRefused, match="没有 2022 年度的分区"):
        year_partition_detach(TABLE, 2022, today=today)


def test_the_command_lists_the_partitions_and_explains_a_refusal(platform, person):
    year_partitions_ensure([2025])
    add_record(platform, person, 2025, 1)
    out = StringIO()
    call_command("year_partitions", stdout=out)
    assert "2025 年度" in out.getvalue() and f"{TABLE}_y2025" in out.getvalue()
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, tzinfo=SHANGHAI), tick=False):
        with pytest.raises(CommandError, match="只能分离 2024 年及以前的年度"):
            call_command("year_partitions", "--detach", "2025", stdout=StringIO())


def test_the_command_detaches_only_after_the_year_is_typed_and_attaches_it_back(platform, person, monkeypatch):
    year_partitions_ensure([2022])
    old = [add_record(platform, person, 2022, n) for n in range(3)]
    asked = []

    def answer(text):
        def typed(prompt):
            asked.append(prompt)
            return text
        return typed

    with time_machine.travel(dt.datetime(2026, 12, 1, 9, tzinfo=SHANGHAI), tick=False):
        out = StringIO()
        monkeypatch.setattr("builtins.input", answer("2021"))
        with pytest.raises(CommandError, match="未确认，未做任何更改"):
            call_command("year_partitions", "--detach", "2022", stdout=out)
        assert "将分离 2022 年度的 3 条平台登记学时" in out.getvalue() and asked == ["输入 2022 确认分离："]
        assert PlatformRecord.objects.filter(year=2022).count() == 3

        monkeypatch.setattr("builtins.input", answer("2022"))
        out = StringIO()
        call_command("year_partitions", "--detach", "2022", stdout=out)
        assert f"已分离 {TABLE}_y2022" in out.getvalue() and "--attach 2022" in out.getvalue()
        assert not PlatformRecord.objects.filter(year=2022).exists()

    out = StringIO()
    call_command("year_partitions", "--attach", "2022", stdout=out)
    assert f"已挂回 {TABLE}_y2022" in out.getvalue()
    assert sorted(PlatformRecord.objects.filter(year=2022).values_list("pk", flat=True)) == [r.pk for r in old]
    with pytest.raises(CommandError, match="无需挂回"):
        call_command("year_partitions", "--attach", "2022", stdout=StringIO())


def test_a_dropped_year_or_one_with_newer_rows_is_not_attached(platform, person):
    year_partitions_ensure([2021, 2022])
    add_record(platform, person, 2021, 1)
    add_record(platform, person, 2022, 1)
    today = dt.date(2026, 12, 1)
    year_partition_detach(TABLE, 2021, today=today)
    year_partition_detach(TABLE, 2022, today=today)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's transaction holds the inserts' key checks
        cursor.execute(f"DROP TABLE {TABLE}_y2021")
    with pytest.raises(PartitionRefused, match="它已被删除"):
        year_partition_attach(TABLE, 2021)

    add_record(platform, person, 2022, 2)  # arrived after the detach: it waits in DEFAULT
    with pytest.raises(PartitionRefused, match="又有 1 行 2022 年度的数据"):
        year_partition_attach(TABLE, 2022)
    assert list(PlatformRecord.objects.filter(year=2022).values_list("external_id", flat=True)) == ["R-2022-2"]


def test_detaching_without_a_terminal_asks_for_no_input(platform, person, monkeypatch):
    year_partitions_ensure([2022])
    add_record(platform, person, 2022, 1)

    def no_terminal(prompt):
        raise EOFError

    monkeypatch.setattr("builtins.input", no_terminal)
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, tzinfo=SHANGHAI), tick=False):
        with pytest.raises(CommandError, match="请加 --no-input"):
            call_command("year_partitions", "--detach", "2022", stdout=StringIO())
        assert PlatformRecord.objects.filter(year=2022).count() == 1
        call_command("year_partitions", "--detach", "2022", "--no-input", stdout=StringIO())
    assert not PlatformRecord.objects.filter(year=2022).exists()


def test_an_external_id_used_in_one_year_is_refused_in_another(platform, person):
    """The key table's trigger: the guard when two batches race with one id under two years."""
    add_record(platform, person, 2025, 1)
    with pytest.raises(IntegrityError, match="records_platformrecordkey"), transaction.atomic():
        PlatformRecord.objects.create(
            platform=platform, external_id="R-2025-1", professional=person, course_title="课程", category="public",
            hours=D("1"), completed_at=dt.datetime(2024, 5, 1, tzinfo=SHANGHAI), year=2024, content_hash="h",
        )
    assert PlatformRecord.objects.filter(external_id="R-2025-1").count() == 1
    # A deleted record (the portal deletes none; a test or a demo reload may) frees its id.
    PlatformRecord.objects.filter(external_id="R-2025-1").delete()
    add_record(platform, person, 2025, 1)
    assert PlatformRecord.objects.filter(external_id="R-2025-1").count() == 1


def test_a_resend_under_another_year_is_a_conflict_not_a_second_record(platform, person):
    first = platform_records_ingest(platform=platform, records=[record_for(person, 1)], now=NOW)
    moved = record_for(person, 1, completed_at="2024-12-30T10:30:00+08:00")
    again = platform_records_ingest(platform=platform, records=[moved], now=NOW)

    assert [o.status for o in first] == ["created"]
    assert [(o.status, o.rejection) for o in again] == [("rejected", CONFLICT)]
    assert PlatformRecord.objects.filter(external_id="EXT-1").count() == 1


def _wait_for_a_backend_waiting_on_a_lock() -> None:
    with connection.cursor() as cursor:
        for _ in range(200):
            # pg_locks, not pg_stat_activity: the activity is read once per transaction, and this one is open.
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError("the second batch never waited for the first")


@pytest.mark.django_db(transaction=True)
def test_two_batches_racing_with_one_id_under_two_years_register_it_once_and_tell_the_second_a_conflict():
    platform = make_platform("public", years_approved=[2025, 2026])
    person = ProfessionalFactory()
    # Early January both years are open: the last's filing closes weeks into the next.
    now = dt.datetime(2026, 1, 5, 10, tzinfo=SHANGHAI)
    second_batch = [record_for(person, 1, completed_at="2026-01-02T10:30:00+08:00")]
    outcomes, errors = [], []

    def push_second():
        try:
            outcomes.extend(platform_records_ingest(platform=platform, records=second_batch, now=now))
        except Exception as error:  # re-raised below: a thread's exception would otherwise vanish
            errors.append(error)
        finally:
            connections.close_all()

    with transaction.atomic():
        first_batch = [record_for(person, 1, completed_at="2025-12-30T10:30:00+08:00")]
        first = platform_records_ingest(platform=platform, records=first_batch, now=now)
        # The second batch looks for the id before the first has committed: it finds none, inserts its
        # record under another year and then waits on the first's entry in the key table.
        second = threading.Thread(target=push_second)
        second.start()
        _wait_for_a_backend_waiting_on_a_lock()
    second.join(timeout=10)

    assert not errors, errors
    assert [o.status for o in first] == ["created"]
    assert [(o.status, o.rejection) for o in outcomes] == [("rejected", CONFLICT)]
    assert list(PlatformRecord.objects.filter(external_id="EXT-1").values_list("year", flat=True)) == [2025]


def test_a_persons_detached_year_says_its_records_are_archived_and_keeps_the_totals(client, platform, alice):
    year_partitions_ensure([2023, 2024])
    for year in (2023, 2024):
        add_record(platform, alice, year, 1)
        add_to_year_totals({(alice.pk, year): (D("2.5"), D("0"))})
    client.force_login(alice.user)
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, tzinfo=SHANGHAI), tick=False):
        year_partition_detach(TABLE, 2023, today=dt.date(2026, 12, 1))
        detached = client.get(reverse("records:my_year", args=[2023])).content.decode()
        kept = client.get(reverse("records:my_year", args=[2024])).content.decode()

    assert "2023 年度学习平台登记的学时明细已归档" in detached and "<strong>2.5</strong> / 30 学时" in detached
    assert "本年度还没有登记的学时" not in detached
    assert "明细已归档" not in kept and "课程" in kept
