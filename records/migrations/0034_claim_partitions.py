"""Claims partitioned by year on PostgreSQL (docs/scaling.md), by the way records/migrations/_year_partitions.py
describes; the keys other tables hold to a claim lose their database constraint first (here and in audits 0012),
as a key to a partitioned table would have to hold the year. Both ways keep every row
(tests/records/test_migration_partitions.py)."""

import django.db.models.deletion
from django.db import migrations, models

from records.migrations._year_partitions import partition_by_year, unpartition_by_year


def partition(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            partition_by_year(cursor, "records_claim")


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            unpartition_by_year(cursor, "records_claim")


class Migration(migrations.Migration):

    dependencies = [
        ('records', '0033_platform_record_partitions'),
        ('audits', '0012_claim_keys_unconstrained'),
    ]

    operations = [
        migrations.AlterField(
            model_name='evidencefile',
            name='claim',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='evidence', to='records.claim', verbose_name='学时申报'),
        ),
        migrations.AlterField(
            model_name='sessionattendance',
            name='claim',
            field=models.OneToOneField(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='attendance', to='records.claim', verbose_name='预填申报'),
        ),
        migrations.RunPython(partition, unpartition),
    ]
