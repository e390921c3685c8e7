"""The review state machine, derived from the review levels: pure, no database."""
import itertools

import pytest

from audits.review.rules import (
    LEVELS, PROFESSIONAL, REVIEW_WORKING_DAYS, Action, ReviewerRoute, ReviewLevel, allowed_actions, routing,
    status_label, transition, transitions, waiting_level,
)
from ce_portal.errors import DomainError
from records.hours.rules import ClaimStatus

EXPECTED = {
    ("draft", "submit", PROFESSIONAL): "submitted",
    ("submitted", "withdraw", PROFESSIONAL): "withdrawn",
    ("returned", "resubmit", PROFESSIONAL): "submitted",
    ("submitted", "approve", 1): "unit_approved",
    ("submitted", "reject", 1): "rejected",
    ("submitted", "return", 1): "returned",
    ("unit_approved", "approve", 2): "approved",
    ("unit_approved", "reject", 2): "rejected",
    ("unit_approved", "return", 2): "returned",
}
ACTORS = [PROFESSIONAL, 1, 2]


@pytest.mark.parametrize("status, action, actor", list(itertools.product(ClaimStatus, Action, ACTORS)))
def test_every_combination_is_either_in_the_table_or_refused(status, action, actor):
    expected = EXPECTED.get((status.value, action.value, actor))
    if expected:
        assert transition(status, action, actor, reason="理由") == expected
    else:
        with pytest.raises(DomainError) as err:
            transition(status, action, actor, reason="理由")
        assert err.value.code in {"invalid_transition", "not_allowed", "already_decided"}


def test_the_table_derived_from_the_production_levels_is_exactly_the_expected_one():
    assert {(s, a.value, who): to for (s, a), (to, who) in transitions().items()} == EXPECTED


def test_the_production_levels_are_two_of_five_working_days_each():
    assert [(level.number, level.waiting_status, level.working_days) for level in LEVELS] == [
        (1, "submitted", REVIEW_WORKING_DAYS), (2, "unit_approved", REVIEW_WORKING_DAYS)]
    assert REVIEW_WORKING_DAYS == 5


@pytest.mark.parametrize("status, actor", [("submitted", 1), ("unit_approved", 2)])
@pytest.mark.parametrize("action", ["reject", "return"])
def test_reject_and_return_need_a_reason(status, actor, action):
    with pytest.raises(DomainError) as err:
        transition(status, action, actor, reason="  ")
    assert err.value.code == "reason_required"


def test_a_second_decision_on_a_decided_claim_is_already_decided():
    with pytest.raises(DomainError) as err:
        transition("approved", "approve", 2)
    assert err.value.code == "already_decided"
    with pytest.raises(DomainError) as err:
        transition("unit_approved", "approve", 1)  # the other unit reviewer was faster
    assert err.value.code == "already_decided"
    assert "待主管部门审核" in err.value.message


def test_withdraw_is_only_before_the_first_decision():
    with pytest.raises(DomainError):
        transition("unit_approved", "withdraw", PROFESSIONAL)


def test_allowed_actions_for_buttons():
    assert allowed_actions("submitted", 1) == ["approve", "reject", "return"]
    assert allowed_actions("submitted", PROFESSIONAL) == ["withdraw"]
    assert allowed_actions("approved", 2) == []


def test_level_2_goes_to_the_units_authority_else_to_the_hr_bureau_of_its_region():
    level_2 = LEVELS[1]
    assert routing(level_2, {"authority_id": 7, "region_id": 3}) == {"level2_authority_id": 7, "level2_region_id": None}
    assert routing(level_2, {"authority_id": None, "region_id": 3}) == {"level2_authority_id": None,
                                                                         "level2_region_id": 3}
    # The unit itself reviews level 1; for a unit without a reviewer, the HR bureau of its region stands in.
    assert routing(LEVELS[0], {"authority_id": 7, "region_id": 3, "region_id_without_reviewer": None}) == {
        "level1_region_id": None}
    assert routing(LEVELS[0], {"authority_id": 7, "region_id": 3, "region_id_without_reviewer": 3}) == {
        "level1_region_id": 3}


# --- a third level, described as data -----------------------------------------------------------------------

THREE_LEVELS = (
    *LEVELS,
    ReviewLevel(3, "市人社局复核", "authority_approved", (ReviewerRoute("city_region_ids", "region__parent_id"),),
                working_days=3),
)


def test_a_third_level_is_one_more_description_and_the_machine_follows():
    table = {(s, a.value, who): to for (s, a), (to, who) in transitions(THREE_LEVELS).items()}
    assert table[("unit_approved", "approve", 2)] == "authority_approved"
    assert table[("authority_approved", "approve", 3)] == "approved"
    assert table[("authority_approved", "return", 3)] == "returned"
    assert ("authority_approved", "approve", 2) not in table
    assert waiting_level("authority_approved", THREE_LEVELS).number == 3
    assert status_label("authority_approved", THREE_LEVELS) == "待市人社局复核"
    with pytest.raises(DomainError) as err:
        transition("authority_approved", "approve", 2, levels=THREE_LEVELS)
    assert err.value.code == "already_decided"
    # The production machine is untouched: level 2 still approves for good.
    assert transition("unit_approved", "approve", 2) == "approved"
