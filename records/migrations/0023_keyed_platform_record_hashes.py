"""A platform record's content hash covers the learner's ID number and fields the row holds in clear: kept
keyed from now on (ce_portal.crypto.keyed_content_hash), the stored ones are keyed here, in batches, with
plain SQL (SQLite and PostgreSQL). The same resend still matches: the key wraps the very same hash."""
from django.db import migrations

from ce_portal.crypto import keyed_content_hash

BATCH = 5000


def forwards(apps, schema_editor):
    quote = schema_editor.quote_name
    table = quote(apps.get_model("records", "PlatformRecord")._meta.db_table)
    last = 0
    with schema_editor.connection.cursor() as cursor:
        while True:
            cursor.execute(f"SELECT id, content_hash FROM {table} WHERE id > %s ORDER BY id LIMIT {BATCH}", [last])
            rows = cursor.fetchall()
            if not rows:
                return
            cursor.executemany(f"UPDATE {table} SET content_hash = %s WHERE id = %s",
                               [(keyed_content_hash(stored), pk) for pk, stored in rows])
            last = rows[-1][0]


class Migration(migrations.Migration):

    dependencies = [
        ("records", "0022_professional_usernames"),
    ]

    # A keyed hash cannot be unkeyed: after a rollback, a resend of a record stored before it reads as a
    # conflict (and changes nothing) instead of a duplicate.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
