"""Demo stage (ce_portal/demo/seed.py STAGES): the demo unit with an industry authority has set its own
学时认定标准 — how it counts a face-to-face course, a lecture and its own training — through the real service
(audited). It keeps the notice's 5 working days, so the demo's deadlines read as the notice says. Runs once.
"""
from decimal import Decimal

from django.contrib.auth import get_user_model

from audits.review.models import UnitStandard
from audits.review.services import unit_standard_save
from ce_portal.demo.registry import Seeding, _demo_units
from records.hours.rules import StandardMethod, StandardRule

RULES = [
    StandardRule("face_to_face", StandardMethod.PER_HALF_DAY, Decimal("3")),
    StandardRule("unit_training", StandardMethod.PER_HALF_DAY, Decimal("4")),
    StandardRule("lecture", StandardMethod.YEARLY_CAP, Decimal("20")),
]


def seed_unit_standard(run: Seeding) -> None:
    unit, _ = _demo_units()
    if unit is None or UnitStandard.objects.filter(unit=unit).exists():
        return
    clerk = get_user_model().objects.get(username="demo_unit")
    unit_standard_save(actor=clerk, unit=unit, review_working_days=5, rules=RULES, now=run.now)
    run.stats["unit_standards"] += 1
