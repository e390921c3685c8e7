"""A plain table made partitioned by year on PostgreSQL, and back, keeping every row and id (migrations 0033 and
0034; ce_portal/partitions.py runs the partitions afterwards). Part of the migrations: change it only by adding.

PostgreSQL cannot partition a table in place: the table is renamed, a partitioned one of the same columns is
made with a partition for each year it holds (and this year and the next) and a DEFAULT one, every row is
copied with its id, the identity goes on after the highest, and the indexes and foreign keys the table had are
built again once the rows are in. The table's storage parameters (the claims' fillfactor, migration 0007) go
to every partition, and back to the plain table: a partitioned table holds no rows and takes none itself.
The primary key becomes (id, year): a partitioned table's unique indexes must hold the partition key. Unique constraints and keys from other tables to this one are the calling
migration's to handle first.
"""
import datetime as dt
from zoneinfo import ZoneInfo


def _shape(cursor, table: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The table's plain indexes (not those of a constraint) and its foreign keys, as definitions."""
    cursor.execute(
        "SELECT indexdef FROM pg_indexes i WHERE schemaname = current_schema() AND tablename = %s"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname)",
        [table],
    )
    indexes = [definition for (definition,) in cursor.fetchall()]
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' AND conrelid = %s::regclass",
        [table],
    )
    return indexes, cursor.fetchall()


def _rebuild(cursor, table: str, *, primary_key: str, indexes: list[str], foreign_keys) -> None:
    cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY ({primary_key})")
    for definition in indexes:
        cursor.execute(definition)
    for name, definition in foreign_keys:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def _storage(cursor, table: str) -> str:
    """`table`'s storage parameters as a WITH clause ("" when it has none)."""
    cursor.execute("SELECT reloptions FROM pg_class WHERE oid = %s::regclass", [table])
    options = cursor.fetchone()[0]
    return f" WITH ({', '.join(options)})" if options else ""


def _copy(cursor, source: str, target: str) -> None:
    """Every row from `source` to `target`, ids kept, and `target`'s identity going on after the highest."""
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [source])
    source_sequence = cursor.fetchone()[0]
    cursor.execute(f"INSERT INTO {target} OVERRIDING SYSTEM VALUE SELECT * FROM {source}")
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{target}', 'id'), "
        f"GREATEST((SELECT max(id) FROM {target}), (SELECT last_value FROM {source_sequence})))"
    )


def _sequence_named_after(cursor, table: str) -> None:
    """The new table's identity sequence took a suffixed name while the old one lived; give it the usual one."""
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    sequence = cursor.fetchone()[0]
    if sequence.split(".")[-1] != f"{table}_id_seq":
        cursor.execute(f"ALTER SEQUENCE {sequence} RENAME TO {table}_id_seq")


def partition_by_year(cursor, table: str) -> None:
    old = f"{table}_unpartitioned"
    indexes, foreign_keys = _shape(cursor, table)
    cursor.execute(f"ALTER TABLE {table} RENAME TO {old}")
    cursor.execute(
        f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY) "
        "PARTITION BY RANGE (year)"
    )
    this_year = dt.datetime.now(ZoneInfo("Asia/Shanghai")).year
    storage = _storage(cursor, old)
    cursor.execute(f"SELECT DISTINCT year FROM {old}")
    for year in sorted({year for (year,) in cursor.fetchall()} | {this_year, this_year + 1}):
        cursor.execute(
            f"CREATE TABLE {table}_y{year} PARTITION OF {table} FOR VALUES FROM ({year}) TO ({year + 1}){storage}"
        )
    cursor.execute(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT{storage}")
    _copy(cursor, old, table)
    cursor.execute(f"DROP TABLE {old}")  # frees the index names for the new table's
    _sequence_named_after(cursor, table)
    _rebuild(cursor, table, primary_key="id, year", indexes=indexes, foreign_keys=foreign_keys)


def unpartition_by_year(cursor, table: str) -> None:
    old = f"{table}_partitioned"
    indexes, foreign_keys = _shape(cursor, table)
    cursor.execute(f"ALTER TABLE {table} RENAME TO {old}")
    storage = _storage(cursor, f"{table}_default")
    cursor.execute(
        f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY){storage}"
    )
    _copy(cursor, old, table)
    cursor.execute(f"DROP TABLE {old}")  # its partitions with it
    _sequence_named_after(cursor, table)
    _rebuild(cursor, table, primary_key="id", indexes=indexes, foreign_keys=foreign_keys)
