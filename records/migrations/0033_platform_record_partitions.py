"""Platform records partitioned by year on PostgreSQL (ce_portal/partitions.py, docs/scaling.md).

PostgreSQL cannot turn a table into a partitioned one in place: the table is renamed, a partitioned one of the
same columns is made with a partition for every year it holds (and for this year and the next, and a DEFAULT
one), every row is copied, the identity goes on from the old table's, and the indexes are built once the rows
are in. A partitioned table's unique indexes must hold the year, so the platform's external id, unique
across years, is kept by a key table that a statement trigger writes on every insert: a second record under
an id a platform used in another year fails there. The SQLite demo, not partitioned, only changes the unique constraint.

Backwards, the rows go back to one plain table with the old constraint. Both ways keep every row (tests/
records/test_migration_partitions.py compares counts and sums).
"""
import datetime as dt
from zoneinfo import ZoneInfo

from django.db import migrations, models

TABLE = "records_platformrecord"
OLD = "records_platformrecord_unpartitioned"
KEYS = "records_platformrecordkey"

NEW_UNIQUE = models.UniqueConstraint(
    fields=["platform", "external_id", "year"], name="platform_record_unique_external_id_year"
)

FOREIGN_KEYS = f"""
ALTER TABLE {TABLE} ADD CONSTRAINT records_platformrecord_platform_id_fk FOREIGN KEY (platform_id)
    REFERENCES platforms_learningplatform (id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE {TABLE} ADD CONSTRAINT records_platformrecord_professional_id_fk FOREIGN KEY (professional_id)
    REFERENCES records_professional (id) DEFERRABLE INITIALLY DEFERRED;
"""


def _years(cursor, table: str) -> list[int]:
    this_year = dt.datetime.now(ZoneInfo("Asia/Shanghai")).year
    cursor.execute(f"SELECT DISTINCT year FROM {table}")
    return sorted({year for (year,) in cursor.fetchall()} | {this_year, this_year + 1})


def _copy(cursor, source: str, target: str) -> None:
    """Every row from `source` to `target`, ids kept, and `target`'s identity going on after the highest."""
    cursor.execute(f"INSERT INTO {target} OVERRIDING SYSTEM VALUE SELECT * FROM {source}")
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{target}', 'id'), "
        f"GREATEST((SELECT max(id) FROM {target}), (SELECT last_value FROM {_sequence(cursor, source)})))"
    )


def _sequence(cursor, table: str) -> str:
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    return cursor.fetchone()[0]


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {OLD}")
        cursor.execute(
            f"CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY) "
            "PARTITION BY RANGE (year)"
        )
        for year in _years(cursor, OLD):
            cursor.execute(
                f"CREATE TABLE {TABLE}_y{year} PARTITION OF {TABLE} FOR VALUES FROM ({year}) TO ({year + 1})"
            )
        cursor.execute(f"CREATE TABLE {TABLE}_default PARTITION OF {TABLE} DEFAULT")
        _copy(cursor, OLD, TABLE)
        # The screening flags' key to the old table went in audits 0011; nothing else references it.
        cursor.execute(f"DROP TABLE {OLD}")
        cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT records_platformrecord_pkey PRIMARY KEY (id, year)")
        cursor.execute(f"CREATE INDEX platform_record_person_year ON {TABLE} (professional_id, year)")
        cursor.execute(FOREIGN_KEYS)

        cursor.execute(
            # No foreign key: every key comes from a record that has one (and the tests' flush, truncating the
            # platforms, would refuse a table it does not know referencing them).
            f"CREATE TABLE {KEYS} (platform_id bigint NOT NULL, external_id varchar(64) NOT NULL, "
            "PRIMARY KEY (platform_id, external_id))"
        )
        cursor.execute(f"INSERT INTO {KEYS} SELECT platform_id, external_id FROM {TABLE}")
        # One INSERT … SELECT per statement, from the rows the statement inserted: a batch of a thousand
        # records costs one more statement, not a thousand trigger calls.
        cursor.execute(f"""
            CREATE FUNCTION records_platformrecord_keep_keys() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO {KEYS} (platform_id, external_id) SELECT platform_id, external_id FROM inserted;
                RETURN NULL;
            END $$;
            CREATE TRIGGER records_platformrecord_keep_keys AFTER INSERT ON {TABLE}
                REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION records_platformrecord_keep_keys();
            -- The portal never deletes a record; a test or a demo reload that does frees its id again.
            CREATE FUNCTION records_platformrecord_drop_keys() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                DELETE FROM {KEYS} k USING deleted d WHERE k.platform_id = d.platform_id AND k.external_id = d.external_id;
                RETURN NULL;
            END $$;
            CREATE TRIGGER records_platformrecord_drop_keys AFTER DELETE ON {TABLE}
                REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION records_platformrecord_drop_keys();
            -- The tests' flush empties the records with TRUNCATE; their keys go with them.
            CREATE FUNCTION records_platformrecord_truncate_keys() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                TRUNCATE {KEYS};
                RETURN NULL;
            END $$;
            CREATE TRIGGER records_platformrecord_truncate_keys AFTER TRUNCATE ON {TABLE}
                FOR EACH STATEMENT EXECUTE FUNCTION records_platformrecord_truncate_keys();
        """)


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"""
            DROP TRIGGER records_platformrecord_truncate_keys ON {TABLE};
            DROP TRIGGER records_platformrecord_keep_keys ON {TABLE};
            DROP TRIGGER records_platformrecord_drop_keys ON {TABLE};
            DROP FUNCTION records_platformrecord_drop_keys();
            DROP FUNCTION records_platformrecord_truncate_keys();
            DROP FUNCTION records_platformrecord_keep_keys();
            DROP TABLE {KEYS};
            ALTER TABLE {TABLE} RENAME TO {OLD};
            CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY);
        """)
        _copy(cursor, OLD, TABLE)
        cursor.execute(f"DROP TABLE {OLD}")  # its partitions go with it
        cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT records_platformrecord_pkey PRIMARY KEY (id)")
        cursor.execute(f"CREATE INDEX platform_record_person_year ON {TABLE} (professional_id, year)")
        cursor.execute(FOREIGN_KEYS)


class Migration(migrations.Migration):

    dependencies = [
        ("platforms", "0003_platformtoken"),
        ("records", "0032_training_sessions"),
        ("audits", "0011_screening_flag_platform_record_unconstrained"),
    ]

    # The unique constraint goes before the rows move and comes back after, on the new table (on SQLite the
    # two constraint steps are all there is).
    operations = [
        migrations.RemoveConstraint(model_name="platformrecord", name="platform_record_unique_external_id"),
        migrations.RunPython(partition, unpartition),
        migrations.AddConstraint(model_name="platformrecord", constraint=NEW_UNIQUE),
    ]
