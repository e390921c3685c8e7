from django.core.management import call_command

from platforms.registry.models import LearningPlatform, TrainingBase
from records.hours.models import RequirementPolicy
from records.people.models import Region


def test_annexes_are_loaded_by_migration(db):
    assert LearningPlatform.objects.filter(category="public").count() == 7
    assert LearningPlatform.objects.filter(category="professional").count() == 3
    assert TrainingBase.objects.filter(level="provincial").get().name == "平顶山工业职业技术学院"
    assert TrainingBase.objects.filter(level="city").count() == 4
    city = Region.objects.get(level="city")
    assert city.name == "平顶山市"
    counties = set(city.children.values_list("name", flat=True))
    assert {"城乡一体化示范区", "高新区", "汝州市", "舞钢市", "新华区"} <= counties
    assert len(counties) == 12
    pds = LearningPlatform.objects.get(name="平顶山市专业技术人员在线学习平台")
    assert (pds.operator, pds.url, pds.phone) == ("平顶山市技师学院", "http://pds.hnjxedu.org.cn/", "0371-53616065")


def test_loading_twice_changes_nothing_and_keeps_city_edits(db):
    platform = LearningPlatform.objects.get(name="河南科技大学")
    platform.active = False
    platform.years_approved = [2023, 2024]
    platform.save()
    before = (Region.objects.count(), LearningPlatform.objects.count(), TrainingBase.objects.count())

    call_command("load_reference_data")

    assert (Region.objects.count(), LearningPlatform.objects.count(), TrainingBase.objects.count()) == before
    platform.refresh_from_db()
    assert platform.active is False and platform.years_approved == [2023, 2024]


def test_policy_is_seeded_for_2023_and_later_years_inherit_it(db):
    policy_2023 = RequirementPolicy.objects.get(year=2023)
    assert (policy_2023.total, policy_2023.public, policy_2023.professional) == (90, 30, 60)
    policy_2026 = RequirementPolicy.objects.for_year(2026)
    assert (policy_2026.total, policy_2026.public, policy_2026.professional) == (90, 30, 60)
    # From 2026 filing closes ten working days before the review close (issue 14), earlier years at year end.
    assert str(policy_2026.filing_close) == "2026-12-17 23:59:59+08:00"
    assert str(RequirementPolicy.objects.for_year(2025).filing_close) == "2025-12-31 23:59:59+08:00"
