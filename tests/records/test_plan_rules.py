"""Training plans' pure rules (rule 7): the state machine as a table, the notice's routing, the items' checks.
No database."""
import datetime as dt
from decimal import Decimal as D

import pytest

from ce_portal.errors import DomainError
from records.hours.rules import PlanItemRef, plan_item_problems
from records.plans.rules import (
    TRANSITIONS, Party, PlanAction, PlanState, Routing, authority_plan_routing, item_problems, plan_transition,
    plan_year_problem, unit_plan_routing,
)
from tests.factories import SHANGHAI

ALL_MOVES = [(state, action, party) for state in PlanState for action in PlanAction for party in Party]


@pytest.mark.parametrize("state, action, party", ALL_MOVES)
def test_every_move_outside_the_table_is_refused_and_every_move_in_it_leads_where_it_says(state, action, party):
    move = TRANSITIONS.get((state, action))
    if move is not None and move[0] == party:
        assert plan_transition(state, action, party) == move[1]
    else:
        with pytest.raises(DomainError) as refused:
            plan_transition(state, action, party)
        assert refused.value.code == ("plan_wrong_party" if move else "plan_wrong_state")


def test_filed_and_superseded_plans_have_no_move_left():
    assert not [key for key in TRANSITIONS if key[0] in (PlanState.FILED, PlanState.SUPERSEDED)]


@pytest.mark.parametrize("authority_id, authority_region_id, expected", [
    (7, 1, Routing(7, 1)),  # a county-level authority: it approves, filed with the county's bureau
    (8, 99, Routing(8, 99)),  # a city-level authority over a county's unit: filed with the city's bureau
    (None, None, Routing(None, 2)),  # no authority: the unit's own region's bureau
])
def test_a_units_plan_goes_as_the_notice_says(authority_id, authority_region_id, expected):
    assert unit_plan_routing(region_id=2, authority_id=authority_id,
                             authority_region_id=authority_region_id) == expected


def test_an_authoritys_own_plan_goes_to_the_bureau_of_its_region():
    assert authority_plan_routing(authority_region_id=99) == Routing(None, 99)


@pytest.mark.parametrize("start, end, hours, codes", [
    (dt.date(2025, 3, 1), dt.date(2025, 3, 2), D("8"), []),
    (dt.date(2025, 12, 31), dt.date(2025, 12, 31), D("0.5"), []),
    (dt.date(2024, 12, 31), dt.date(2025, 1, 1), D("8"), ["plan_item_outside_year"]),
    (dt.date(2025, 12, 31), dt.date(2026, 1, 1), D("8"), ["plan_item_outside_year"]),
    (dt.date(2025, 3, 2), dt.date(2025, 3, 1), D("8"), ["plan_item_dates_reversed"]),
    (dt.date(2025, 3, 1), dt.date(2025, 3, 1), D("0"), ["plan_item_hours_not_positive"]),
    (dt.date(2026, 3, 1), dt.date(2026, 3, 1), D("-1"), ["plan_item_hours_not_positive", "plan_item_outside_year"]),
])
def test_items_lie_within_the_year_and_have_hours(start, end, hours, codes):
    assert [p.code for p in item_problems(2025, start, end, hours)] == codes


def test_a_closed_year_takes_no_plan():
    close = dt.datetime(2025, 12, 31, 23, 59, 59, tzinfo=SHANGHAI)
    assert plan_year_problem(2025, close - dt.timedelta(seconds=1), close) is None
    assert plan_year_problem(2025, close, close).code == "plan_year_closed"


@pytest.mark.parametrize("unit_training, item, codes", [
    (True, None, []),
    (False, None, []),
    (True, PlanItemRef(unit_id=1, year=2025, in_force=True), []),
    (False, PlanItemRef(unit_id=1, year=2025, in_force=True), ["plan_item_wrong_kind"]),
    (True, PlanItemRef(unit_id=2, year=2025, in_force=True), ["plan_item_not_own_unit"]),
    (True, PlanItemRef(unit_id=None, year=2025, in_force=True), ["plan_item_not_own_unit"]),  # an authority's
    (True, PlanItemRef(unit_id=1, year=2025, in_force=False), ["plan_item_not_own_unit"]),
    (True, PlanItemRef(unit_id=1, year=2024, in_force=True), ["plan_item_other_year"]),
])
def test_a_claim_names_an_item_of_its_own_units_plan_in_force_for_its_year(unit_training, item, codes):
    assert [p.code for p in plan_item_problems(unit_training=unit_training, year=2025, unit_id=1, item=item)] == codes
