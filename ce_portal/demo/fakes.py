"""Checksum-correct identifiers for demo data and tests. Clearly fake: every demo ID number's
sequence part is 9xx and every demo credit code has "DD" where a real one has its organisation code,
so none of them can be mistaken for a real person's or a real organisation's.
"""
import datetime as dt

from stdnum.cn import ric, uscc

# The city-level code: stdnum checks that a county code existed in the birth year, and 410400 always has.
_AREA_CODE = "410400"


_BIRTH_START = dt.date(1965, 1, 1)


def fake_id_number(index: int) -> str:
    """The index-th demo 身份证号码 (unique for index < 100 × 15,000)."""
    born = _BIRTH_START + dt.timedelta(days=(index // 100) % 15_000)
    body = f"{_AREA_CODE}{born:%Y%m%d}9{index % 100:02d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum expects a placeholder check digit


def fake_credit_code(index: int) -> str:
    """The index-th demo 统一社会信用代码: registration-authority '9', kind '1', Pingdingshan 410400,
    then a body that starts with 'DD' and ends with a sequence."""
    body = f"91410400DD{index:07d}"
    body = body[:17]
    return body + uscc.calc_check_digit(body)
