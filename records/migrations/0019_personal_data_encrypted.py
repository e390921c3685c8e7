"""ID and phone numbers encrypted at rest (ce_portal/crypto.py): the columns become text for the ciphertext, the
ID number's uniqueness moves to its keyed digest. The digest is nullable until 0020 has filled it."""
from django.db import migrations

import ce_portal.crypto
import records.people.rules


class Migration(migrations.Migration):

    dependencies = [
        ("records", "0018_claim_level1_region"),
    ]

    operations = [
        migrations.AddField(
            model_name="professional",
            name="id_number_digest",
            field=ce_portal.crypto.DigestField(null=True, source="id_number", verbose_name="身份证号码摘要"),
        ),
        migrations.AlterField(
            model_name="professional",
            name="id_number",
            field=ce_portal.crypto.EncryptedTextField(
                max_length=18, validators=[records.people.rules.validate_id_number], verbose_name="身份证号码"
            ),
        ),
        migrations.AlterField(
            model_name="professional",
            name="phone",
            field=ce_portal.crypto.EncryptedTextField(blank=True, max_length=20, verbose_name="手机号码"),
        ),
        migrations.AlterField(
            model_name="recordclaim",
            name="phone",
            field=ce_portal.crypto.EncryptedTextField(max_length=20, verbose_name="申请人填写的手机号码"),
        ),
    ]
