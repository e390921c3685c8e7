"""The unit's register, progress view and standard in real Chromium under the Content-Security-Policy, and the
claim form showing the unit's standard of the kind the person picks (static/js/claim_standard.js)."""
from decimal import Decimal

import pytest
import time_machine
from playwright.sync_api import expect

from audits.review.services import unit_standard_save
from records.hours.rules import StandardMethod, StandardRule
from tests.audits.review_helpers import NOW, claim_with_evidence
from tests.browser.conftest import log_in
from tests.browser.test_content_security_policy import violations, visit, watched  # noqa: F401 (a fixture)
from tests.factories import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def standard(ada, unit_a):
    rules = [StandardRule("face_to_face", StandardMethod.PER_HALF_DAY, Decimal("2")),
             StandardRule("lecture", StandardMethod.YEARLY_CAP, Decimal("20"))]
    return unit_standard_save(actor=ada, unit=unit_a, review_working_days=3, rules=rules, now=NOW)


def test_the_units_pages_run_under_the_policy(watched, alice, ada, unit_a, standard):  # noqa: F811
    claim_with_evidence(alice, title="院内急救技能培训")
    log_in(watched, "ada", DEMO_PASSWORD)
    for path in (f"/unit/{unit_a.pk}/register/", f"/unit/{unit_a.pk}/progress/",
                 f"/review/units/{unit_a.pk}/standard/", f"/unit/people/{alice.pk}/history/"):
        visit(watched, path)
        assert violations(watched) == [], path
    visit(watched, f"/unit/{unit_a.pk}/register/")
    expect(watched.locator("tr[data-claim]")).to_have_count(1)


def test_the_claim_form_shows_the_standard_of_the_chosen_kind(watched, alice, standard):  # noqa: F811
    log_in(watched, "alice", DEMO_PASSWORD)
    visit(watched, "/me/claims/new/")
    face_to_face = watched.locator('#unit-standard [data-kind="face_to_face"]')
    lecture = watched.locator('#unit-standard [data-kind="lecture"]')
    none = watched.locator("#unit-standard [data-no-standard]")
    watched.select_option("#id_kind", "lecture")
    expect(lecture).to_be_visible()
    expect(face_to_face).to_be_hidden()
    watched.select_option("#id_kind", "workshop")
    expect(lecture).to_be_hidden()
    expect(none).to_be_visible()
    watched.select_option("#id_kind", "face_to_face")
    expect(face_to_face).to_have_text("面授培训：每半天最多 2 学时")
    expect(none).to_be_hidden()
    assert violations(watched) == []
