"""records 0009–0010 and audits 0005: the per-level deadline columns become the claim's current-level deadline
and each decision's own, on a populated database, without losing a row."""
import datetime as dt
from decimal import Decimal

import pytest

from tests.factories import SHANGHAI
from tests.migration_steps import migrate_to, migrate_to_latest

BEFORE = [("records", "0008_download_retention"), ("audits", "0004_screening")]
AFTER = [("records", "0010_claim_drop_level_deadlines"), ("audits", "0005_reviewdecision_due_on")]


@pytest.mark.django_db(transaction=True)
def test_the_deadlines_move_to_the_current_level_and_to_each_decision():
    try:
        apps = migrate_to(BEFORE)
        Region, Unit = apps.get_model("records", "Region"), apps.get_model("records", "Unit")
        Professional, Claim = apps.get_model("records", "Professional"), apps.get_model("records", "Claim")
        ReviewDecision, User = apps.get_model("audits", "ReviewDecision"), apps.get_model("auth", "User")
        reviewer = User.objects.create(username="reviewer")
        unit = Unit.objects.create(name="新华区第一医院", credit_code="91410400MA9XXXXXX1",
                                   region=Region.objects.get(name="新华区"), kind="public_institution")
        person = Professional.objects.create(name="张爱丽", id_number="410402199001011234")
        common = {"professional": person, "unit": unit, "region": unit.region, "year": 2025,
                  "category": "professional", "kind": "workshop", "title": "研修班", "start_date": dt.date(2025, 9, 1),
                  "end_date": dt.date(2025, 9, 1), "hours": Decimal("8"), "filed_on": dt.date(2025, 9, 26),
                  "submitted_at": dt.datetime(2025, 9, 26, 9, tzinfo=SHANGHAI)}
        at_level_1 = Claim.objects.create(**common, status="submitted", level1_due_on=dt.date(2025, 10, 10),
                                          level1_due_provisional=True)
        at_level_2 = Claim.objects.create(**common, status="unit_approved", level1_due_on=dt.date(2025, 10, 10),
                                          unit_approved_on=dt.date(2025, 9, 29), level2_due_on=dt.date(2025, 10, 13))
        approved = Claim.objects.create(**common, status="approved", level1_due_on=dt.date(2025, 10, 10),
                                        unit_approved_on=dt.date(2025, 9, 29), level2_due_on=dt.date(2025, 10, 13))
        draft = Claim.objects.create(**{**common, "filed_on": None, "submitted_at": None}, status="draft")
        for claim, level, day in ((at_level_2, 1, 29), (approved, 1, 29), (approved, 2, 30)):
            ReviewDecision.objects.create(claim=claim, level=level, action="approve", reviewer=reviewer, on_time=True,
                                          at=dt.datetime(2025, 9, day, 15, tzinfo=SHANGHAI))
        earlier_round = ReviewDecision.objects.create(  # before the latest submission: its deadline is not known
            claim=at_level_1, level=1, action="return", reason="补充材料", reviewer=reviewer, on_time=True,
            at=dt.datetime(2025, 9, 20, 15, tzinfo=SHANGHAI))

        apps = migrate_to(AFTER)
        Claim, ReviewDecision = apps.get_model("records", "Claim"), apps.get_model("audits", "ReviewDecision")
        assert Claim.objects.count() == 4 and ReviewDecision.objects.count() == 4
        fields = ("status", "review_started_on", "due_on", "due_provisional")
        assert Claim.objects.values_list(*fields).get(pk=at_level_1.pk) == (
            "submitted", dt.date(2025, 9, 26), dt.date(2025, 10, 10), True)
        assert Claim.objects.values_list(*fields).get(pk=at_level_2.pk) == (
            "unit_approved", dt.date(2025, 9, 29), dt.date(2025, 10, 13), False)
        assert Claim.objects.values_list(*fields).get(pk=approved.pk) == (
            "approved", dt.date(2025, 9, 29), dt.date(2025, 10, 13), False)
        assert Claim.objects.values_list(*fields).get(pk=draft.pk) == ("draft", None, None, False)
        deadlines = dict(ReviewDecision.objects.values_list("pk", "due_on"))
        assert sorted(d for d in deadlines.values() if d) == [dt.date(2025, 10, 10), dt.date(2025, 10, 10),
                                                             dt.date(2025, 10, 13)]
        assert deadlines[earlier_round.pk] is None
    finally:
        migrate_to_latest()
