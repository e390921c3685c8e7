from django.core.management.base import BaseCommand

from platforms.reference import load_reference_data
from platforms.registry.models import LearningPlatform, TrainingBase
from records.hours.models import RequirementPolicy
from records.people.models import Region


class Command(BaseCommand):
    help = "载入通知附件中的区域、学习平台、继续教育基地和学时要求（可重复执行，不覆盖已有数据）。"

    def handle(self, *args, **options):
        created = load_reference_data(
            Region=Region, LearningPlatform=LearningPlatform, TrainingBase=TrainingBase,
            RequirementPolicy=RequirementPolicy,
        )
        self.stdout.write("created: " + ", ".join(f"{k}={v}" for k, v in created.items()))
