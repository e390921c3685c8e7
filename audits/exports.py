"""CSV and XLSX downloads of a table. Each file names who generated it and when (Asia/Shanghai) above the
header, so a printed or forwarded copy still says where it came from."""
import csv
import datetime as dt
import tempfile
from collections.abc import Iterable, Sequence

from django.http import FileResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from openpyxl import Workbook

FORMATS = ("csv", "xlsx")


class _Echo:
    def write(self, value):
        return value


def _preamble(title: str, generated_by: str, generated_at: dt.datetime) -> list[list[str]]:
    return [[title], [f"生成人：{generated_by}", f"生成时间：{generated_at:%Y-%m-%d %H:%M:%S}（北京时间）"], []]


def table_response(fmt: str, *, filename: str, title: str, generated_by: str, generated_at: dt.datetime,
                   header: Sequence[str], rows: Iterable[Sequence]):
    """`rows` is consumed lazily: a CSV streams as it is written; an XLSX (a zip, written in one go by
    openpyxl's write-only mode, which keeps one row in memory) is spooled to a temporary file and streamed."""
    lines = [*_preamble(title, generated_by, generated_at), list(header)]
    if fmt == "csv":
        writer = csv.writer(_Echo())

        def stream():
            yield "\ufeff"  # Excel opens a UTF-8 CSV with Chinese text correctly only with the BOM
            for line in lines:
                yield writer.writerow(line)
            for row in rows:
                yield writer.writerow(["" if v is None else v for v in row])

        response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, f"{filename}.csv")
        return response
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    for line in lines:
        sheet.append(line)
    for row in rows:
        sheet.append(list(row))
    spool = tempfile.TemporaryFile()
    workbook.save(spool)
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=f"{filename}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
