"""Encrypts the ID and phone numbers already stored and fills the ID numbers' digests, in batches so a city's
200,000 people never sit in memory at once. Plain SQL through the migration's connection, the same on SQLite
and PostgreSQL: the historical models' fields would try to decrypt the plain values they read."""
from django.db import migrations

from ce_portal.crypto import decrypt, encrypt, lookup_digest

BATCH = 2000


def _in_batches(schema_editor, table: str, columns: list[str], convert):
    """Rewrites `columns` of every row of `table`, `convert`ing each non-empty value, id by id."""
    quote = schema_editor.quote_name
    select = (f"SELECT id, {', '.join(map(quote, columns))} FROM {quote(table)} WHERE id > %s ORDER BY id LIMIT "
              f"{BATCH}")
    update = f"UPDATE {quote(table)} SET {', '.join(f'{quote(c)} = %s' for c in columns)} WHERE id = %s"
    last = 0
    with schema_editor.connection.cursor() as cursor:
        while True:
            cursor.execute(select, [last])
            rows = cursor.fetchall()
            if not rows:
                return
            cursor.executemany(update, [[*convert(values), pk] for pk, *values in rows])
            last = rows[-1][0]


def _maybe(function, value):
    return function(value) if value else value


def forwards(apps, schema_editor):
    _in_batches(schema_editor, apps.get_model("records", "Professional")._meta.db_table,
                ["id_number", "phone", "id_number_digest"],
                lambda values: (encrypt(values[0]), _maybe(encrypt, values[1]), lookup_digest(values[0])))
    _in_batches(schema_editor, apps.get_model("records", "RecordClaim")._meta.db_table, ["phone"],
                lambda values: (_maybe(encrypt, values[0]),))


def backwards(apps, schema_editor):
    _in_batches(schema_editor, apps.get_model("records", "Professional")._meta.db_table,
                ["id_number", "phone", "id_number_digest"],
                lambda values: (decrypt(values[0]), _maybe(decrypt, values[1]), None))
    _in_batches(schema_editor, apps.get_model("records", "RecordClaim")._meta.db_table, ["phone"],
                lambda values: (_maybe(decrypt, values[0]),))


class Migration(migrations.Migration):

    dependencies = [
        ("records", "0019_personal_data_encrypted"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
