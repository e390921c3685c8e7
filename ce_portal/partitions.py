"""Year partitions of the largest tables on PostgreSQL (docs/scaling.md).

A city receives millions of platform records a year and queries them, and its claims, a year at a time: one
partition per year lets those queries read one year's table and indexes, and lets an old year of platform
records leave the live database by detaching its partition (then archived with pg_dump and dropped) instead of
a DELETE of millions of rows.
The migration that made the tables partitioned created the years they held; the beat task creates the
current and the next year ahead of time; a DEFAULT partition catches a year nobody created, whose rows move
to their own partition when it is made. The SQLite demo has no partitions: everything here is a no-op there.
"""
import datetime as dt
import re
from dataclasses import dataclass

from django.db import connection, transaction

# Tables partitioned BY RANGE (year), one partition per year named <table>_y<year>, plus <table>_default.
YEAR_PARTITIONED_TABLES = ("records_platformrecord", "records_claim")

# The tables whose old years may leave the live database. A claim's evidence files, review decisions and
# screening flags would have to leave with it, and archiving those together is not built: claims stay.
DETACHABLE_TABLES = ("records_platformrecord",)

# A year stays in the live database while it can still change: its own year and the next (the filing and
# review close early in the next year, and returned claims may come back after it). Earlier years may go.
_KEPT_YEARS = 2

_NAME = re.compile(r"_y(\d{4})$")


def partition_name(table: str, year: int) -> str:
    return f"{table}_y{year}"


def default_partition_name(table: str) -> str:
    return f"{table}_default"


def years_ahead(today: dt.date) -> tuple[int, ...]:
    """The years whose partitions must exist on `today`: this one, and the next before it begins."""
    return (today.year, today.year + 1)


def detach_refusal(year: int, today: dt.date) -> str | None:
    """Why `year` may not leave the live database on `today`, or None."""
    if year > today.year - _KEPT_YEARS:
        return f"{year} 年度的数据仍可能变化（当年及次年的申报、审核尚未全部结束），只能分离 {today.year - _KEPT_YEARS} 年及以前的年度。"
    return None


@dataclass(frozen=True)
class Partition:
    table: str
    name: str
    year: int | None  # None for the DEFAULT partition
    rows: int
    bytes: int


def _attached(cursor, table: str) -> dict[str, int]:
    """The names of `table`'s partitions, with their size in bytes (indexes included)."""
    cursor.execute(
        "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = %s::regclass",
        [table],
    )
    return dict(cursor.fetchall())


def _year_of(name: str) -> int | None:
    match = _NAME.search(name)
    return int(match.group(1)) if match else None


def year_partitions(table: str) -> list[Partition]:
    """The partitions attached to `table`, by year (the DEFAULT partition last), with exact row counts."""
    if connection.vendor != "postgresql":
        return []
    partitions = []
    with connection.cursor() as cursor:
        for name, size in _attached(cursor, table).items():
            cursor.execute(f'SELECT count(*) FROM "{name}"')
            partitions.append(Partition(table, name, _year_of(name), cursor.fetchone()[0], size))
    return sorted(partitions, key=lambda p: (p.year is None, p.year or 0))


def year_detached(table: str, year: int, *, today: dt.date) -> bool:
    """Whether `year`'s rows of `table` may have left the live database: a year old enough to detach whose
    partition is not attached (any row of it a platform sent since waits in DEFAULT and is read as usual)."""
    if connection.vendor != "postgresql" or detach_refusal(year, today):
        return False
    with connection.cursor() as cursor:
        return partition_name(table, year) not in _attached(cursor, table)


def _create_year_partition(cursor, table: str, year: int) -> None:
    """Create `year`'s partition of `table`, moving into it the rows of that year the DEFAULT partition
    caught: PostgreSQL refuses a new partition whose rows still sit in the DEFAULT one."""
    name, default = partition_name(table, year), default_partition_name(table)
    # A partitioned table keeps no storage parameters of its own; its partitions share the DEFAULT one's (the
    # claims' fillfactor, which keeps the nightly overdue marking's updates on their page).
    cursor.execute("SELECT reloptions FROM pg_class WHERE oid = %s::regclass", [default])
    options = cursor.fetchone()[0]
    storage = f" WITH ({', '.join(options)})" if options else ""
    cursor.execute(f'CREATE TABLE "{name}" (LIKE "{table}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS){storage}')
    cursor.execute(
        f'WITH moved AS (DELETE FROM "{default}" WHERE year = %s RETURNING *) INSERT INTO "{name}" SELECT * FROM moved',
        [year],
    )
    # Attaching builds the partition's copies of the parent's indexes and checks that no row is out of range.
    cursor.execute(f'ALTER TABLE "{table}" ATTACH PARTITION "{name}" FOR VALUES FROM (%s) TO (%s)', [year, year + 1])


def year_partitions_ensure(years) -> list[str]:
    """Create the partitions of `years` that are missing, for every partitioned table; return their names.
    Safe to run any number of times, and concurrently (a transaction-level lock per table)."""
    if connection.vendor != "postgresql":
        return []
    created = []
    for table in YEAR_PARTITIONED_TABLES:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"partitions:{table}"])
            have = {_year_of(name) for name in _attached(cursor, table)}
            for year in sorted(set(years) - have):
                _create_year_partition(cursor, table, year)
                created.append(partition_name(table, year))
    return created


class PartitionRefused(Exception):
    pass


def _detachable(cursor, table: str, year: int, today: dt.date) -> str:
    """The name of `year`'s partition of `table` if it may be detached on `today`; PartitionRefused otherwise."""
    if connection.vendor != "postgresql":
        raise PartitionRefused("只有 PostgreSQL 上的部署按年度分区。")
    if table not in DETACHABLE_TABLES:
        raise PartitionRefused(f"{table} 的年度分区不能分离（只有平台登记学时可以分离归档）。")
    refusal = detach_refusal(year, today)
    if refusal:
        raise PartitionRefused(refusal)
    name = partition_name(table, year)
    if name not in _attached(cursor, table):
        raise PartitionRefused(f"{table} 没有 {year} 年度的分区（可能已经分离）。")
    return name


def year_partition_detach_rows(table: str, year: int, *, today: dt.date) -> int:
    """How many rows detaching `year`'s partition of `table` would take out; PartitionRefused if it may not."""
    with connection.cursor() as cursor:
        name = _detachable(cursor, table, year, today)
        cursor.execute(f'SELECT count(*) FROM "{name}"')
        return cursor.fetchone()[0]


def year_partition_detach(table: str, year: int, *, today: dt.date) -> str:
    """Detach `year`'s partition of `table`: it stays as a table of its own, out of every query of the
    portal, to be archived (pg_dump -t) and dropped by the operator. Returns its name."""
    with transaction.atomic(), connection.cursor() as cursor:
        name = _detachable(cursor, table, year, today)
        cursor.execute(f'ALTER TABLE "{table}" DETACH PARTITION "{name}"')
    return name


def year_partition_attach(table: str, year: int) -> str:
    """Attach again `year`'s partition of `table` that was detached and not yet dropped: a detach undone, its
    rows back in every query. Returns its name."""
    if connection.vendor != "postgresql":
        raise PartitionRefused("只有 PostgreSQL 上的部署按年度分区。")
    name, default = partition_name(table, year), default_partition_name(table)
    with transaction.atomic(), connection.cursor() as cursor:
        if name in _attached(cursor, table):
            raise PartitionRefused(f"{name} 已经是 {table} 的 {year} 年度分区，无需挂回。")
        cursor.execute("SELECT to_regclass(%s)", [name])
        if cursor.fetchone()[0] is None:
            raise PartitionRefused(f"没有表 {name}：它已被删除。先从归档恢复（pg_restore -t {name}），再挂回。")
        # PostgreSQL refuses the partition while the DEFAULT one holds rows of its year; those came after the
        # detach and are not the archive's to merge silently.
        cursor.execute(f'SELECT count(*) FROM "{default}" WHERE year = %s', [year])
        waiting = cursor.fetchone()[0]
        if waiting:
            raise PartitionRefused(
                f"分离之后又有 {waiting} 行 {year} 年度的数据进入了 {default}，不能直接挂回；请先核对这些数据。"
            )
        cursor.execute(f'ALTER TABLE "{table}" ATTACH PARTITION "{name}" FOR VALUES FROM (%s) TO (%s)',
                       [year, year + 1])
    return name

