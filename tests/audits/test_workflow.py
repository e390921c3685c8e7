import itertools

import pytest

from audits.review.rules import TRANSITIONS, Action, Actor, Status, allowed_actions, transition
from ce_portal.errors import DomainError

EXPECTED = {
    ("draft", "submit", "professional"): "submitted",
    ("submitted", "withdraw", "professional"): "withdrawn",
    ("returned", "resubmit", "professional"): "submitted",
    ("submitted", "approve", "level1"): "unit_approved",
    ("submitted", "reject", "level1"): "rejected",
    ("submitted", "return", "level1"): "returned",
    ("unit_approved", "approve", "level2"): "approved",
    ("unit_approved", "reject", "level2"): "rejected",
    ("unit_approved", "return", "level2"): "returned",
}


@pytest.mark.parametrize("status, action, actor", list(itertools.product(Status, Action, Actor)))
def test_every_combination_is_either_in_the_table_or_refused(status, action, actor):
    expected = EXPECTED.get((status.value, action.value, actor.value))
    if expected:
        assert transition(status, action, actor, reason="理由") == expected
    else:
        with pytest.raises(DomainError) as err:
            transition(status, action, actor, reason="理由")
        assert err.value.code in {"invalid_transition", "not_allowed", "already_decided"}


def test_the_table_is_exactly_the_expected_one():
    assert {(s.value, a.value, who.value): to.value for (s, a), (to, who) in TRANSITIONS.items()} == EXPECTED


@pytest.mark.parametrize("status, actor", [("submitted", "level1"), ("unit_approved", "level2")])
@pytest.mark.parametrize("action", ["reject", "return"])
def test_reject_and_return_need_a_reason(status, actor, action):
    with pytest.raises(DomainError) as err:
        transition(status, action, actor, reason="  ")
    assert err.value.code == "reason_required"


def test_a_second_decision_on_a_decided_claim_is_already_decided():
    with pytest.raises(DomainError) as err:
        transition("approved", "approve", "level2")
    assert err.value.code == "already_decided"
    with pytest.raises(DomainError) as err:
        transition("unit_approved", "approve", "level1")  # the other unit reviewer was faster
    assert err.value.code == "already_decided"


def test_withdraw_is_only_before_the_first_decision():
    with pytest.raises(DomainError):
        transition("unit_approved", "withdraw", "professional")


def test_allowed_actions_for_buttons():
    assert allowed_actions("submitted", "level1") == ["approve", "reject", "return"]
    assert allowed_actions("submitted", "professional") == ["withdraw"]
    assert allowed_actions("approved", "level2") == []
