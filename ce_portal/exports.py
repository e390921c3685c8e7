"""CSV and XLSX downloads of a table, shared by every list that can be exported.

Each file names who generated it and when (Asia/Shanghai) above the header, so a printed or forwarded copy
still says where it came from; a list may add lines of its own there (the year's requirement, the filters).
Rows are consumed lazily: a CSV streams as it is written, an XLSX goes through openpyxl's write-only mode,
which keeps one row in memory.

Every text cell passes `neutralised` on its way out: a claim title or a name that starts like a formula
(`=`, `+`, `-`, `@`, a tab or a carriage return) would otherwise run as one in the spreadsheet that opens
the file (OWASP's CSV injection). Numbers stay numbers, and ID numbers stay the text they are.

A CSV has no types: Excel and WPS read a cell of digits as a number, so an 18-digit ID number opened by a
double-click becomes 1.10101E+17 (its last digits lost for good) and a leading 0 goes. So the CSV writes a
long digit string as the formula `="110101199003071234"`, which both show as that exact text; only digits
(and an ID number's final X) are ever put between the quotes, so nothing else can run as a formula. An XLSX
keeps a text cell text and needs none of it. Hours are written as the pages write them (26, 26.5).
"""
import csv
import datetime as dt
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain

from django.http import FileResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from openpyxl import Workbook

from ce_portal.formatting import hours_text

FORMATS = ("csv", "xlsx")
# What a spreadsheet reads as the start of a formula (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What a spreadsheet would turn into a number and change: a phone or ID number (11 digits or more: 12 show as
# 1.2E+11 and only 15 are kept; an ID number may end in X), digits with a leading 0, or a 统一社会信用代码
# (18 capitals and digits: one with a lone E among digits reads as 1E+10).
SPREADSHEET_NUMBER_LIKE = re.compile(r"\d{11,}[Xx]?|0\d+|[0-9A-Z]{18}")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Heading:
    title: str
    generated_by: str
    generated_at: dt.datetime
    notes: Sequence[str] = ()

    def lines(self) -> list[list[str]]:
        return [
            [self.title],
            [f"生成人：{self.generated_by}", f"生成时间：{self.generated_at:%Y-%m-%d %H:%M:%S}（北京时间）"],
            *([note] for note in self.notes),
            [],
        ]


def neutralised(value):
    """The cell as written: text that a spreadsheet would take for a formula gets a leading apostrophe, which
    makes it plain text; anything else is left as it is (None stays an empty cell in both formats)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cells(line) -> list:
    return [neutralised(value) for value in line]


def csv_cell(value):
    """A cell of the CSV: as `neutralised`, but a long digit string kept text (a formula of digits only) and a
    Decimal written as hours are."""
    if isinstance(value, str) and SPREADSHEET_NUMBER_LIKE.fullmatch(value):
        return f'="{value}"'
    if isinstance(value, Decimal):
        return hours_text(value)
    return neutralised(value)


class _Echo:
    def write(self, value):
        return value


def csv_response(*, filename: str, heading: Heading, header: Sequence[str],
                 rows: Iterable[Sequence]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def stream():
        yield "\ufeff"  # Excel opens a UTF-8 CSV with Chinese text correctly only with the BOM
        for line in chain(heading.lines(), [header], rows):  # rows stay lazy: the city's list is 200,000
            yield writer.writerow([csv_cell(value) for value in line])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{filename}.csv")
    return response


def xlsx_write(target, *, heading: Heading, header: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Write the workbook to `target` (a path or a binary file)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(heading.title[:31])  # Excel's limit on sheet names
    for line in [*heading.lines(), header]:
        sheet.append(_cells(line))
    for row in rows:
        # openpyxl stores a text cell that starts with "=" as a formula: neutralised keeps it text.
        sheet.append(_cells(row))
    workbook.save(target)


def table_response(fmt: str, *, filename: str, title: str, generated_by: str, generated_at: dt.datetime,
                   header: Sequence[str], rows: Iterable[Sequence]):
    """A download built within the request. An XLSX (a zip, written in one go) is spooled to a temporary
    file and streamed from there."""
    heading = Heading(title=title, generated_by=generated_by, generated_at=generated_at)
    if fmt == "csv":
        return csv_response(filename=filename, heading=heading, header=header, rows=rows)
    spool = tempfile.TemporaryFile()
    xlsx_write(spool, heading=heading, header=header, rows=rows)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX_CONTENT_TYPE)
