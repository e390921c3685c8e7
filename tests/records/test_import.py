import datetime as dt
import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from audits.trail.models import AuditEvent
from records.people.models import Employment, Professional, Role
from records.people.rules import COLUMNS, MAX_ROWS
from records.people.selectors import id_number_q
from tests.factories import ProfessionalFactory, UnitFactory, UserFactory, grant
from tests.records.people import TODAY, new_id_number, today, wrong_checksum  # noqa: F401  (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("today")]
URL = "/unit/staff/import/"


def xlsx(rows, header=COLUMNS) -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    if header:
        sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile("名单.xlsx", out.getvalue())


def csv_file(rows, *, encoding="utf-8", name="名单.csv", header=COLUMNS) -> SimpleUploadedFile:
    lines = ([",".join(header)] if header else []) + [",".join(map(str, row)) for row in rows]
    return SimpleUploadedFile(name, ("\r\n".join(lines) + "\r\n").encode(encoding))


def xlsx_declaring_blank_rows(rows: int) -> SimpleUploadedFile:
    """A few KB that declare `rows` rows: the header, one person, and one blank cell far down."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(COLUMNS)
    sheet.append(["甲", new_id_number(40), "", "", "", ""])
    sheet.cell(row=rows, column=1, value=" ")
    content = io.BytesIO()
    workbook.save(content)
    return SimpleUploadedFile("名单.xlsx", content.getvalue())


def upload(client, file, **extra):
    return client.post(URL, {"file": file, **extra})


def report_of(response):
    report = response.context["report"]
    return {o.line: ("created" if o.created else o.error.message) for o in report.outcomes}


def staff_count(unit):
    return Employment.objects.filter(unit=unit, ended_on__isnull=True).count()


@pytest.fixture
def reviewer(client, ada):
    client.force_login(ada)
    return ada


# --- the template ---------------------------------------------------------------------------------------


def test_the_downloaded_xlsx_template_filled_in_and_uploaded_imports_its_rows(client, reviewer, unit_a):
    response = client.get("/unit/staff/import/template.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    assert [c.value for c in sheet[1]] == COLUMNS
    assert sheet.column_dimensions["B"].number_format == "@"  # ID numbers stay text in Excel
    assert sheet.max_row == 1  # the person starts typing on line 2
    for column, value in zip("ABCDEF", ["孙一", new_id_number(1), "内科", "中级", "13803750001",
                                        dt.datetime(2024, 5, 6)]):
        sheet[f"{column}2"] = value
    sheet["A3"], sheet["B3"], sheet["D3"] = "周二", new_id_number(2).lower(), "副高级"
    out = io.BytesIO()
    workbook.save(out)
    response = upload(client, SimpleUploadedFile("模板.xlsx", out.getvalue()))
    assert report_of(response) == {2: "created", 3: "created"}
    sun = Professional.objects.get(id_number_q(new_id_number(1)))
    assert (sun.name, sun.specialty, sun.title_level, sun.phone, sun.user) == (
        "孙一", "内科", Professional.TitleLevel.INTERMEDIATE, "13803750001", None)
    assert sun.employments.get().started_on == dt.date(2024, 5, 6)
    zhou = Professional.objects.get(id_number_q(new_id_number(2)))
    assert zhou.title_level == Professional.TitleLevel.ASSOCIATE_SENIOR
    assert zhou.employments.get().started_on == TODAY  # 入职日期 left blank


def test_the_downloaded_csv_template_filled_in_and_uploaded_imports_its_rows(client, reviewer, unit_a):
    response = client.get("/unit/staff/import/template.csv")
    assert response.content.startswith("\ufeff".encode())
    filled = response.content + f"吴三,{new_id_number(3)},护理,初级,,2023-09-01\r\n".encode()
    response = upload(client, SimpleUploadedFile("模板.csv", filled))
    assert report_of(response) == {2: "created"}
    assert Professional.objects.get(id_number_q(new_id_number(3))).employments.get().started_on == dt.date(2023, 9, 1)


def test_only_the_two_template_formats_exist(client, reviewer):
    assert client.get("/unit/staff/import/template.xls").status_code == 404


def test_a_gb18030_csv_from_chinese_excel_is_read(client, reviewer, unit_a):
    response = upload(client, csv_file([["郑四", new_id_number(4), "药学", "正高级", "13903750004", "2022/3/1"]],
                                       encoding="gb18030"))
    assert report_of(response) == {2: "created"}
    assert Professional.objects.get(id_number_q(new_id_number(4))).name == "郑四"


def test_a_csv_without_bom_in_utf8_is_read(client, reviewer, unit_a):
    assert report_of(upload(client, csv_file([["王五", new_id_number(5), "", "", "", ""]]))) == {2: "created"}


# --- per-row refusals -------------------------------------------------------------------------------------


def test_each_row_is_imported_or_refused_with_its_reason(client, reviewer, unit_a, alice, bob):
    rows = [
        ["好人", new_id_number(10), "内科", "中级", "13803750010", "2024-01-02"],          # 2 created
        ["错号", wrong_checksum(new_id_number(11)), "", "", "", ""],                      # 3 checksum
        ["重复甲", new_id_number(12), "", "", "", ""],                                     # 4 duplicate
        ["重复乙", new_id_number(12), "", "", "", ""],                                     # 5 duplicate
        [alice.name, alice.id_number, "", "", "", ""],                                    # 6 already here
        [bob.name, bob.id_number, "", "", "", ""],                                        # 7 other unit
        ["职称错", new_id_number(13), "", "高级工程师", "", ""],                            # 8 title level
        ["", new_id_number(14), "", "", "", ""],                                          # 9 no name
        ["未来", new_id_number(15), "", "", "", "2025-03-11"],                             # 10 future start
        ["坏日期", new_id_number(16), "", "", "", "去年"],                                  # 11 date format
        ["坏手机", new_id_number(17), "", "", "12345", ""],                                 # 12 phone
        ["多错", "123", "", "博士", "", ""],                                               # 13 all listed
    ]
    before = Professional.objects.count()
    report = report_of(upload(client, xlsx(rows)))
    assert report[2] == "created"
    assert "校验位不正确" in report[3]
    assert report[4] == report[5] == "文件中第 4、5 行的身份证号码相同，请核对后只保留一行。"
    assert report[6] == "该人员已在本单位登记，无需重复导入。"
    assert report[7] == "该人员当前在其他单位任职，请通过调入办理。"
    assert "职称等级“高级工程师”无效" in report[8]
    assert report[9] == "请填写姓名。"
    assert report[10] == "入职日期不能晚于今天。"
    assert "无法识别" in report[11]
    assert "手机号码应为 11 位" in report[12]
    assert "应为 18 位" in report[13] and "职称等级“博士”无效" in report[13]
    assert Professional.objects.count() == before + 1
    assert set(Employment.objects.filter(unit=unit_a).values_list("professional__name", flat=True)) == {
        alice.name, "好人"}
    assert bob.employments.get().unit != unit_a


def test_an_id_number_excel_turned_into_a_number_is_explained(client, reviewer, unit_a):
    report = report_of(upload(client, xlsx([["数字", 410400197809109010, "", "", "", ""]])))
    assert "被 Excel 存成了数字" in report[2]
    report = report_of(upload(client, csv_file([["科学", "4.10400197809109E+17", "", "", "", ""]])))
    assert "被 Excel 存成了数字" in report[2]
    assert not Professional.objects.filter(name__in=["数字", "科学"]).exists()


def test_a_person_who_left_another_unit_is_re_employed_with_their_records(client, reviewer, unit_a, unit_b):
    person = ProfessionalFactory(id_number=new_id_number(20), name="回流", user=None)
    Employment.objects.create(professional=person, unit=unit_b, started_on="2018-01-01", ended_on="2024-06-30")
    report = report_of(upload(client, xlsx([
        ["回流", new_id_number(20), "影像", "中级", "", "2024-07-01"],
    ])))
    assert report == {2: "created"}
    assert Professional.objects.filter(id_number_q(new_id_number(20))).count() == 1
    assert person.employments.get(ended_on__isnull=True).unit == unit_a
    person.refresh_from_db()
    assert person.specialty == "影像"


def test_re_employment_needs_the_known_name_and_a_start_after_the_last_end(client, reviewer, unit_a, unit_b):
    person = ProfessionalFactory(id_number=new_id_number(21), name="回流", user=None)
    Employment.objects.create(professional=person, unit=unit_b, started_on="2018-01-01", ended_on="2024-06-30")
    report = report_of(upload(client, xlsx([
        ["改名", new_id_number(21), "", "", "", "2024-07-01"],
    ])))
    assert report[2] == "姓名与系统中该身份证号码登记的姓名不一致，请核对。"  # the registered name is not shown
    report = report_of(upload(client, xlsx([["回流", new_id_number(21), "", "", "", "2024-06-30"]])))
    assert "应晚于该人员上一段任职的离职日期（2024-06-30）" in report[2]
    assert not person.employments.filter(unit=unit_a).exists()


def test_a_row_tells_nothing_of_a_person_elsewhere_unless_its_name_is_theirs(client, reviewer, unit_a, bob):
    """Finding 10: with a wrong name, bob's number got "employed elsewhere" (and a person employed nowhere had
    their name printed): a unit learns where a number works only by naming its owner."""
    report = report_of(upload(client, xlsx([["随便", bob.id_number, "", "", "", ""]])))
    assert report[2] == "姓名与系统中该身份证号码登记的姓名不一致，请核对。"
    report = report_of(upload(client, xlsx([[bob.name, bob.id_number, "", "", "", ""]])))
    assert report[2] == "该人员当前在其他单位任职，请通过调入办理。"


def test_the_report_page_shows_the_reasons(client, reviewer, unit_a, bob):
    page = upload(client, xlsx([[bob.name, bob.id_number, "", "", "", ""]])).content.decode()
    assert "成功导入 0 人" in page and "未导入 1 行" in page
    assert "请通过调入办理" in page
    assert bob.id_number in page  # as typed, so the row can be found in the file


def test_an_import_is_audited_once(client, reviewer, unit_a):
    upload(client, xlsx([["甲", new_id_number(30), "", "", "", ""], ["乙", new_id_number(31), "", "", "", ""]]))
    event = AuditEvent.objects.get(action="unit.staff_import")
    assert event.actor == reviewer and len(event.after["created"]) == 2 and event.after["refused"] == 0


# --- whole-file refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize("make, message", [
    (lambda: SimpleUploadedFile("名单.txt", b"a,b"), "仅支持 .xlsx 或 .csv"),
    (lambda: SimpleUploadedFile("名单.xls", b"\xd0\xcf\x11\xe0"), "不支持旧版 .xls"),
    (lambda: SimpleUploadedFile("名单.xlsx", b"not a zip at all"), "不是有效的 Excel"),
    (lambda: SimpleUploadedFile("名单.csv", b"\x00\x01binary"), "不是文本格式"),
    (lambda: SimpleUploadedFile("名单.csv", b"\xff\xfe\xfd\xfc\x80" * 3), "无法识别文件编码"),
    (lambda: csv_file([["甲", new_id_number(40), "", "", "", ""]], header=None), "第一行应为表头"),
    (lambda: xlsx([["甲", new_id_number(40)]], header=["名字", "号码"]), "缺少：姓名、身份证号码"),
    (lambda: xlsx([], header=COLUMNS), "表头下面没有人员数据"),
    (lambda: csv_file([["甲", new_id_number(40), "", "", "", ""]] * 10 + [["x" * 2_200_000]]), "超过 2 MB"),
    (lambda: csv_file([[f"人{i}", new_id_number(100 + i), "", "", "", ""] for i in range(MAX_ROWS + 1)]),
     "超过 5000 行"),
    (lambda: xlsx_declaring_blank_rows(500_000), "超过 5000 行（空行也计算在内）"),
    (lambda: csv_file([["甲", new_id_number(40), "", "", "", ""]] + [[""] * 6] * (MAX_ROWS + 200)), "超过 5000 行"),
])
def test_a_bad_file_is_refused_whole_and_nothing_is_saved(client, reviewer, unit_a, make, message):
    before = (Professional.objects.count(), Employment.objects.count())
    response = upload(client, make())
    errors = response.context["form"].non_field_errors() + response.context["form"].errors.get("file", [])
    assert any(message in str(e) for e in errors), errors
    assert response.context["report"] is None
    assert (Professional.objects.count(), Employment.objects.count()) == before


def test_no_file_is_a_form_error(client, reviewer, unit_a):
    response = client.post(URL, {})
    assert "请选择要导入的文件" in response.content.decode()


def test_five_thousand_rows_import_in_one_go(client, reviewer, unit_a):
    rows = [[f"人{i}", new_id_number(100 + i), "临床", "初级", f"138{i:08d}", "2024-01-01"] for i in range(MAX_ROWS)]
    started = time.perf_counter()
    response = upload(client, csv_file(rows))
    elapsed = time.perf_counter() - started
    assert len(response.context["report"].created) == MAX_ROWS
    assert staff_count(unit_a) == MAX_ROWS
    assert elapsed < 60, f"5,000 rows took {elapsed:.1f} s"


# --- linking to self-registration, scope ------------------------------------------------------------------


def test_an_imported_person_who_registers_is_a_claim_the_unit_decides(client, reviewer, unit_a):
    upload(client, xlsx([["钱六", new_id_number(50), "", "", "13803750050", ""]]))
    client.logout()
    client.post("/register/", {
        "id_number": new_id_number(50), "name": "钱六", "phone": "13803750051", "password1": "Pds-jixu-2025",
        "password2": "Pds-jixu-2025", "unit": unit_a.pk,
    })
    person = Professional.objects.get(id_number_q(new_id_number(50)))
    assert person.user is None and person.phone == "13803750050"
    client.force_login(reviewer)
    assert "认领已有人员的申请（1）" in client.get("/unit/").content.decode()


@pytest.mark.parametrize("viewer", ["alice", "hank", "xin", "cheng"])
def test_only_unit_reviewers_reach_the_import(client, request, viewer, unit_a):
    user = request.getfixturevalue(viewer)
    client.force_login(getattr(user, "user", user))
    assert client.get(URL).status_code == 404
    assert client.get("/unit/staff/import/template.xlsx").status_code == 404
    assert client.post(URL, {"file": xlsx([["甲", new_id_number(60), "", "", "", ""]])}).status_code == 404
    assert not Professional.objects.filter(id_number_q(new_id_number(60))).exists()


def test_a_reviewer_cannot_import_into_another_unit(client, reviewer, unit_a, unit_b):
    upload(client, xlsx([["甲", new_id_number(61), "", "", "", ""]]), unit=unit_b.pk)
    assert Professional.objects.get(id_number_q(new_id_number(61))).employments.get().unit == unit_a
    assert staff_count(unit_b) == 0


def test_a_reviewer_of_two_units_chooses_which(client, unit_a):
    other = UnitFactory(name="第二分院")
    user = UserFactory(username="multi")
    grant(user, Role.UNIT_REVIEWER, unit_a)
    grant(user, Role.UNIT_REVIEWER, other)
    client.force_login(user)
    assert "请选择单位" in upload(client, xlsx([["甲", new_id_number(62), "", "", "", ""]])).content.decode()
    response = upload(client, xlsx([["甲", new_id_number(62), "", "", "", ""]]), unit=UnitFactory().pk)
    assert "请选择您负责的单位" in response.content.decode()
    upload(client, xlsx([["甲", new_id_number(62), "", "", "", ""]]), unit=other.pk)
    assert Professional.objects.get(id_number_q(new_id_number(62))).employments.get().unit == other
