"""Rules 1–3 as pure functions: table tests and properties, no database except where a policy is read."""
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal as D
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from records.hours.models import RequirementPolicy
from records.hours.rules import Assessment, assess, claim_year_open, claim_year_refusal, end_of_day

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Req:
    total: D = D("90")
    public: D = D("30")
    professional: D = D("60")


STANDARD = Req()


@pytest.mark.parametrize(
    ("public", "professional", "expected"),
    [
        (D("30"), D("60"), Assessment(True, D("0"), D("0"), D("0"))),
        (D("29.5"), D("70"), Assessment(False, D("0.5"), D("0"), D("0"))),  # total 99.5 does not help
        (D("45"), D("45"), Assessment(False, D("0"), D("15"), D("0"))),  # public surplus never covers
        (D("100"), D("0"), Assessment(False, D("0"), D("60"), D("0"))),
        (D("0"), D("0"), Assessment(False, D("30"), D("60"), D("90"))),
        (D("30"), D("59.9"), Assessment(False, D("0"), D("0.1"), D("0.1"))),
        (D("40"), D("70"), Assessment(True, D("0"), D("0"), D("0"))),
        (30, 60, Assessment(True, D("0"), D("0"), D("0"))),  # whole numbers are exact too
    ],
)
def test_assessment_table(public, professional, expected):
    assert assess(public, professional, STANDARD) == expected


def test_total_can_bind_on_its_own():
    """A policy whose total exceeds its parts: 30 + 60 is not enough for a 100-hour year."""
    result = assess(D("30"), D("60"), Req(total=D("100")))
    assert result == Assessment(False, D("0"), D("0"), D("10"))


def test_hours_must_be_decimal_and_not_negative():
    with pytest.raises(TypeError):
        assess(29.5, D("70"), STANDARD)
    with pytest.raises(TypeError):
        assess(True, D("70"), STANDARD)
    with pytest.raises(ValueError):
        assess(D("-1"), D("70"), STANDARD)


def test_a_requirement_policy_works_as_the_requirement(db):
    policy = RequirementPolicy.objects.for_year(2024)
    assert (policy.total, policy.public, policy.professional) == (D("90"), D("30"), D("60"))
    assert assess(D("30"), D("60"), policy).compliant
    assert not assess(D("29.5"), D("70"), policy).compliant


def test_excess_of_one_year_does_nothing_for_the_next():
    """Rule 2: assessments take one year's hours; 2023's 150 hours are not an input to 2024's."""
    hours_by_year = {2023: (D("60"), D("90")), 2024: (D("10"), D("20"))}
    results = {year: assess(*hours, STANDARD) for year, hours in hours_by_year.items()}
    assert results[2023].compliant
    assert results[2024] == Assessment(False, D("20"), D("40"), D("60"))


hours = st.decimals(min_value=0, max_value=500, places=1, allow_nan=False, allow_infinity=False)


@given(public=hours, professional=hours)
def test_compliant_exactly_when_every_minimum_holds(public, professional):
    result = assess(public, professional, STANDARD)
    assert result.compliant == (public >= 30 and professional >= 60 and public + professional >= 90)
    assert min(result.public_short, result.professional_short, result.total_short) >= 0
    assert result.compliant == (result.public_short == result.professional_short == result.total_short == 0)


@given(public=hours, professional=hours, extra=hours)
def test_more_public_hours_never_reduce_the_professional_gap(public, professional, extra):
    assert assess(public + extra, professional, STANDARD).professional_short == \
        assess(public, professional, STANDARD).professional_short


# --- Rule 3: filing year ----------------------------------------------------------------------------------


@dataclass
class Exemption:
    year: int
    expires_at: dt.datetime
    revoked_at: dt.datetime | None = None

    def is_valid_at(self, moment):
        return self.revoked_at is None and moment < self.expires_at


def at(*args):
    return dt.datetime(*args, tzinfo=SHANGHAI)


def year_end(year: int) -> dt.datetime:
    """A close on the year's last second, as the years before 2026 had (records migration 0025)."""
    return end_of_day(dt.date(year, 12, 31))


@pytest.mark.parametrize(
    ("year", "today", "code"),
    [
        (2024, at(2024, 12, 31, 23, 59, 59), None),  # the last second is still open
        (2024, at(2025, 1, 1, 0, 0, 0), "year_closed"),
        (2024, dt.datetime(2024, 12, 31, 15, 59, 59, tzinfo=dt.timezone.utc), None),  # = 23:59:59 Beijing
        (2024, dt.datetime(2024, 12, 31, 16, 0, 0, tzinfo=dt.timezone.utc), "year_closed"),  # = 00:00 Beijing
        (2024, dt.date(2024, 12, 31), None),  # a bare date is its first moment
        (2024, dt.date(2025, 1, 1), "year_closed"),
        (2024, dt.date(2024, 3, 1), None),
        (2025, dt.date(2024, 12, 31), "year_in_future"),
        (2023, dt.date(2025, 6, 1), "year_closed"),
    ],
)
def test_claim_year_table(year, today, code):
    refusal = claim_year_refusal(year, today, filing_close=year_end(year))
    assert (refusal.code if refusal else None) == code
    assert claim_year_open(year, today, filing_close=year_end(year)) is (code is None)


def test_refusal_explains_in_chinese():
    refusal = claim_year_refusal(2023, dt.date(2024, 2, 1), filing_close=year_end(2023))
    assert "2023 年度学时申报已于 2023年12月31日 23:59:59 截止" in refusal.message
    assert "补学豁免" in refusal.message
    assert "尚未开始" in claim_year_refusal(2026, dt.date(2025, 2, 1), filing_close=year_end(2026)).message


def test_a_policy_close_moves_the_boundary():
    close = at(2025, 1, 15, 18, 0, 0)
    assert claim_year_open(2024, at(2025, 1, 15, 17, 59, 59), filing_close=close)
    refusal = claim_year_refusal(2024, at(2025, 1, 15, 18, 0, 1), filing_close=close)
    assert refusal.code == "year_closed" and "2025年01月15日 18:00:00" in refusal.message


def test_policy_close_defaults_to_ten_working_days_before_the_last_working_day_of_december(db):
    # 2026: Thursday 31 December is worked; ten working days before it is Thursday 17 December.
    assert RequirementPolicy.objects.for_year(2026).filing_close == at(2026, 12, 17, 23, 59, 59)
    assert RequirementPolicy.objects.for_year(2026).review_close == dt.date(2026, 12, 31)


def test_only_a_valid_exemption_for_that_year_reopens_it():
    now = at(2025, 3, 1, 9, 0, 0)
    valid = Exemption(year=2024, expires_at=at(2025, 3, 31, 0, 0, 0))
    close = year_end(2024)
    assert claim_year_open(2024, now, valid, filing_close=close)
    assert not claim_year_open(2023, now, valid, filing_close=year_end(2023))  # another year
    assert not claim_year_open(2024, now, Exemption(year=2024, expires_at=now), filing_close=close)  # expired
    assert not claim_year_open(2024, now, Exemption(2024, at(2025, 3, 31, 0, 0, 0), revoked_at=now),
                               filing_close=close)


def test_an_exemption_never_opens_a_future_year():
    exemption = Exemption(year=2026, expires_at=at(2027, 1, 1, 0, 0, 0))
    assert claim_year_refusal(2026, at(2025, 6, 1, 0, 0, 0), exemption,
                              filing_close=year_end(2026)).code == "year_in_future"


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        claim_year_open(2024, dt.datetime(2024, 6, 1, 12, 0), filing_close=year_end(2024))


def test_the_shortfall_a_person_reads_does_not_repeat_the_total():
    a = assess(D("26"), D("64"), STANDARD)
    assert (a.public_short, a.professional_short, a.total_short, a.any_subject_short) == (D("4"), 0, 0, 0)
    wider = SimpleNamespace(total=D("100"), public=D("30"), professional=D("60"))
    assert assess(D("30"), D("60"), wider).any_subject_short == D("10")
    assert assess(D("20"), D("60"), wider).any_subject_short == D("10")


def test_the_shortfall_reads_as_one_sentence():
    from ce_portal.formatting import shortfall_text as shortfall

    assert shortfall(assess(D("26"), D("42.5"), STANDARD)) == "公需科目 4 学时、专业科目 17.5 学时"
    wider = SimpleNamespace(total=D("100"), public=D("30"), professional=D("60"))
    assert shortfall(assess(D("30"), D("60"), wider)) == "任意科目 10 学时"


def test_a_years_hours_carry_their_total_verdict_and_shortfall():
    from records.hours.rules import year_hours

    short = year_hours(2025, D("26"), D("42.5"), STANDARD)
    assert (short.year, short.total, short.compliant) == (2025, D("68.5"), False)
    assert short.shortfall == "公需科目 4 学时、专业科目 17.5 学时"
    done = year_hours(2025, D("30.0"), D("64.0"), STANDARD)
    assert (done.total, done.compliant, done.shortfall) == (D("94.0"), True, "")
