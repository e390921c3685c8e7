"""The pure validator of platform records: no database, no clock (now is passed in)."""
import datetime as dt
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ce_portal.errors import DomainError
from platforms.ingest import rules as ingest
from platforms.ingest.rules import CleanRecord, Learner, Outcome, Rejection

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2025, 6, 15, 10, 0, tzinfo=SHANGHAI)
GOOD = {
    "external_id": "HNZJ-1",
    "id_number": "41040019650101903X",
    "name": "张爱丽",
    "course_title": "职业道德与诚信建设",
    "category": "public",
    "hours": "3",
    "completed_at": "2025-05-01T10:30:00+08:00",
}


def clean(record, *, category="public", now=NOW):
    return ingest.clean_record(0, record, category=category, now=now)


def code_of(record, **kwargs):
    result = clean(record, **kwargs)
    return result.code if isinstance(result, Rejection) else "ok"


def test_a_good_record_is_normalised():
    record = clean({**GOOD, "id_number": " 41040019650101903x ", "name": " 张爱丽 ", "hours": D("3.0")})
    assert isinstance(record, CleanRecord)
    assert record.id_number == "41040019650101903X"
    assert record.name == "张爱丽"
    assert record.hours == D("3.0")
    assert record.completed_at == dt.datetime(2025, 5, 1, 10, 30, tzinfo=SHANGHAI)
    assert record.year == 2025


@pytest.mark.parametrize("field", ingest.REQUIRED_FIELDS)
@pytest.mark.parametrize("absent", ["drop", None, "", "   "])
def test_each_absent_field_is_missing(field, absent):
    record = {k: v for k, v in GOOD.items() if k != field} if absent == "drop" else {**GOOD, field: absent}
    result = clean(record)
    if absent == "   " and field in ("hours", "completed_at", "category", "id_number"):
        assert result.code == f"invalid_{field}"  # blank text is not a number, a date or a category
    else:
        assert (result.code, result.field) == ("missing_field", field)


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("external_id", 123, "invalid_external_id"),
        ("external_id", "x" * 65, "invalid_external_id"),
        ("external_id", "a\x00b", "invalid_external_id"),
        ("external_id", "a\ud800b", "invalid_external_id"),  # a lone surrogate cannot be stored
        ("id_number", "4104001965010190", "invalid_id_number"),
        ("id_number", "41040019650101900Y", "invalid_id_number"),
        ("id_number", 41040019650101900, "invalid_id_number"),
        ("id_number", "410400196501019030", "invalid_id_number"),  # the check digit of …903 is X
        ("id_number", "٤١٠٤٠٠١٩٦٥٠١٠١٩٠٣X", "invalid_id_number"),  # Arabic-Indic digits match Python's \d
        ("id_number", "４１０４００１９６５０１０１９０３X", "invalid_id_number"),  # a machine sends ASCII
        ("name", ["张爱丽"], "invalid_name"),
        ("name", "张" * 65, "invalid_name"),
        ("name", "张\n爱丽", "invalid_name"),
        ("course_title", "课" * 201, "invalid_course_title"),
        ("category", "PUBLIC", "invalid_category"),
        ("category", ["public"], "invalid_category"),
        ("hours", 0, "invalid_hours"),
        ("hours", "-1", "invalid_hours"),
        ("hours", "1.2", "invalid_hours"),
        ("hours", D("0.25"), "invalid_hours"),
        ("hours", "60.5", "invalid_hours"),
        ("hours", "NaN", "invalid_hours"),
        ("hours", "Infinity", "invalid_hours"),
        ("hours", "三", "invalid_hours"),
        ("hours", True, "invalid_hours"),
        ("hours", {"v": 1}, "invalid_hours"),
        ("hours", "1" * 13, "invalid_hours"),
        ("completed_at", "2025-13-01T00:00:00", "invalid_completed_at"),
        ("completed_at", "yesterday", "invalid_completed_at"),
        ("completed_at", 1714530600, "invalid_completed_at"),
        ("completed_at", "0001-01-01T00:00:00+14:00", "invalid_completed_at"),  # outside datetime once moved
    ],
)
def test_each_malformed_field_has_its_code(field, value, code):
    result = clean({**GOOD, field: value})
    assert (result.code, result.field) == (code, field)


@pytest.mark.parametrize(
    ("sent", "expected"),
    [(1, D("1.0")), ("0.5", D("0.5")), (D("2.50"), D("2.5")), (1.5, D("1.5")), ("60", D("60.0")), ("1e1", D("10.0"))],
)
def test_hours_in_half_steps_up_to_the_cap(sent, expected):
    assert ingest.parse_hours(sent) == expected


def test_completed_at_without_offset_is_beijing_time_and_z_is_utc():
    assert clean({**GOOD, "completed_at": "2025-05-01T10:30:00"}).completed_at == dt.datetime(
        2025, 5, 1, 10, 30, tzinfo=SHANGHAI)
    # 31 Dec 20:00 UTC is already 1 January in Beijing: the hours belong to the new year.
    late = clean({**GOOD, "completed_at": "2024-12-31T20:00:00Z"})
    assert late.year == 2025


def test_a_platform_registers_only_its_own_category():
    assert code_of({**GOOD, "category": "professional"}, category="public") == "category_not_allowed"
    assert code_of({**GOOD, "category": "public"}, category="professional") == "category_not_allowed"
    assert code_of({**GOOD, "category": "professional"}, category="professional") == "ok"


def test_a_completion_in_the_future_is_refused_beyond_a_small_clock_skew():
    assert code_of({**GOOD, "completed_at": (NOW + dt.timedelta(minutes=4)).isoformat()}) == "ok"
    assert code_of({**GOOD, "completed_at": (NOW + dt.timedelta(minutes=6)).isoformat()}) == "future_completion"


def test_a_record_that_is_not_an_object_is_invalid():
    assert clean(["HNZJ-1"]).code == "invalid_record"
    assert clean(None).code == "invalid_record"


def test_equivalent_content_has_the_same_hash_and_other_content_another():
    base = clean(GOOD).content_hash
    assert clean({**GOOD, "hours": 3, "completed_at": "2025-05-01T02:30:00Z", "name": "张爱丽 "}).content_hash == base
    assert clean({**GOOD, "hours": "3.5"}).content_hash != base
    assert clean({**GOOD, "course_title": "另一门课"}).content_hash != base


def test_a_repeated_external_id_in_one_batch_is_refused_after_the_first():
    batch = [GOOD, {**GOOD, "hours": "4"}, {**GOOD, "external_id": " HNZJ-1 "}, {**GOOD, "external_id": "HNZJ-2"}]
    results = ingest.clean_batch(batch, category="public", now=NOW)
    assert isinstance(results[0], CleanRecord)
    assert [r.code for r in results[1:3]] == ["duplicate_in_batch", "duplicate_in_batch"]
    assert isinstance(results[3], CleanRecord) and results[3].index == 3


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ([GOOD], "invalid_batch"),
        ({"record": [GOOD]}, "invalid_batch"),
        ({"records": GOOD}, "invalid_batch"),
        ({"records": []}, "empty_batch"),
        ({"records": [GOOD] * (ingest.MAX_BATCH + 1)}, "batch_too_large"),
    ],
)
def test_bad_batches_are_refused_whole(data, code):
    with pytest.raises(DomainError) as refused:
        ingest.parse_batch(data)
    assert refused.value.code == code


def test_a_full_batch_is_allowed():
    assert len(ingest.parse_batch({"records": [GOOD] * ingest.MAX_BATCH})) == ingest.MAX_BATCH


def test_names_match_ignoring_spaces_and_the_form_of_the_middle_dot():
    assert ingest.same_name("买买提•艾力", "买买提·艾力")
    assert ingest.same_name("张　爱丽", "张爱丽")
    assert not ingest.same_name("张爱莉", "张爱丽")


def test_learner_refusals():
    record = clean(GOOD)
    assert ingest.learner_refusal(record, None).code == "unknown_learner"
    assert ingest.learner_refusal(record, Learner(1, "张爱丽", "rejected")).code == "learner_rejected"
    assert ingest.learner_refusal(record, Learner(1, "李博", "active")).code == "name_mismatch"
    assert ingest.learner_refusal(record, Learner(1, "张爱丽", "pending")) is None


def test_platform_year_refusal():
    assert ingest.platform_year_refusal(2025, [2024, 2025]) is None
    assert ingest.platform_year_refusal(2023, [2024, 2025]).code == "platform_not_approved_for_year"


def test_summary_counts_and_keeps_order():
    summary = ingest.outcomes_summary([
        Outcome("created", "a"), Outcome("rejected", None, Rejection("invalid_record", "…")), Outcome("duplicate", "c"),
    ])
    assert (summary["received"], summary["created"], summary["duplicate"], summary["rejected"]) == (3, 1, 1, 1)
    assert summary["results"][1] == {"index": 1, "external_id": None, "status": "rejected",
                                     "code": "invalid_record", "message": "…"}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.decimals() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=3),
    max_leaves=10,
)


# The machine is shared and noisy: slow generation is not a failure of the code under test.
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=300)
@given(st.fixed_dictionaries({}, optional={field: json_values | st.just(GOOD[field]) for field in GOOD}))
def test_any_record_is_either_clean_or_refused_with_a_known_code(record):
    result = clean(record)
    if isinstance(result, Rejection):
        assert result.code in ingest.RECORD_CODES
    else:
        assert D("0.5") <= result.hours <= ingest.MAX_RECORD_HOURS
        assert result.completed_at.tzinfo is not None
