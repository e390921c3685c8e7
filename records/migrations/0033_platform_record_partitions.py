"""Platform records partitioned by year on PostgreSQL (ce_portal/partitions.py, docs/scaling.md), by the way
records/migrations/_year_partitions.py describes. A partitioned table's unique indexes must hold the year, so
the platform's external id, unique across years, is kept by a key table that statement triggers keep: a second
record under an id a platform used in another year fails there. The SQLite demo, not partitioned, only changes
the unique constraint. Both ways keep every row (tests/records/test_migration_partitions.py).
"""
from django.db import migrations, models

from records.migrations._year_partitions import partition_by_year, unpartition_by_year

TABLE = "records_platformrecord"
KEYS = "records_platformrecordkey"

NEW_UNIQUE = models.UniqueConstraint(
    fields=["platform", "external_id", "year"], name="platform_record_unique_external_id_year"
)


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        # The screening flags' key to this table went in audits 0011; nothing else references it.
        partition_by_year(cursor, TABLE)
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
        """)
        unpartition_by_year(cursor, TABLE)


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
