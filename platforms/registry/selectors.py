"""Reads of the approved learning platforms (附件1, 附件2) and the CE bases (附件3), for the public page."""
from platforms.registry.models import LearningPlatform, TrainingBase
from records.hours.models import SubjectCategory


def platform_years() -> list[int]:
    """Every year some active platform is approved for, newest first (a few dozen rows: read whole)."""
    years = {year for approved in LearningPlatform.objects.filter(active=True).values_list("years_approved", flat=True)
             for year in approved}
    return sorted(years, reverse=True)


def approved_platforms(year: int) -> dict[str, list[LearningPlatform]]:
    """The year's approved platforms by subject category (public first), provincial before city, by name."""
    by_category = {SubjectCategory.PUBLIC: [], SubjectCategory.PROFESSIONAL: []}
    for platform in LearningPlatform.objects.filter(active=True).order_by("level", "name"):
        if platform.is_approved_for(year):
            by_category.setdefault(platform.category, []).append(platform)
    return by_category


def active_training_bases() -> list[TrainingBase]:
    return list(TrainingBase.objects.filter(active=True))
