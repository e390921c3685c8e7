"""Re-encrypts every ID and phone number with the newest of FIELD_ENCRYPTION_KEYS (docs/personal-data.md)."""
from django.core.management.base import BaseCommand

from ce_portal.crypto import field_keys_rotate


class Command(BaseCommand):
    help = "用最新的字段加密密钥（FIELD_ENCRYPTION_KEYS 的第一个）重新加密全部身份证号码和手机号码。"

    def handle(self, *args, **options):
        for label, count in field_keys_rotate().items():
            self.stdout.write(f"{label}: {count} 行已用最新密钥重新加密")
