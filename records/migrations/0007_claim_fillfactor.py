"""Leave 15 % of every claim page free, so that writes to columns no index holds stay on their page.

The nightly mark-overdue run sets `overdue_since` on every claim that fell due the day before (20,000 on a
bad day, DESIGN.md §2 rule 5). With full pages each such UPDATE writes a new row version elsewhere and an
entry in every index of the table; with room on the page PostgreSQL makes it a heap-only (HOT) update and
touches no index (bench/results/review.md). The setting applies to pages written from now on; a
`VACUUM FULL records_claim` in a maintenance window repacks the existing ones.
"""
from django.db import migrations

FILLFACTOR = 85


def set_fillfactor(apps, schema_editor, value=FILLFACTOR):
    if schema_editor.connection.vendor == "postgresql":  # SQLite has no such storage parameter
        schema_editor.execute(f"ALTER TABLE records_claim SET (fillfactor = {int(value)})")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE records_claim RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("records", "0006_lean_hours_indexes")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor, elidable=False)]
