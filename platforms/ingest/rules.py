"""The platform ingestion API's rules on a batch and its records, as plain functions without I/O.

Validation is hand-written rather than a DRF serializer per record: a serializer per record costs more than
the database work of the whole record (bench/ingest_bench.py), and these functions are the contract that
the tests pin down. The stable codes a platform sees are listed once, in BATCH_CODES and RECORD_CODES;
the OpenAPI description is built from them.

A resend of an already registered record is `duplicate` even when it would now be refused for another
reason (the year closed since, the learner renamed): a platform retrying after a timeout must be able to
tell that its record is in.

A learner whose registration is still pending (待单位审核) is accepted: the ID number and name identify a
real registered person, the hours belong to the year the learning happened and there is no make-up after
the year closes, so refusing now would lose them for good. Only a refused registration is rejected.
"""
import datetime as dt
import hashlib
import re
import secrets
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from ce_portal.clock import SHANGHAI
from ce_portal.errors import DomainError
from records.people.rules import id_number_well_formed, same_name

MAX_BATCH = 1000


# 1,000 records of the longest allowed content (200-character Chinese titles) stay under 1.5 MB.
MAX_BODY_BYTES = 4 * 1024 * 1024


# The largest package a platform sells is one category's whole annual requirement (专业科目 60 学时);
# anything larger in one record is a data error on the platform's side.
MAX_RECORD_HOURS = Decimal("60")


# Platforms' clocks may run a little ahead of ours.
CLOCK_SKEW = dt.timedelta(minutes=5)


# (HTTP status, code) → meaning, for a request refused whole: nothing is registered.
BATCH_CODES = {
    (401, "not_authenticated"): "缺少 Authorization: Bearer <令牌> 请求头。",
    (401, "invalid_token"): "令牌无效（格式不对或不存在）。",
    (401, "token_revoked"): "令牌已被市人社局吊销。",
    (403, "platform_inactive"): "学习平台已停用。",
    (400, "malformed_json"): "请求体不是合法的 JSON（含 NaN/Infinity、非 UTF-8 或嵌套过深）。",
    (400, "invalid_batch"): '请求体不是 {"records": [...]}。',
    (400, "empty_batch"): "records 为空。",
    (400, "batch_too_large"): f"一批超过 {MAX_BATCH} 条记录。",
    (413, "payload_too_large"): f"请求体超过 {MAX_BODY_BYTES // (1024 * 1024)} MB。",
    (415, "unsupported_media_type"): "Content-Type 不是 application/json。",
}


# Codes of a record answered `rejected`; every other record of the batch is unaffected.
RECORD_CODES = {
    "invalid_record": "记录不是 JSON 对象。",
    "missing_field": "缺少必填字段，或字段为 null/空白（field 指明字段）。",
    "invalid_external_id": "external_id 不是不超过 64 个字符、且不含控制字符的文本。",
    "invalid_id_number": "id_number 不是 18 位半角数字（末位可为 X），或校验位不正确。",
    "invalid_name": "name 不是不超过 64 个字符、且不含控制字符的文本。",
    "invalid_course_title": "course_title 不是不超过 200 个字符、且不含控制字符的文本。",
    "invalid_category": 'category 不是 "public" 或 "professional"。',
    "invalid_hours": f"hours 不是大于 0、不超过 {MAX_RECORD_HOURS} 且以 0.5 为单位的数字。",
    "invalid_completed_at": "completed_at 不是 ISO 8601 时间（不带时区时按北京时间理解）。",
    "duplicate_in_batch": "同一批中前面已有相同 external_id 的记录。",
    "category_not_allowed": "附件1 公需科目平台登记了专业科目学时，或附件2 专业科目平台登记了公需科目学时。",
    "future_completion": f"完成时间晚于当前时间（容许 {CLOCK_SKEW.seconds // 60} 分钟时钟误差）。",
    "platform_not_approved_for_year": "平台未列入该年度认定的学习平台名单。",
    "year_closed": "该年度学时申报已截止（不得结转或补报；经批准补学豁免的人员除外）。",
    "year_in_future": "完成时间所在年度尚未开始。",
    "unknown_learner": "该身份证号码未登记为专业技术人员。",
    "learner_rejected": "该人员的注册未通过单位审核。",
    "name_mismatch": "姓名与该身份证号码登记的姓名不一致。",
    "conflict": "该 external_id 已登记过内容不同的记录；已登记的记录保持不变。",
}


PUBLIC, PROFESSIONAL = "public", "professional"


CATEGORY_LABELS = {PUBLIC: "公需科目", PROFESSIONAL: "专业科目"}


REQUIRED_FIELDS = ("external_id", "id_number", "name", "course_title", "category", "hours", "completed_at")


FIELD_LABELS = {
    "external_id": "平台记录编号", "id_number": "身份证号码", "name": "姓名", "course_title": "课程名称",
    "category": "科目类别", "hours": "学时", "completed_at": "完成时间",
}


# Control characters cannot be stored in PostgreSQL text (NUL) or shown; lone surrogates cannot be encoded.
_BAD_CHARS = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


class Rejection(NamedTuple):
    code: str
    message: str
    field: str | None = None


class CleanRecord(NamedTuple):
    index: int
    external_id: str
    id_number: str
    name: str
    course_title: str
    category: str
    hours: Decimal
    completed_at: dt.datetime
    year: int
    content_hash: str


class Learner(NamedTuple):
    """What the rules need to know of the registered professional an ID number belongs to."""

    id: int
    name: str
    status: str


class Outcome(NamedTuple):
    status: str  # "created" | "duplicate" | "rejected"
    external_id: str | None = None
    rejection: Rejection | None = None


def parse_batch(data) -> list:
    """The records of a request body, or a DomainError that refuses the whole batch."""
    if not isinstance(data, dict) or "records" not in data:
        # An empty body lands here too, and so does a chunked one (WSGI hands Django no body without a length).
        raise DomainError(
            '请求体应为 JSON 对象 {"records": [...]}，并带 Content-Length 头（不支持分块传输编码）。', code="invalid_batch"
        )
    records = data["records"]
    if not isinstance(records, list):
        raise DomainError("records 应为记录数组。", code="invalid_batch", field="records")
    if not records:
        raise DomainError("records 为空：一批至少包含一条记录。", code="empty_batch", field="records")
    if len(records) > MAX_BATCH:
        raise DomainError(
            f"一批最多 {MAX_BATCH} 条记录，本批 {len(records)} 条，请拆分后重新发送。",
            code="batch_too_large", field="records",
        )
    return records


def _missing(field: str) -> Rejection:
    return Rejection("missing_field", f"缺少{FIELD_LABELS[field]}（{field}）。", field)


def _text(raw: dict, field: str, max_length: int) -> str | Rejection:
    value = raw.get(field)
    if value is None:
        return _missing(field)
    if not isinstance(value, str) or len(value) > max_length * 2:
        return Rejection(f"invalid_{field}", f"{FIELD_LABELS[field]}应为不超过 {max_length} 个字符的文本。", field)
    value = value.strip()
    if not value:
        return _missing(field)
    if len(value) > max_length or _BAD_CHARS.search(value):
        return Rejection(
            f"invalid_{field}", f"{FIELD_LABELS[field]}应为不超过 {max_length} 个字符的文本，且不含控制字符。", field
        )
    return value


_INVALID_HOURS = Rejection(
    "invalid_hours", f"学时应为大于 0、不超过 {MAX_RECORD_HOURS} 且以 0.5 为单位的数字，如 2 或 1.5。", "hours"
)


_INVALID_COMPLETED_AT = Rejection(
    "invalid_completed_at", "完成时间应为 ISO 8601 格式，如 2025-05-01T10:30:00+08:00。", "completed_at"
)


def parse_hours(value) -> Decimal | Rejection:
    """Hours as the platform sent them (a JSON number or a string) → Decimal in 0.5 steps, or why not."""
    if value is None or value == "":
        return _missing("hours")
    wrong = _INVALID_HOURS
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, float, str)):
        return wrong
    if isinstance(value, str):
        if len(value) > 12:
            return wrong
        value = value.strip()
    try:
        # A float (only from callers other than our JSON parser, which reads numbers as Decimal) goes through
        # its shortest repr, so 1.5 stays 1.5 and not 1.5000000000000000000001.
        hours = Decimal(repr(value) if isinstance(value, float) else value)
    except (InvalidOperation, ValueError, TypeError):
        return wrong
    if not hours.is_finite() or hours <= 0 or hours > MAX_RECORD_HOURS or (hours * 2) % 1 != 0:
        return wrong
    return hours.quantize(Decimal("0.1"))


def parse_completed_at(value) -> dt.datetime | Rejection:
    """ISO 8601 → aware datetime; without an offset the time is Beijing time (what platforms here send)."""
    if value is None or value == "":
        return _missing("completed_at")
    wrong = _INVALID_COMPLETED_AT
    if not isinstance(value, str) or len(value) > 40:
        return wrong
    try:
        moment = dt.datetime.fromisoformat(value.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=SHANGHAI)
        # Also catches offsets that push the moment outside what datetime can hold (year 1 or 9999).
        moment = moment.astimezone(SHANGHAI)
    except (ValueError, OverflowError):
        return wrong
    return moment


def content_hash(external_id, id_number, name, course_title, category, hours, completed_at) -> str:
    """Of the normalised content, so "2" and "2.0", or +08:00 and Z for the same moment, are the same record.
    The separator cannot occur inside a field (control characters are refused)."""
    utc = completed_at.astimezone(dt.timezone.utc).isoformat()
    text = "\x1f".join((external_id, id_number, name, course_title, category, str(hours), utc))
    return hashlib.sha256(text.encode()).hexdigest()


def clean_record(index: int, raw, *, category: str, now: dt.datetime) -> CleanRecord | Rejection:
    """One record's shape and the checks that need nothing but the record, the platform's category and now."""
    if not isinstance(raw, dict):
        return Rejection("invalid_record", "每条记录应为 JSON 对象。")
    external_id = _text(raw, "external_id", 64)
    if isinstance(external_id, Rejection):
        return external_id
    id_number = raw.get("id_number")
    if id_number is None or id_number == "":
        return _missing("id_number")
    # A number that cannot be anyone's is invalid, not an unknown learner: a platform fixes its data rather
    # than waits for a registration that cannot come. ASCII only: a machine has no input method to forgive.
    if not isinstance(id_number, str) or not id_number_well_formed(id_number := id_number.strip().upper()):
        return Rejection("invalid_id_number", "身份证号码应为 18 位半角数字（最后一位可以是 X），且校验位正确。", "id_number")
    name = _text(raw, "name", 64)
    if isinstance(name, Rejection):
        return name
    course_title = _text(raw, "course_title", 200)
    if isinstance(course_title, Rejection):
        return course_title
    record_category = raw.get("category")
    if record_category is None or record_category == "":
        return _missing("category")
    if not isinstance(record_category, str) or record_category not in CATEGORY_LABELS:
        return Rejection("invalid_category", '科目类别应为 "public"（公需科目）或 "professional"（专业科目）。', "category")
    hours = parse_hours(raw.get("hours"))
    if isinstance(hours, Rejection):
        return hours
    completed_at = parse_completed_at(raw.get("completed_at"))
    if isinstance(completed_at, Rejection):
        return completed_at
    if record_category != category:
        return Rejection(
            "category_not_allowed",
            f"本平台只能登记{CATEGORY_LABELS[category]}学时，不能登记{CATEGORY_LABELS[record_category]}学时。",
            "category",
        )
    if completed_at > now + CLOCK_SKEW:
        return Rejection("future_completion", "完成时间晚于当前时间。", "completed_at")
    return CleanRecord(
        index, external_id, id_number, name, course_title, record_category, hours, completed_at, completed_at.year,
        content_hash(external_id, id_number, name, course_title, record_category, hours, completed_at),
    )


def clean_batch(records: list, *, category: str, now: dt.datetime) -> list[CleanRecord | Rejection]:
    """Every record cleaned, in order; a later record repeating an earlier external_id is refused whatever
    either contains, since the platform itself has two versions of one record."""
    seen: set[str] = set()
    cleaned: list[CleanRecord | Rejection] = []
    for index, raw in enumerate(records):
        external_id = raw.get("external_id") if isinstance(raw, dict) else None
        if isinstance(external_id, str):
            external_id = external_id.strip()
            if external_id in seen:
                cleaned.append(Rejection(
                    "duplicate_in_batch", f"本批中已有平台记录编号为 {external_id[:64]} 的记录。", "external_id"
                ))
                continue
            seen.add(external_id)
        cleaned.append(clean_record(index, raw, category=category, now=now))
    return cleaned


def platform_year_refusal(year: int, approved_years) -> Rejection | None:
    if year in approved_years:
        return None
    return Rejection(
        "platform_not_approved_for_year", f"本平台未列入 {year} 年度认定的学习平台名单，不能登记该年度学时。", "completed_at"
    )


def learner_refusal(record: CleanRecord, learner: Learner | None) -> Rejection | None:
    if learner is None:
        return Rejection("unknown_learner", "该身份证号码尚未在本平台登记为专业技术人员。", "id_number")
    if learner.status == "rejected":
        return Rejection("learner_rejected", "该人员的注册未通过单位审核，不能登记学时。", "id_number")
    if not same_name(record.name, learner.name):
        return Rejection("name_mismatch", "姓名与该身份证号码登记的姓名不一致。", "name")
    return None


CONFLICT = Rejection("conflict", "该平台记录编号已登记过内容不同的记录；已登记的记录保持不变。", "external_id")


def outcomes_summary(outcomes: list[Outcome]) -> dict:
    """The response body: counts and one result per record, in the order sent."""
    counts = {"created": 0, "duplicate": 0, "rejected": 0}
    results = []
    for index, outcome in enumerate(outcomes):
        counts[outcome.status] += 1
        result = {"index": index, "external_id": outcome.external_id, "status": outcome.status}
        if outcome.rejection is not None:
            result["code"] = outcome.rejection.code
            result["message"] = outcome.rejection.message
            if outcome.rejection.field:
                result["field"] = outcome.rejection.field
        results.append(result)
    return {"received": len(outcomes), **counts, "results": results}


TOKEN_PREFIX = "cep_"  # lets a leaked token be recognised by secret scanners and in logs


PREFIX_LENGTH = 12  # "cep_" and 8 random characters: enough to tell tokens apart, far too little to guess one


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def generate_token() -> tuple[str, str, str]:
    """A new token as (token, prefix, sha256 hex). The token itself is shown once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, token[:PREFIX_LENGTH], hash_token(token)
