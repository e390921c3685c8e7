"""Every export goes through one writer (ce_portal/exports.py), which keeps text that looks like a formula
from running as one, in CSV and XLSX alike (OWASP's CSV injection rule)."""
import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.urls import reverse

from audits.monitor.services import snapshot_refresh
from ce_portal.exports import Heading, neutralised, xlsx_write
from records.compliance.models import ExportJob
from records.compliance.selectors import Filters
from records.compliance.services import compliance_export_build, compliance_export_request
from records.hours.services import add_to_year_totals, year_deltas
from tests.factories import SHANGHAI, ClaimFactory, ProfessionalFactory

NOW = dt.datetime(2025, 10, 15, 10, 0, tzinfo=SHANGHAI)
ATTACKS = ['=HYPERLINK("http://evil.example","点我")', "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("text", ATTACKS)
def test_text_that_starts_like_a_formula_is_neutralised(text):
    assert neutralised(text) == "'" + text


@pytest.mark.parametrize("value", ["张爱丽", "410402199001011234", "a=b", "", None, Decimal("-2.5"), -3, 4.5,
                                   dt.date(2025, 10, 9)])
def test_everything_else_is_written_as_it_is(value):
    assert neutralised(value) is value


def test_an_xlsx_cell_that_starts_with_equals_is_text_not_a_formula(tmp_path):
    target = tmp_path / "list.xlsx"
    heading = Heading(title="名单", generated_by="=cmd|'/c calc'!A1", generated_at=NOW)
    xlsx_write(target, heading=heading, header=["姓名", "身份证号码"], rows=[["=1+1", "410402199001011234"]])
    sheet = openpyxl.load_workbook(target).active
    assert sheet["A2"].value == "生成人：=cmd|'/c calc'!A1"  # within a longer text: not at the start
    assert (sheet["A5"].value, sheet["A5"].data_type) == ("'=1+1", "s")
    assert (sheet["B5"].value, sheet["B5"].data_type) == ("410402199001011234", "s")  # the ID stays text


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def _xlsx(content: bytes) -> list[tuple]:
    return list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


@pytest.mark.django_db
def test_the_overdue_exports_neutralise_a_claim_title(client, frozen, alice, xin, unit_a):
    ClaimFactory(professional=alice, title=ATTACKS[0], due_on=dt.date(2025, 10, 9))
    snapshot_refresh(today=NOW.date(), now=NOW)
    client.force_login(xin)
    rows = _csv(client.get(reverse("monitor:unit_overdue_export", args=[unit_a.pk, "csv"])))
    assert rows[4][2] == "'" + ATTACKS[0]
    response = client.get(reverse("monitor:unit_overdue_export", args=[unit_a.pk, "xlsx"]))
    assert _xlsx(b"".join(response.streaming_content))[4][2] == "'" + ATTACKS[0]


@pytest.mark.django_db
def test_the_compliance_csv_and_xlsx_neutralise_a_name_and_keep_the_id_number_as_text(client, frozen, xin, unit_a):
    person = ProfessionalFactory(name="@SUM(A1:A9)", unit=unit_a)
    add_to_year_totals(year_deltas([(person.pk, 2025, "public", Decimal("30")),
                                    (person.pk, 2025, "professional", Decimal("60"))]))
    client.force_login(xin)
    rows = _csv(client.get(reverse("records:compliance_csv"), {"year": 2025}))
    # In the CSV, a formula of the digits only: the one way Excel and WPS keep all 18 of them.
    assert rows[6][:2] == ["'@SUM(A1:A9)", f'="{person.id_number}"']

    job = compliance_export_request(actor=xin, filters=Filters(year=2025), now=NOW)
    assert compliance_export_build(job_id=job.pk, now=NOW) is True
    job = ExportJob.objects.get(pk=job.pk)
    with job.file.open("rb") as handle:
        row = _xlsx(handle.read())[6]
    assert row[:2] == ("'@SUM(A1:A9)", person.id_number) and isinstance(row[1], str)
