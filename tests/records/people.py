"""Shared pieces of the getting-people-in tests: a frozen business day and fresh valid identifiers."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ce_portal.demo.fakes import fake_credit_code, fake_id_number

TODAY = dt.date(2025, 3, 10)  # a Monday


@pytest.fixture
def today():
    with time_machine.travel(dt.datetime(2025, 3, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield TODAY


def new_id_number(i: int) -> str:
    """A checksum-valid ID number that no factory hands out."""
    return fake_id_number(2_000_000 + i)


def new_credit_code(i: int) -> str:
    return fake_credit_code(500_000 + i)


def wrong_checksum(number: str) -> str:
    last = "0" if number[-1] != "0" else "1"
    return number[:-1] + last
