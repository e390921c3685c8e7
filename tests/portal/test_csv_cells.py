"""What Excel and WPS find in a CSV opened by a double-click: long digit strings stay the text they are,
formulas stay inert, hours read as on the pages (issue 14)."""
import datetime as dt
from decimal import Decimal

from ce_portal.exports import Heading, csv_response
from tests.factories import SHANGHAI

HEADING = Heading(title="名单", generated_by="市人社局", generated_at=dt.datetime(2025, 10, 15, 10, 0, tzinfo=SHANGHAI))


def csv_bytes(*rows) -> bytes:
    response = csv_response(filename="名单", heading=HEADING, header=["a", "b", "c", "d"], rows=rows)
    return b"".join(response.streaming_content)


def last_line(*row) -> bytes:
    return csv_bytes(row).rstrip(b"\r\n").rsplit(b"\r\n", 1)[-1]


def test_an_id_number_is_written_as_a_text_formula_of_its_digits():
    assert last_line("张爱丽", "110101199003071234", "11010119900307123X", "13800138000") == (
        '张爱丽,"=""110101199003071234""","=""11010119900307123X""","=""13800138000"""'.encode())


def test_a_credit_code_and_a_leading_zero_stay_text_too():
    assert last_line("91410400MA44E12345", "914104001234E56789", "0375", "42") == (
        b'"=""91410400MA44E12345""","=""914104001234E56789""","=""0375""",42')


def test_anything_else_that_starts_like_a_formula_is_still_neutralised():
    line = last_line('=HYPERLINK("http://x")', "+1234567890123", "-2", '="1"&CMD')
    assert line == b'"\'=HYPERLINK(""http://x"")",\'+1234567890123,\'-2,"\'=""1""&CMD"'


def test_short_numbers_masked_numbers_and_hours_read_as_people_write_them():
    assert last_line("4101**********1234", Decimal("26.0"), Decimal("26.5"), 2025) == b"4101**********1234,26,26.5,2025"
