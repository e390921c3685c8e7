"""A professional's account name was their ID number; it becomes the number's digest
(records.people.selectors.professional_username), so that auth_user holds no plain number. People log in
with their number as before: the log-in form maps it. The accounts of pending claims (RecordClaim) too."""
from django.db import migrations

from ce_portal.crypto import lookup_digest

BATCH = 2000


def _rename(apps, rename):
    """`rename(username, id_number)` for the account of every professional and of every claim on one."""
    User = apps.get_model("auth", "User")
    for model, account in ((apps.get_model("records", "Professional"), "user"),
                           (apps.get_model("records", "RecordClaim"), "user")):
        id_number = "id_number" if model.__name__ == "Professional" else "professional__id_number"
        last = 0
        while True:
            # The historical models' fields decrypt the numbers (they are ce_portal.crypto's own field).
            rows = list(model.objects.filter(pk__gt=last, **{f"{account}__isnull": False}).order_by("pk")
                        .values_list("pk", f"{account}_id", id_number)[:BATCH])
            if not rows:
                break
            accounts = User.objects.in_bulk([user_id for _, user_id, _ in rows])
            changed = []
            for _, user_id, number in rows:
                user = accounts[user_id]
                new = rename(user.username, number)
                if new != user.username:
                    user.username = new
                    changed.append(user)
            User.objects.bulk_update(changed, ["username"])
            last = rows[-1][0]


def forwards(apps, schema_editor):
    _rename(apps, lambda username, number: lookup_digest(number) if username == number else username)


def backwards(apps, schema_editor):
    _rename(apps, lambda username, number: number if username == lookup_digest(number) else username)


class Migration(migrations.Migration):

    dependencies = [
        ("records", "0021_id_number_digest_unique"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
