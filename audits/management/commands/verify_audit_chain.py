from django.core.management.base import BaseCommand, CommandError

from audits.trail.models import AuditEvent
from audits.trail.services import verify_chain


class Command(BaseCommand):
    help = "校验审计日志哈希链，报告第一个断开的环节。"

    def handle(self, *args, **options):
        events = AuditEvent.objects.order_by("id").iterator(chunk_size=5000)
        broken = verify_chain(events)
        if broken:
            raise CommandError(f"审计日志哈希链在第 {broken.event_id} 条断开：{broken.problem}")
        self.stdout.write(f"审计日志哈希链完整，共 {AuditEvent.objects.count()} 条。")
