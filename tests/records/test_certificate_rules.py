"""The pure certificate rules: serials, verification codes, masking, and who may have a certificate."""
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from records.certificates.rules import (
    SERIAL_ALPHABET, certificate_refusal, mask_name, serial_new, serial_normalize, verification_code,
    verification_code_valid, verification_url,
)
from records.hours.rules import assess

KEY = "test-secret"


class Policy:
    total, public, professional = Decimal("90"), Decimal("30"), Decimal("60")


def test_serial_has_year_and_three_groups_of_unambiguous_characters():
    serial = serial_new(2025, randbits=lambda bits: 0x123456789ABCDEF)
    year, *groups = serial.split("-")
    assert year == "2025" and [len(g) for g in groups] == [4, 4, 4]
    assert all(char in SERIAL_ALPHABET for char in "".join(groups))
    assert not set("ILOU") & set("".join(groups))


def test_serials_differ_between_calls():
    assert len({serial_new(2025) for _ in range(200)}) == 200


@given(st.integers(min_value=0, max_value=2**60 - 1))
def test_a_serial_survives_what_people_do_to_it(bits):
    serial = serial_new(2024, randbits=lambda _: bits)
    assert serial_normalize(serial) == serial
    assert serial_normalize(f"  {serial.lower()} ") == serial
    assert serial_normalize(serial.replace("-", "")) == serial
    assert serial_normalize(serial.replace("0", "O").replace("1", "I")) == serial


@pytest.mark.parametrize("text", ["", "2025", "2025-ABCD-EFGH", "2025-ABCD-EFGH-JKMU", "２０２５-ABCD-EFGH-JKMN",
                                  "2025-ABCD-EFGH-JKMN-PQRS", "../../etc", "张爱丽"])
def test_what_cannot_be_a_serial_is_refused(text):
    assert serial_normalize(text) is None


def test_code_verifies_only_for_its_serial_and_key():
    code = verification_code("2025-ABCD-EFGH-JKMN", KEY)
    assert verification_code_valid("2025-ABCD-EFGH-JKMN", code, KEY)
    assert not verification_code_valid("2025-ABCD-EFGH-JKMP", code, KEY)
    assert not verification_code_valid("2025-ABCD-EFGH-JKMN", code, "another-secret")


@pytest.mark.parametrize("forged", ["", "x", "验证码", "\udcff", "A" * 5000, None])
def test_any_other_code_is_simply_not_valid(forged):
    assert not verification_code_valid("2025-ABCD-EFGH-JKMN", forged, KEY)


def test_one_changed_character_of_the_code_is_not_valid():
    code = verification_code("2025-ABCD-EFGH-JKMN", KEY)
    altered = code[:5] + ("B" if code[5] != "B" else "C") + code[6:]
    assert not verification_code_valid("2025-ABCD-EFGH-JKMN", altered, KEY)


def test_verification_url_carries_the_code():
    url = verification_url("https://ce.example.cn/", "/verify/2025-ABCD-EFGH-JKMN", "2025-ABCD-EFGH-JKMN", KEY)
    assert url == f"https://ce.example.cn/verify/2025-ABCD-EFGH-JKMN?c={verification_code('2025-ABCD-EFGH-JKMN', KEY)}"


@pytest.mark.parametrize("name, masked", [("张爱丽", "张*丽"), ("李博", "李*"), ("欧阳娜娜", "欧**娜"), ("王", "王")])
def test_names_are_masked_for_the_public(name, masked):
    assert mask_name(name) == masked


def _refusal(public, professional, *, year=2025, pending=0):
    return certificate_refusal(year=year, current_year=2025, pending_claims=pending,
                               assessment=assess(Decimal(public), Decimal(professional), Policy))


def test_a_compliant_year_with_nothing_under_review_may_have_a_certificate():
    assert _refusal("30", "60") is None
    assert _refusal("30", "60", year=2023) is None


@pytest.mark.parametrize("public, professional, short", [
    ("29.5", "60.5", "公需科目还差 0.5 学时"),
    ("60", "30", "专业科目还差 30 学时"),
    ("0", "0", "总学时还差 90 学时"),
])
def test_a_short_year_is_refused_with_what_is_missing(public, professional, short):
    refusal = _refusal(public, professional)
    assert refusal.code == "not_compliant"
    assert short in refusal.message


def test_claims_under_review_come_first_because_they_may_change_the_figures():
    refusal = _refusal("0", "0", pending=2)
    assert refusal.code == "claims_pending" and "2 项" in refusal.message


def test_a_future_year_is_refused():
    assert _refusal("30", "60", year=2026).code == "year_in_future"
