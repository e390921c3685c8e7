"""Rules on people and identifiers, free of the database: the checksums of Chinese identifiers (身份证号,
统一社会信用代码) with messages a person can act on, when two spellings are one name, what a
self-registration does, and staff lists in and out of spreadsheets (the download template, reading an
upload, cleaning one row).

One row cleaner serves the file import, the single-person form and the API, so the three can never
disagree; `records.people.services.staff_import` decides what a clean row means for the registry.
"""
import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import models
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc

from ce_portal.errors import DomainError


# What a Chinese input method types in full-width mode. Only these are forgiven: any other digit (Arabic-Indic,
# mathematical bold…) is refused rather than read as a number the person may not have meant.
_FULL_WIDTH = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)}, "\uff38": "X", "\uff58": "X"})


def normalize_id_number(value: str) -> str:
    # People paste numbers grouped as "410402 19900101 1234", in full-width digits, with a lower-case x.
    return "".join((value or "").translate(_FULL_WIDTH).split()).upper()


_ID_NUMBER_SHAPE = re.compile(r"[0-9]{17}[0-9X]")  # ASCII only: str's \d would match any script's digits


def id_number_well_formed(value: str) -> bool:
    """18 ASCII characters whose check digit (ISO 7064) is right: the cheap part of `validate_id_number`, for
    checking a thousand numbers of a platform's batch (the birth-place look-up costs 45 µs a number)."""
    return _ID_NUMBER_SHAPE.fullmatch(value) is not None and ric.calc_check_digit(value) == value[-1]


def validate_id_number(value: str) -> None:
    """居民身份证号码 (GB 11643): 18 ASCII characters, valid birth date and region, ISO 7064 check digit
    (may be X). The value must already be normalised: this checks it as it will be stored."""
    if len(value) != 18:
        raise ValidationError("身份证号码应为 18 位。", code="id_number_length")
    if not _ID_NUMBER_SHAPE.fullmatch(value):
        raise ValidationError("身份证号码只能包含数字，最后一位可以是 X。", code="id_number_format")
    try:
        ric.validate(value)
    except stdnum_errors.InvalidChecksum:
        raise ValidationError("身份证号码校验位不正确，请核对最后一位。", code="id_number_checksum")
    except stdnum_errors.ValidationError:  # the shape is right, so what is left is the date or the region
        raise ValidationError("身份证号码中的出生日期或地区码无效。", code="id_number_component")


def normalize_credit_code(value: str) -> str:
    return "".join(uscc.compact(value or "").split()).upper()


def validate_credit_code(value: str) -> None:
    """统一社会信用代码 (GB 32100): 18 characters with a check character."""
    try:
        uscc.validate(value)
    except stdnum_errors.InvalidLength:
        raise ValidationError("统一社会信用代码应为 18 位。", code="credit_code_length")
    except stdnum_errors.InvalidChecksum:
        raise ValidationError("统一社会信用代码校验位不正确，请核对最后一位。", code="credit_code_checksum")
    except (stdnum_errors.InvalidFormat, stdnum_errors.InvalidComponent):
        raise ValidationError("统一社会信用代码格式不正确（不得含 I、O、Z、S、V）。", code="credit_code_format")


def mask_id_number(value: str) -> str:
    """Keep the region prefix and the last four: enough to tell people apart, not enough to impersonate."""
    if len(value) < 10:
        return "*" * len(value)
    return f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}"


def validate_mobile(value: str) -> None:
    """Mainland mobile numbers: 11 digits starting 13–19 (the unit calls people on these, not landlines)."""
    if not (len(value) == 11 and value.isdigit() and value[0] == "1" and value[1] in "3456789"):
        raise ValidationError("手机号码应为 11 位数字，以 13–19 开头。", code="phone_format")


_NAME_SPACES = re.compile(r"[\s\u3000]+")


# The middle dot of minority names (买买提·艾力) arrives in several look-alike forms.
_NAME_DOTS = str.maketrans({"\u2022": "·", "\u2219": "·", "\u2027": "·", "\u30fb": "·", "\uff0e": "·"})


def same_name(sent: str, registered: str) -> bool:
    """Names match ignoring spaces (full-width too) and the form of the middle dot."""
    return _NAME_SPACES.sub("", sent).translate(_NAME_DOTS) == _NAME_SPACES.sub("", registered).translate(_NAME_DOTS)


class EmploymentPeriod(NamedTuple):
    unit_name: str
    started_on: dt.date
    ended_on: dt.date | None  # None: current


def employment_overlap(new: EmploymentPeriod, others) -> str | None:
    """One employment at a time: why `new` may not be recorded beside the person's `others`, or None.

    A person works for one unit on any day (claims go to the unit of the day, certificates name it, a unit
    sees its staff by their current employment), so periods may touch end-to-start but never share a day,
    and at most one is current. Periods missing a start date are left to the field's own check."""
    if new.started_on is None:
        return None
    for other in others:
        if other.started_on is None:
            continue
        if new.ended_on is None and other.ended_on is None:
            return (f"该人员目前已在“{other.unit_name}”任职（{other.started_on:%Y-%m-%d} 起），同一时间只能有一个在职单位；"
                    "请先填写原任职的离职日期。")
        new_end, other_end = new.ended_on or dt.date.max, other.ended_on or dt.date.max
        if new.started_on <= other_end and other.started_on <= new_end:
            other_text = f"{other.started_on:%Y-%m-%d} 至 {other.ended_on:%Y-%m-%d}" if other.ended_on else (
                f"{other.started_on:%Y-%m-%d} 起")
            return f"任职期间与该人员在“{other.unit_name}”的任职（{other_text}）重叠，同一天只能在一个单位任职。"
    return None


class RegistrationPath(StrEnum):
    """What a self-registration does. The registrant is told the same whichever it is (a difference would tell
    a stranger whether a number is registered, under which name, at which unit): only the unit's desk, the
    audit trail and the tests see it."""

    NEW = "new"  # nobody has the number: a new record, pending the chosen unit's approval
    REAPPLY = "reapply"  # the registrant's own refused registration, not taken up by a unit since: anew
    CLAIM = "claim"  # a record a unit entered: an inactive account and a claim that unit decides
    IGNORE = "ignore"  # the number already has an account in use (or awaiting a decision): nothing changes


@dataclass(frozen=True)
class RegistrationFacts:
    """What the registry holds under one ID number, as far as a self-registration needs to know."""

    record: bool = False  # a person with this number exists
    record_has_account: bool = False  # …and their record is linked to a log-in account
    record_is_own_refused: bool = False  # …which is this number's account, of a self-registration the unit refused
    record_held: bool = False  # …and a unit employs them now
    account: bool = False  # an account with this number as its username exists
    account_reusable: bool = False  # …inactive, with nothing pending: every request it made was refused


def registration_path(facts: RegistrationFacts) -> RegistrationPath:
    if facts.account and not facts.account_reusable:
        return RegistrationPath.IGNORE  # active, pending, or another kind of account (staff) with that name
    if not facts.record:
        return RegistrationPath.IGNORE if facts.account else RegistrationPath.NEW
    if not facts.record_has_account:
        return RegistrationPath.CLAIM
    if facts.record_is_own_refused:
        # Refused, then entered by a unit (import, 添加人员): the unit's data is in it now, so it is claimed.
        return RegistrationPath.CLAIM if facts.record_held else RegistrationPath.REAPPLY
    return RegistrationPath.IGNORE  # linked to another account


MAX_FILE_BYTES = 2 * 1024 * 1024


MAX_ROWS = 5_000
# Every line read counts, blank or not: a small file can declare half a million empty rows, and reading
# them all would hold a web worker for seconds. A little room is left for a title and blank lines.
MAX_LINES = MAX_ROWS + 100


COLUMNS = ["姓名", "身份证号码", "专业", "职称等级", "手机号码", "入职日期"]


REQUIRED_COLUMNS = COLUMNS[:5]  # 入职日期 may be left out: it defaults to the day of the import


_FIELD_OF_COLUMN = dict(zip(COLUMNS, ["name", "id_number", "specialty", "title_level", "phone", "started_on"]))


# What people type into the header instead of our exact words.
_HEADER_ALIASES = {
    "身份证号": "身份证号码", "身份证": "身份证号码", "手机号": "手机号码", "手机": "手机号码", "职称": "职称等级",
}


class TitleLevel(models.TextChoices):
    NONE = "none", "未定级"
    JUNIOR = "junior", "初级"
    INTERMEDIATE = "intermediate", "中级"
    ASSOCIATE_SENIOR = "associate_senior", "副高级"
    SENIOR = "senior", "正高级"


TITLE_LEVEL_BY_LABEL = {label: value for value, label in TitleLevel.choices}


_TITLE_LEVEL_VALUES = set(TITLE_LEVEL_BY_LABEL.values())


# Excel turns a long number into 4.10402E+17 (and loses the last digits) unless the column is text.
_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?[eE]\+?\d+$")


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


class StaffRowInvalid(DomainError):
    """Every problem of one row at once, so a person fixes the row in one go; code/field are the first."""

    def __init__(self, errors: list[DomainError]):
        super().__init__("；".join(e.message for e in errors), code=errors[0].code, field=errors[0].field)
        self.errors = errors


@dataclass(frozen=True)
class StaffRow:
    name: str
    id_number: str
    started_on: dt.date
    specialty: str = ""
    title_level: str = TitleLevel.NONE
    phone: str = ""


@dataclass
class RawRow:
    """One data line of an upload as read, before cleaning; `line` is what the person sees in Excel."""

    line: int
    values: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return _text(self.values.get("name")) or "（未填姓名）"

    @property
    def id_text(self) -> str:
        return _text(self.values.get("id_number"))


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _clean_id_number(value) -> str:
    if isinstance(value, (int, float)) or _SCIENTIFIC.match(_text(value)):
        raise DomainError(
            "身份证号码被 Excel 存成了数字（末几位可能已丢失），请把该列设为“文本”格式后重新填写。",
            code="id_number_as_number", field="id_number",
        )
    number = normalize_id_number(_text(value))
    if not number:
        raise DomainError("请填写身份证号码。", code="id_number_required", field="id_number")
    try:
        validate_id_number(number)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], code=exc.error_list[0].code, field="id_number")
    return number


def _clean_title_level(value) -> str:
    text = _text(value)
    if not text:
        return TitleLevel.NONE
    if text in _TITLE_LEVEL_VALUES:  # the API sends codes, spreadsheets send labels
        return text
    if text in TITLE_LEVEL_BY_LABEL:
        return TITLE_LEVEL_BY_LABEL[text]
    raise DomainError(
        f"职称等级“{text}”无效，应为 {'、'.join(TITLE_LEVEL_BY_LABEL)} 之一。",
        code="title_level_invalid", field="title_level",
    )


def _clean_phone(value) -> str:
    phone = _text(value).replace(" ", "").replace("-", "")
    if phone:
        try:
            validate_mobile(phone)
        except ValidationError as exc:
            raise DomainError(exc.messages[0], code="phone_format", field="phone")
    return phone


def _clean_started_on(value, *, today: dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    elif not _text(value):
        return today
    else:
        day = _parse_date(_text(value))
    if day > today:
        raise DomainError("入职日期不能晚于今天。", code="started_on_in_future", field="started_on")
    return day


def _parse_date(text: str) -> dt.date:
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise DomainError(
        f"入职日期“{text}”无法识别，请写成 2024-03-01 的格式。", code="started_on_format", field="started_on"
    )


def _clean_text(value, *, label: str, field_name: str, max_length: int, required: bool) -> str:
    text = _text(value)
    if required and not text:
        raise DomainError(f"请填写{label}。", code=f"{field_name}_required", field=field_name)
    if len(text) > max_length:
        raise DomainError(f"{label}不能超过 {max_length} 个字。", code=f"{field_name}_too_long", field=field_name)
    return text


def clean_staff_row(*, today: dt.date, name=None, id_number=None, specialty=None, title_level=None, phone=None,
                    started_on=None) -> StaffRow:
    """Raw values (cells, form or JSON fields) → a StaffRow, or StaffRowInvalid listing every problem."""
    cleaners = {
        "name": lambda: _clean_text(name, label="姓名", field_name="name", max_length=64, required=True),
        "id_number": lambda: _clean_id_number(id_number),
        "specialty": lambda: _clean_text(specialty, label="专业", field_name="specialty", max_length=64,
                                         required=False),
        "title_level": lambda: _clean_title_level(title_level),
        "phone": lambda: _clean_phone(phone),
        "started_on": lambda: _clean_started_on(started_on, today=today),
    }
    values, errors = {}, []
    for name_, clean in cleaners.items():
        try:
            values[name_] = clean()
        except DomainError as exc:
            errors.append(exc)
    if errors:
        raise StaffRowInvalid(errors)
    return StaffRow(**values)


class ImportFileError(DomainError):
    """The file as a whole is refused: nothing in it is looked at further."""


def read_staff_file(upload) -> list[RawRow]:
    """An uploaded .xlsx or .csv → its data rows (blank lines skipped), or ImportFileError."""
    return _rows_under_header(_file_lines(upload), _header_columns)


# A session's roster (records.plans): the ID number identifies the person; a name, if given, is checked.
ROSTER_COLUMNS = ["姓名", "身份证号码"]


def read_roster_file(upload) -> list[RawRow]:
    """A session's roster, .xlsx or .csv like the staff file: 身份证号码 required, 姓名 optional."""
    return _rows_under_header(_file_lines(upload), _roster_columns)


def _roster_columns(cells) -> dict[int, str]:
    columns = {}
    for index, cell in enumerate(cells):
        title = _text(cell).replace(" ", "").rstrip("*＊")
        title = _HEADER_ALIASES.get(title, title)
        if title in ROSTER_COLUMNS:
            columns[index] = _FIELD_OF_COLUMN[title]
    if "id_number" not in columns.values():
        raise ImportFileError("第一行应为表头（身份证号码，可另加一列姓名），缺少：身份证号码。", code="import_no_header")
    return columns


def _file_lines(upload):
    name = (upload.name or "").lower()
    if upload.size > MAX_FILE_BYTES:
        raise ImportFileError("文件超过 2 MB，请拆分后分批导入。", code="import_too_large")
    if name.endswith(".xls"):
        raise ImportFileError("不支持旧版 .xls 文件，请在 Excel 中“另存为”.xlsx 后再导入。", code="import_file_type")
    content = upload.read()
    if name.endswith(".xlsx"):
        lines = _xlsx_lines(content)
    elif name.endswith(".csv"):
        lines = _csv_lines(content)
    else:
        raise ImportFileError("仅支持 .xlsx 或 .csv 文件，请使用页面上的模板。", code="import_file_type")
    return lines


def _xlsx_lines(content: bytes):
    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise ImportFileError("该文件不是有效的 Excel（.xlsx）文件，请用模板重新填写。", code="import_bad_file")
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises whatever the broken zip member makes it raise
        raise ImportFileError("无法读取该 Excel 文件，请确认文件未损坏、未加密。", code="import_bad_file")
    try:
        for number, row in enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1):
            yield number, list(row)
    finally:
        workbook.close()


def _csv_lines(content: bytes):
    if b"\x00" in content:
        raise ImportFileError("该文件不是文本格式的 CSV 文件。", code="import_bad_file")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError("无法识别文件编码，请以 UTF-8 或 GB18030（GBK）编码保存 CSV。",
                              code="import_bad_encoding")
    reader = csv.reader(io.StringIO(text, newline=""))
    for row in reader:
        yield reader.line_num, row


def _rows_under_header(lines, header_columns) -> list[RawRow]:
    columns = None
    rows: list[RawRow] = []
    for number, cells in lines:
        if number > MAX_LINES:
            raise ImportFileError(f"文件超过 {MAX_ROWS} 行（空行也计算在内），请删除多余的空行或拆分后分批导入。",
                                  code="import_too_many_rows")
        if all(_text(c) == "" for c in cells):
            continue
        if columns is None:
            columns = header_columns(cells)
            continue
        if len(rows) == MAX_ROWS:
            raise ImportFileError(f"文件超过 {MAX_ROWS} 行，请拆分后分批导入。", code="import_too_many_rows")
        rows.append(RawRow(line=number, values={
            field_name: cells[index] if index < len(cells) else None for index, field_name in columns.items()
        }))
    if columns is None:
        raise ImportFileError("文件是空的。", code="import_empty")
    if not rows:
        raise ImportFileError("表头下面没有人员数据。", code="import_empty")
    return rows


def _header_columns(cells) -> dict[int, str]:
    """The first non-blank line must be the header; it maps column index → field."""
    columns = {}
    for index, cell in enumerate(cells):
        title = _text(cell).replace(" ", "").rstrip("*＊")
        title = _HEADER_ALIASES.get(title, title)
        if title in _FIELD_OF_COLUMN:
            columns[index] = _FIELD_OF_COLUMN[title]
    missing = [c for c in REQUIRED_COLUMNS if _FIELD_OF_COLUMN[c] not in columns.values()]
    if missing:
        raise ImportFileError(
            f"第一行应为表头（{'、'.join(COLUMNS)}），缺少：{'、'.join(missing)}。请使用页面上的模板。",
            code="import_no_header",
        )
    return columns


_INSTRUCTIONS = [
    "1. 在“人员名单”工作表第 2 行起每行填写一人，不要修改第 1 行表头。",
    "2. 姓名、身份证号码必填；身份证号码列已设为文本格式，请勿改成数字（否则末几位会丢失）。",
    f"3. 职称等级填写：{'、'.join(TITLE_LEVEL_BY_LABEL)}；不填视为“未定级”。",
    "4. 手机号码可不填；填写时应为 11 位手机号。",
    "5. 入职日期可不填（默认为导入当天），格式如 2024-03-01，不能晚于今天。",
    f"6. 每个文件最多 {MAX_ROWS} 人、不超过 2 MB；也可另存为 CSV（UTF-8 或 GBK 编码）导入。",
    "7. 已在其他单位任职的人员不能导入，请使用“调入人员”办理。",
    "8. 导入的人员暂无登录账号；本人以身份证号码自助注册后，须经本单位核对通过才能登录，导入的信息不会因注册而改变。",
]


def template_xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "人员名单"
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEF", (12, 22, 16, 10, 14, 14)):
        sheet.column_dimensions[letter].width = width
    last = MAX_ROWS + 1
    # Column styles (not styled empty cells, which Excel would count as used rows): text, so Excel keeps all
    # 18 digits (and an X) of an ID number; a plain date format for 入职日期.
    for letter in "BE":
        sheet.column_dimensions[letter].number_format = "@"
    sheet.column_dimensions["F"].number_format = "yyyy-mm-dd"
    levels = DataValidation(type="list", formula1=f'"{",".join(TITLE_LEVEL_BY_LABEL)}"', allow_blank=True,
                            showErrorMessage=True, errorTitle="职称等级", error="请从下拉列表中选择。")
    levels.add(f"D2:D{last}")
    sheet.add_data_validation(levels)
    sheet.freeze_panes = "A2"
    notes = workbook.create_sheet("填写说明")
    for line in _INSTRUCTIONS:
        notes.append([line])
    notes.column_dimensions["A"].width = 100
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def template_csv() -> bytes:
    # With a BOM, so Excel on Windows opens the Chinese header as UTF-8 rather than as GBK gibberish.
    return ("\ufeff" + ",".join(COLUMNS) + "\r\n").encode("utf-8")


def one_time_password_refusal(*, has_account: bool, is_active: bool, other_roles: bool) -> DomainError | None:
    """Why a unit may not give this person of its staff a one-time password, or None.

    A unit answers for its staff's professional accounts only: an account that also reviews, oversees or
    administers anything (another role, the admin) would hand the unit that power, so it is reset by whoever
    granted it. An account not yet in use (no registration, awaiting or refused approval) has nothing to reset.
    """
    if not has_account:
        return DomainError("该人员尚未注册账号，无需重置密码：请本人在平台以身份证号码注册。", code="no_account")
    if not is_active:
        return DomainError("该人员的账号尚未启用（注册申请待审核或未通过），不能重置密码。", code="account_inactive")
    if other_roles:
        return DomainError("该账号另有审核或管理职责，单位不能重置其密码，请联系授予该职责的人社局。",
                           code="account_has_other_roles")
    return None
