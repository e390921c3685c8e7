"""One person per ID number, now checked on the digest (filled by 0020 for every row)."""
from django.db import migrations

import ce_portal.crypto


class Migration(migrations.Migration):

    dependencies = [
        ("records", "0020_encrypt_personal_data"),
    ]

    operations = [
        migrations.AlterField(
            model_name="professional",
            name="id_number_digest",
            field=ce_portal.crypto.DigestField(
                error_messages={"unique": "该身份证号码已登记。"}, source="id_number", unique=True,
                verbose_name="身份证号码摘要",
            ),
        ),
    ]
