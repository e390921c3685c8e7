import datetime as dt
from decimal import Decimal

from platforms.registry.models import LearningPlatform
from records.hours.models import PlatformRecord
from records.hours.selectors import credited_hours
from records.hours.services import add_to_year_totals, recompute_year_totals, year_deltas

D = Decimal


def test_deltas_sum_per_person_year_and_category():
    deltas = year_deltas([(1, 2025, "public", D("2.5")), (1, 2025, "public", D("1")),
                          (1, 2025, "professional", D("4")), (1, 2026, "public", D("3"))])
    assert deltas == {(1, 2025): (D("3.5"), D("4")), (1, 2026): (D("3"), D("0"))}


def test_upsert_adds_to_existing_totals_and_subtracts(alice):
    add_to_year_totals({(alice.pk, 2025): (D("10"), D("0"))})
    add_to_year_totals({(alice.pk, 2025): (D("2.5"), D("60"))})
    assert credited_hours(alice.pk, 2025) == (D("12.5"), D("60"))
    add_to_year_totals({(alice.pk, 2025): (D("-2.5"), D("0"))})
    assert credited_hours(alice.pk, 2025) == (D("10"), D("60"))
    assert credited_hours(alice.pk, 2024) == (D("0"), D("0"))


def test_recompute_rebuilds_from_credited_rows_only(alice):
    platform = LearningPlatform.objects.filter(category="public").first()
    at = dt.datetime(2025, 5, 1, 10, tzinfo=dt.timezone.utc)
    common = dict(platform=platform, professional=alice, category="public", completed_at=at, year=2025, content_hash="x")
    PlatformRecord.objects.create(external_id="a", course_title="课程一", hours=D("6"), **common)
    PlatformRecord.objects.create(external_id="b", course_title="课程二", hours=D("4"), credit_revoked_at=at, **common)
    add_to_year_totals({(alice.pk, 2025): (D("99"), D("99"))})  # drifted

    recompute_year_totals([(alice.pk, 2025)])

    assert credited_hours(alice.pk, 2025) == (D("6"), D("0"))
