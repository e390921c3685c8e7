"""Filing hours by hand: the pure checks, the form, the services and the pages (rules 2–5 and 8 in docs/rules.md)."""
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.urls import reverse

from audits.review.models import ReviewDecision
from audits.review.services import claim_resubmit, claim_submit, claim_withdraw
from audits.trail.models import AuditEvent
from ce_portal.errors import DomainError, NotFound
from platforms.registry.models import TrainingBase
from records.hours import rules as cr
from records.hours.forms import ClaimForm
from records.hours.models import Claim, EvidenceFile, MakeUpExemption, StagedEvidence
from records.hours.services import ClaimInput, claim_save_draft, evidence_add, evidence_remove
from tests.factories import MINIMAL_PDF, SHANGHAI
from tests.records.evidence_bytes import JPEG, PNG, TEXT, upload

D = Decimal
# Friday 26 September 2025, 10:00 Beijing time: the notice's worked example (due 10 October: 28 Sep is a
# working Sunday, 1–8 October are the National Day holidays).
FRIDAY = dt.datetime(2025, 9, 26, 10, 0, tzinfo=SHANGHAI)


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def claim_input(**overrides) -> ClaimInput:
    values = dict(
        kind="face_to_face", category="professional", title="急诊急救新技术培训班", content="心肺复苏新指南",
        provider_base=None, provider_name="平顶山市第一人民医院", start_date=dt.date(2025, 9, 22),
        end_date=dt.date(2025, 9, 23), hours=D("16"), result="合格", external_certificate_no="",
    )
    values.update(overrides)
    return ClaimInput(**values)


def form_data(**overrides) -> dict:
    data = dict(
        kind="workshop", category="public", title="专业技术人员职业道德研修班", content="职业道德与法律法规",
        provider_base="", provider_name="平顶山学院", start_date="2025-09-22", end_date="2025-09-23",
        hours="16", result="合格", external_certificate_no="",
    )
    data.update(overrides)
    return data


def make_form(professional, *, files=(), now=FRIDAY, existing=0, submitting=False, **overrides):
    return ClaimForm(form_data(**overrides), {"evidence": list(files)} if files else {},
                     professional=professional, now=now, existing_evidence=existing, submitting=submitting)


def stored_files() -> list[Path]:
    root = Path(default_storage.location)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def draft(professional, *, now=FRIDAY, files=1, **overrides) -> Claim:
    claim = claim_save_draft(actor=professional.user, professional=professional, data=claim_input(**overrides), now=now)
    for n in range(files):
        evidence_add(actor=professional.user, claim_id=claim.pk, upload=upload(f"证书{n}.pdf"), now=now)
    return claim


def return_claim(claim: Claim, reviewer, *, on: dt.datetime, reason="考勤记录不清晰，请补充") -> Claim:
    """What the review services will do; here only to place a claim in the returned state."""
    Claim.objects.filter(pk=claim.pk).update(status="returned", version=claim.version + 1)
    ReviewDecision.objects.create(claim=claim, level=1, action="return", reason=reason, reviewer=reviewer, at=on,
                                  on_time=True)
    return Claim.objects.get(pk=claim.pk)


# --- pure checks ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("hours, start, end, code", [
    (D("0"), dt.date(2025, 3, 1), dt.date(2025, 3, 1), "hours_not_positive"),
    (D("-2"), dt.date(2025, 3, 1), dt.date(2025, 3, 1), "hours_not_positive"),
    (D("0.25"), dt.date(2025, 3, 1), dt.date(2025, 3, 1), "hours_step"),
    (D("3.3"), dt.date(2025, 3, 1), dt.date(2025, 3, 1), "hours_step"),
    (D("10.5"), dt.date(2025, 3, 1), dt.date(2025, 3, 1), "hours_over_daily_cap"),
    (D("30.5"), dt.date(2025, 3, 1), dt.date(2025, 3, 3), "hours_over_daily_cap"),
    (D("0.5"), dt.date(2025, 3, 1), dt.date(2025, 3, 1), None),
    (D("10"), dt.date(2025, 3, 1), dt.date(2025, 3, 1), None),
    (D("30.0"), dt.date(2025, 3, 1), dt.date(2025, 3, 3), None),
])
def test_hours_are_positive_half_hours_within_ten_a_day(hours, start, end, code):
    problems = cr.hours_problems(hours, start, end)
    assert [p.code for p in problems] == ([code] if code else [])
    assert all(p.field == "hours" for p in problems)


def test_the_daily_cap_message_says_how_many_days_and_hours():
    [problem] = cr.hours_problems(D("21"), dt.date(2025, 3, 1), dt.date(2025, 3, 2))
    assert problem.message == "活动共 2 天，每天最多 10 学时，最多可申报 20 学时。"


@pytest.mark.parametrize("start, end, codes", [
    (dt.date(2025, 3, 2), dt.date(2025, 3, 1), ["dates_reversed"]),
    (dt.date(2024, 12, 30), dt.date(2025, 1, 2), ["activity_crosses_years"]),
    (dt.date(2025, 9, 25), dt.date(2025, 9, 27), ["activity_in_future"]),
    (dt.date(2025, 9, 26), dt.date(2025, 9, 26), []),
])
def test_activity_dates(start, end, codes):
    assert [p.code for p in cr.activity_date_problems(start, end, dt.date(2025, 9, 26))] == codes


@pytest.mark.parametrize("content, expected", [
    (MINIMAL_PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg"), (TEXT, None),
    (b"GIF89a" + b"\x00" * 20, None), (b"PK\x03\x04" + b"\x00" * 40, None),
])
def test_evidence_type_is_judged_by_content(content, expected):
    assert cr.evidence_content_type(content) == expected


def test_evidence_size_and_count_limits():
    assert [p.code for p in cr.evidence_problems("a.pdf", MINIMAL_PDF, 10 * 1024 * 1024)] == []
    assert [p.code for p in cr.evidence_problems("a.pdf", MINIMAL_PDF, 10 * 1024 * 1024 + 1)] == ["evidence_too_large"]
    assert [p.code for p in cr.evidence_problems("a.pdf", b"", 0)] == ["evidence_empty"]
    assert cr.evidence_count_problem(4, 1) is None
    assert cr.evidence_count_problem(5, 1).code == "evidence_too_many"
    assert cr.evidence_count_problem(0, 6).code == "evidence_too_many"


def test_a_download_gets_the_extension_of_its_content():
    assert cr.evidence_download_name("证书.pdf", "image/png") == "证书.png"
    assert cr.evidence_download_name("scan", "application/pdf") == "scan.pdf"


# --- the form: every bad input gets its own Chinese error --------------------------------------------------


def test_a_good_claim_form_is_valid(alice):
    form = make_form(alice, files=[upload()], submitting=True)
    assert form.is_valid(), form.errors
    assert form.claim_input().hours == D("16")


@pytest.mark.parametrize("overrides, field, message", [
    ({"hours": "三小时"}, "hours", "申报学时须为数字，如 2 或 3.5。"),
    ({"hours": "NaN"}, "hours", "申报学时须为数字，如 2 或 3.5。"),
    ({"hours": ""}, "hours", "请填写申报学时。"),
    ({"hours": "0.25"}, "hours", "申报学时须以 0.5 学时为单位（如 2 或 3.5），不能为 0.25。"),
    ({"hours": "0"}, "hours", "申报学时须大于 0。"),
    ({"hours": "20.5"}, "hours", "活动共 2 天，每天最多 10 学时，最多可申报 20 学时。"),
    ({"end_date": "2025-09-21"}, "end_date", "结束日期不能早于开始日期。"),
    ({"end_date": "2025-09-31"}, "end_date", "请填写正确的日期，如 2025-09-22。"),
    ({"start_date": "2025-09-26", "end_date": "2025-09-27"}, "end_date",
     "活动结束日期 2025年09月27日 晚于今天，活动结束后才能申报学时。"),
    ({"start_date": "2024-12-30", "end_date": "2025-01-02"}, "end_date",
     "活动跨越 2024 年和 2025 年：学时只计入活动所在年度，请按年度分别申报。"),
    ({"kind": "online"}, "kind", "请从列表中选择活动形式。"),
    ({"category": "both"}, "category", "科目类别只能是公需科目或专业科目。"),
    ({"title": ""}, "title", "请填写活动名称。"),
    ({"result": ""}, "result", "请填写考试考核结果（如“合格”）。"),
    ({"provider_name": ""}, "provider_base", "请选择继续教育基地，或填写其他主办单位名称。"),
])
def test_each_bad_input_gets_a_specific_chinese_error(alice, overrides, field, message):
    form = make_form(alice, files=[upload()], **overrides)
    assert not form.is_valid()
    assert message in form.errors[field]


def test_every_problem_shows_at_once_even_with_other_fields_missing(alice):
    form = make_form(alice, title="", category="", hours="0.25", end_date="2025-09-21", provider_name="")
    assert set(form.errors) == {"title", "category", "hours", "end_date", "provider_base"}


def test_a_base_and_a_typed_provider_together_are_refused(alice):
    base = TrainingBase.objects.first()
    form = make_form(alice, files=[upload()], provider_base=str(base.pk))
    assert form.errors["provider_name"] == ["请选择继续教育基地或填写其他主办单位，二者只填其一。"]
    assert make_form(alice, files=[upload()], provider_base=str(base.pk), provider_name="").is_valid()


def test_a_closed_year_is_refused_with_its_reason(alice):
    form = make_form(alice, files=[upload()], now=at(2026, 1, 5, 9), start_date="2025-12-01", end_date="2025-12-02")
    assert not form.is_valid()
    [message] = form.errors["start_date"]
    assert message.startswith("2025 年度学时申报已于 2025年12月31日 23:59:59 截止")
    assert "补学豁免" in message


def test_a_valid_make_up_exemption_reopens_the_year_and_an_expired_one_does_not(alice, cheng):
    now = at(2026, 3, 1, 9)
    exemption = MakeUpExemption.objects.create(
        professional=alice, year=2025, reason="援疆工作期间无法参加学习", granted_by=cheng, expires_at=at(2026, 6, 30, 23),
    )
    kwargs = dict(files=[upload()], now=now, start_date="2025-12-01", end_date="2025-12-02")
    assert make_form(alice, **kwargs).is_valid()

    exemption.expires_at = at(2026, 2, 28, 23)
    exemption.save()
    assert "start_date" in make_form(alice, **kwargs).errors


def test_an_exemption_for_another_person_does_not_help(alice, bob, cheng):
    MakeUpExemption.objects.create(professional=bob, year=2025, reason="援疆", granted_by=cheng,
                                   expires_at=at(2026, 6, 30, 23))
    form = make_form(alice, files=[upload()], now=at(2026, 3, 1), start_date="2025-12-01", end_date="2025-12-02")
    assert "start_date" in form.errors


def test_a_pdf_that_is_really_text_is_refused_and_one_that_is_really_png_is_accepted(alice):
    form = make_form(alice, files=[upload("证书.pdf", TEXT)])
    assert form.errors["evidence"] == [
        "文件“证书.pdf”不是 PDF、JPEG、PNG、PPTX 演示文稿或 MP4 视频（按文件内容识别，与扩展名无关），"
        "请上传扫描件、照片、课件或视频。"
    ]
    assert make_form(alice, files=[upload("证书.pdf", PNG)]).is_valid()
    assert make_form(alice, files=[upload("照片.txt", JPEG, "text/plain")]).is_valid()


def test_a_file_over_ten_megabytes_is_refused(alice):
    big = MINIMAL_PDF + b"\x00" * (10 * 1024 * 1024)
    form = make_form(alice, files=[upload("扫描件.pdf", big)])
    assert form.errors["evidence"] == ["文件“扫描件.pdf”大小为 10.0 MB，超过PDF 或图片的单个文件 10 MB 的上限。"]


def test_a_sixth_file_is_refused(alice):
    assert make_form(alice, files=[upload(f"{n}.pdf") for n in range(5)]).is_valid()
    form = make_form(alice, files=[upload(f"{n}.pdf") for n in range(6)])
    assert form.errors["evidence"] == ["每项申报最多 5 份佐证材料：已有 0 份，本次又选择了 6 份。"]
    form = make_form(alice, files=[upload()], existing=5)
    assert form.errors["evidence"] == ["每项申报最多 5 份佐证材料：已有 5 份，本次又选择了 1 份。"]


def test_submitting_needs_evidence_but_a_draft_does_not(alice):
    assert make_form(alice, submitting=True).errors["evidence"] == [
        "请至少上传一份佐证材料（证书、考勤记录、照片或课件）后再提交。"
    ]
    assert make_form(alice, submitting=True, existing=1).is_valid()
    assert make_form(alice).is_valid()


# --- services --------------------------------------------------------------------------------------------


def test_submitting_routes_to_the_unit_of_the_day_and_sets_the_due_date(alice, unit_a, health_bureau):
    claim = draft(alice)
    assert claim.status == "draft" and claim.year == 2025 and claim.unit is None

    with time_machine.travel(FRIDAY, tick=False):
        claim = claim_submit(actor=alice.user, claim_id=claim.pk, now=FRIDAY, ip="10.0.0.8")

    claim.refresh_from_db()
    assert claim.status == "submitted" and claim.version == 1
    assert claim.filed_on == dt.date(2025, 9, 26) and claim.submitted_at == FRIDAY
    assert claim.due_on == dt.date(2025, 10, 10) and claim.due_provisional is False
    assert (claim.unit, claim.region, claim.level2_authority, claim.level2_region) == (
        unit_a, unit_a.region, health_bureau, None)
    assert all(e.submitted_at == FRIDAY for e in claim.evidence.all())
    event = AuditEvent.objects.get(action="claim.submit")
    assert event.object_id == str(claim.pk) and event.actor == alice.user and event.ip == "10.0.0.8"
    assert event.before["status"] == "draft" and event.after["status"] == "submitted"
    assert [e["sha256"] for e in event.after["evidence"]] == [e.sha256 for e in claim.evidence.all()]


def test_a_unit_without_an_authority_goes_to_its_county_at_level_two(bob, unit_b, xinhua):
    claim = claim_submit(actor=bob.user, claim_id=draft(bob).pk, now=FRIDAY)
    assert (claim.unit, claim.level2_authority, claim.level2_region) == (unit_b, None, xinhua)


def test_the_unit_is_the_one_of_the_submission_day_not_of_the_activity(alice, unit_a, unit_c):
    claim = draft(alice)
    employment = alice.employments.get()
    employment.ended_on = dt.date(2025, 9, 24)
    employment.save()
    alice.employments.create(unit=unit_c, started_on=dt.date(2025, 9, 25))

    claim = claim_submit(actor=alice.user, claim_id=claim.pk, now=FRIDAY)

    assert claim.unit == unit_c and claim.level2_region == unit_c.region


def test_submitting_without_evidence_changes_nothing(alice):
    claim = draft(alice, files=0)
    with pytest.raises(DomainError) as err:
        claim_submit(actor=alice.user, claim_id=claim.pk, now=FRIDAY)
    assert err.value.code == "evidence_missing"
    claim.refresh_from_db()
    assert (claim.status, claim.version, claim.due_on) == ("draft", 0, None)
    assert not AuditEvent.objects.filter(action__startswith="claim.").exists()


def test_a_draft_submitted_after_its_year_closed_is_refused_unless_exempted(alice, cheng):
    claim = draft(alice, now=at(2025, 12, 30, 9), start_date=dt.date(2025, 12, 1), end_date=dt.date(2025, 12, 2))
    with pytest.raises(DomainError) as err:
        claim_submit(actor=alice.user, claim_id=claim.pk, now=at(2026, 1, 1, 0, 0, 1))
    assert err.value.code == "year_closed"
    assert Claim.objects.get(pk=claim.pk).status == "draft"

    MakeUpExemption.objects.create(professional=alice, year=2025, reason="住院治疗", granted_by=cheng,
                                   expires_at=at(2026, 1, 31, 23))
    claim = claim_submit(actor=alice.user, claim_id=claim.pk, now=at(2026, 1, 5, 9))
    assert claim.status == "submitted" and claim.year == 2025


def test_the_last_second_of_the_year_is_still_open(alice):
    claim = draft(alice, now=at(2025, 12, 31, 9), start_date=dt.date(2025, 12, 31), end_date=dt.date(2025, 12, 31),
                  hours=D("8"))
    claim = claim_submit(actor=alice.user, claim_id=claim.pk, now=at(2025, 12, 31, 23, 59, 59))
    assert claim.status == "submitted"


@pytest.mark.parametrize("overrides, code", [
    ({"hours": D("0.25")}, "hours_step"),
    ({"hours": D("0")}, "hours_not_positive"),
    ({"hours": D("21")}, "hours_over_daily_cap"),
    ({"end_date": dt.date(2025, 9, 21)}, "dates_reversed"),
    ({"end_date": dt.date(2025, 9, 29)}, "activity_in_future"),
    ({"start_date": dt.date(2024, 12, 31)}, "activity_crosses_years"),
    ({"provider_name": ""}, "provider_missing"),
])
def test_the_services_refuse_what_the_form_refuses(alice, overrides, code):
    with pytest.raises(DomainError) as err:
        claim_save_draft(actor=alice.user, professional=alice, data=claim_input(**overrides), now=FRIDAY)
    assert err.value.code == code
    assert not Claim.objects.exists()


def test_a_person_cannot_file_for_someone_else(alice, bob):
    with pytest.raises(NotFound):
        claim_save_draft(actor=bob.user, professional=alice, data=claim_input(), now=FRIDAY)
    claim = draft(alice)
    for service in (claim_submit, claim_withdraw, claim_resubmit):
        with pytest.raises(NotFound):
            service(actor=bob.user, claim_id=claim.pk, now=FRIDAY)
    with pytest.raises(NotFound):
        evidence_add(actor=bob.user, claim_id=claim.pk, upload=upload(), now=FRIDAY)
    with pytest.raises(NotFound):
        evidence_remove(actor=bob.user, evidence_id=claim.evidence.get().pk, now=FRIDAY)


def test_withdrawal_before_the_first_decision(alice, ada):
    claim = claim_submit(actor=alice.user, claim_id=draft(alice).pk, now=FRIDAY)
    claim = claim_withdraw(actor=alice.user, claim_id=claim.pk, now=at(2025, 9, 29, 9))
    assert (claim.status, claim.version) == ("withdrawn", 2)
    assert AuditEvent.objects.get(action="claim.withdraw").after["status"] == "withdrawn"

    returned = return_claim(claim_submit(actor=alice.user, claim_id=draft(alice).pk, now=FRIDAY), ada,
                            on=at(2025, 9, 30, 9))
    with pytest.raises(DomainError) as err:
        claim_withdraw(actor=alice.user, claim_id=returned.pk, now=at(2025, 10, 9, 9))
    assert err.value.code == "invalid_transition"
    assert Claim.objects.get(pk=returned.pk).status == "returned"


def test_a_draft_cannot_be_withdrawn_nor_a_submitted_claim_submitted_again(alice):
    claim = draft(alice)
    with pytest.raises(DomainError):
        claim_withdraw(actor=alice.user, claim_id=claim.pk, now=FRIDAY)
    claim_submit(actor=alice.user, claim_id=claim.pk, now=FRIDAY)
    with pytest.raises(DomainError) as err:
        claim_submit(actor=alice.user, claim_id=claim.pk, now=FRIDAY)
    assert err.value.code == "invalid_transition"


def test_a_returned_claim_is_corrected_and_resubmitted_with_a_new_due_date(alice, ada):
    claim = claim_submit(actor=alice.user, claim_id=draft(alice).pk, now=FRIDAY)
    [first_file] = claim.evidence.all()
    claim = return_claim(claim, ada, on=at(2025, 10, 9, 15))

    # The returned claim's content may be corrected; the submitted file may not be touched, only superseded.
    claim_save_draft(actor=alice.user, professional=alice, data=claim_input(hours=D("12")), now=at(2025, 10, 10, 9),
                     claim_id=claim.pk)
    with pytest.raises(DomainError) as err:
        evidence_remove(actor=alice.user, evidence_id=first_file.pk, now=at(2025, 10, 10, 9))
    assert err.value.code == "evidence_frozen"
    corrected = evidence_add(actor=alice.user, claim_id=claim.pk, upload=upload("考勤记录.png", PNG),
                             now=at(2025, 10, 10, 9), supersedes_id=first_file.pk)

    with time_machine.travel(at(2025, 10, 10, 9, 30), tick=False):
        claim = claim_resubmit(actor=alice.user, claim_id=claim.pk, now=at(2025, 10, 10, 9, 30))

    assert claim.status == "submitted" and claim.hours == D("12") and claim.version == 3
    assert claim.filed_on == dt.date(2025, 10, 10) and claim.due_on == dt.date(2025, 10, 16)
    first_file.refresh_from_db()
    corrected.refresh_from_db()
    assert first_file.removed_at == at(2025, 10, 10, 9) and first_file.submitted_at == FRIDAY
    assert Path(first_file.file.path).read_bytes() == MINIMAL_PDF  # kept as it was
    assert corrected.submitted_at == at(2025, 10, 10, 9, 30) and corrected.content_type == "image/png"
    assert AuditEvent.objects.get(action="claim.resubmit").after["evidence"] == [
        {"id": corrected.pk, "sha256": corrected.sha256}]


def test_nothing_can_be_changed_while_under_review(alice):
    claim = claim_submit(actor=alice.user, claim_id=draft(alice).pk, now=FRIDAY)
    file = claim.evidence.get()
    for attempt in (
        lambda: evidence_add(actor=alice.user, claim_id=claim.pk, upload=upload(), now=FRIDAY),
        lambda: evidence_add(actor=alice.user, claim_id=claim.pk, upload=upload(), now=FRIDAY, supersedes_id=file.pk),
        lambda: claim_save_draft(actor=alice.user, professional=alice, data=claim_input(hours=D("2")), now=FRIDAY,
                                 claim_id=claim.pk),
    ):
        with pytest.raises(DomainError) as err:
            attempt()
        assert err.value.code == "claim_not_editable"
    assert claim.evidence.count() == 1 and Claim.objects.get(pk=claim.pk).hours == D("16")


def test_evidence_is_stored_under_a_random_name_with_its_hash(alice):
    claim = draft(alice, files=0)
    evidence = evidence_add(actor=alice.user, claim_id=claim.pk, upload=upload("张爱丽 证书.pdf"), now=FRIDAY)
    assert evidence.original_name == "张爱丽 证书.pdf" and evidence.content_type == "application/pdf"
    assert evidence.size == len(MINIMAL_PDF) and evidence.uploaded_by == alice.user
    import hashlib

    assert evidence.sha256 == hashlib.sha256(MINIMAL_PDF).hexdigest()
    name = Path(evidence.file.name).name
    assert len(name) == 32 and "证书" not in evidence.file.name and "." not in name
    assert Path(evidence.file.path).read_bytes() == MINIMAL_PDF


@pytest.mark.parametrize("content, size_padding, code", [
    (TEXT, 0, "evidence_wrong_type"),
    (MINIMAL_PDF, 10 * 1024 * 1024, "evidence_too_large"),
])
def test_a_refused_upload_leaves_no_row_and_no_file(alice, content, size_padding, code):
    claim = draft(alice, files=0)
    with pytest.raises(DomainError) as err:
        evidence_add(actor=alice.user, claim_id=claim.pk, upload=upload("a.pdf", content + b"\x00" * size_padding),
                     now=FRIDAY)
    assert err.value.code == code
    assert not EvidenceFile.objects.exists() and stored_files() == []


def test_the_sixth_file_is_refused_by_the_service(alice):
    claim = draft(alice, files=5)
    with pytest.raises(DomainError) as err:
        evidence_add(actor=alice.user, claim_id=claim.pk, upload=upload(), now=FRIDAY)
    assert err.value.code == "evidence_too_many"
    assert claim.evidence.count() == 5


def test_a_draft_file_can_be_removed_and_is_kept(alice):
    claim = draft(alice, files=2)
    first = claim.evidence.first()
    evidence_remove(actor=alice.user, evidence_id=first.pk, now=FRIDAY)
    first.refresh_from_db()
    assert first.removed_at == FRIDAY and Path(first.file.path).exists()
    with pytest.raises(DomainError) as err:
        evidence_remove(actor=alice.user, evidence_id=first.pk, now=FRIDAY)
    assert err.value.code == "evidence_already_removed"
    claim = claim_submit(actor=alice.user, claim_id=claim.pk, now=FRIDAY)
    assert AuditEvent.objects.get(action="claim.submit").after["evidence"] == [
        {"id": e.pk, "sha256": e.sha256} for e in claim.evidence.filter(removed_at__isnull=True)]
    first.refresh_from_db()
    assert first.submitted_at is None  # a removed draft file never went out


def test_without_an_employer_a_claim_cannot_be_routed(alice):
    claim = draft(alice)
    alice.employments.update(ended_on=dt.date(2025, 9, 1))
    with pytest.raises(DomainError) as err:
        claim_submit(actor=alice.user, claim_id=claim.pk, now=FRIDAY)
    assert err.value.code == "no_employer"


# --- pages -----------------------------------------------------------------------------------------------


def test_filing_a_claim_through_the_page_submits_it(client, alice):
    client.force_login(alice.user)
    with time_machine.travel(FRIDAY, tick=False):
        response = client.post(reverse("records:claim_new"), {
            **form_data(), "action": "submit", "evidence": [upload(), upload("现场照片.jpg", JPEG, "image/jpeg")],
        })
    claim = Claim.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("records:claim_detail", args=[claim.pk])
    assert claim.status == "submitted" and claim.due_on == dt.date(2025, 10, 10)
    assert sorted(claim.evidence.values_list("content_type", flat=True)) == ["application/pdf", "image/jpeg"]

    with time_machine.travel(FRIDAY, tick=False):
        page = client.get(reverse("records:my_home")).content.decode()
    assert "专业技术人员职业道德研修班" in page and "2025-10-10" in page and "待单位审核" in page


def test_a_bad_page_submission_saves_nothing(client, alice):
    client.force_login(alice.user)
    with time_machine.travel(FRIDAY, tick=False):
        response = client.post(reverse("records:claim_new"), {
            **form_data(hours="0.25"), "action": "submit", "evidence": [upload(), upload("b.pdf", TEXT)],
        })
    assert response.status_code == 200
    page = response.content.decode()
    assert "申报学时须以 0.5 学时为单位" in page and "文件“b.pdf”不是 PDF、JPEG、PNG、PPTX 演示文稿或 MP4 视频" in page
    assert not Claim.objects.exists() and not EvidenceFile.objects.exists() and stored_files() == []
    # The browser will not re-select the files: the page says which ones were not kept.
    assert 'data-unsaved-uploads="2"' in page and "（培训证书.pdf、b.pdf）尚未保存" in page


def test_a_refusal_after_files_were_stored_keeps_only_the_staged_copy(client, alice):
    alice.employments.update(ended_on=dt.date(2025, 9, 1))  # no unit to route to: the service refuses at submit
    client.force_login(alice.user)
    with time_machine.travel(FRIDAY, tick=False):
        response = client.post(reverse("records:claim_new"), {**form_data(), "action": "submit", "evidence": [upload()]})
    assert response.status_code == 200 and "无法确定审核单位" in response.content.decode()
    # The rolled-back evidence's file is gone; the file is kept once, for the next try (issue 14).
    assert not Claim.objects.exists() and not EvidenceFile.objects.exists()
    [kept] = StagedEvidence.objects.all()
    assert [p.relative_to(default_storage.location).as_posix() for p in stored_files()] == [kept.file.name]
    assert "已上传：培训证书.pdf" in response.content.decode()


def test_saving_a_draft_then_submitting_from_its_page(client, alice):
    client.force_login(alice.user)
    with time_machine.travel(FRIDAY, tick=False):
        client.post(reverse("records:claim_new"), {**form_data(), "action": "draft", "evidence": [upload()]})
        claim = Claim.objects.get()
        assert claim.status == "draft"
        client.post(reverse("records:claim_submit", args=[claim.pk]))
    claim.refresh_from_db()
    assert claim.status == "submitted"
    with time_machine.travel(FRIDAY, tick=False):
        client.post(reverse("records:claim_withdraw", args=[claim.pk]))
    assert Claim.objects.get(pk=claim.pk).status == "withdrawn"


def test_the_year_page_shows_progress_and_what_is_missing(client, alice):
    from records.hours.services import add_to_year_totals

    add_to_year_totals({(alice.pk, 2025): (D("30"), D("42.5")), (alice.pk, 2024): (D("40"), D("60"))})
    client.force_login(alice.user)
    with time_machine.travel(FRIDAY, tick=False):
        page = client.get(reverse("records:my_home")).content.decode()
        past = client.get(reverse("records:my_year", args=[2024])).content.decode()
    assert "<strong>30</strong> / 30 学时" in page and "<strong>42.5</strong> / 60 学时" in page
    assert "<strong>72.5</strong> / 90 学时" in page
    assert "尚未达标，还差：专业科目 17.5 学时。" in page
    assert reverse("records:my_year", args=[2024]) in page
    # 2024's surplus public hours do nothing for 2025, and 2024 is assessed on its own.
    assert "已达到 2024 年度继续教育学时要求。" in past and "申报学时</a>" not in past


def test_claim_pages_of_another_person_are_404(client, alice, bob):
    claim = draft(alice)
    client.force_login(bob.user)
    for name in ("records:claim_detail", "records:claim_edit"):
        assert client.get(reverse(name, args=[claim.pk])).status_code == 404
    for name in ("records:claim_submit", "records:claim_withdraw"):
        assert client.post(reverse(name, args=[claim.pk])).status_code == 404
    evidence = claim.evidence.get()
    for name in ("records:evidence_remove", "records:evidence_correct"):
        assert client.post(reverse(name, args=[evidence.pk])).status_code == 404
    assert Claim.objects.get(pk=claim.pk).status == "draft" and evidence.removed_at is None


def test_reviewers_have_no_filing_pages(client, ada):
    client.force_login(ada)
    assert client.get(reverse("records:claim_new")).status_code == 404
    assert client.get(reverse("records:my_home")).status_code == 404


def test_a_correction_is_uploaded_on_the_claim_page(client, alice, ada):
    claim = return_claim(claim_submit(actor=alice.user, claim_id=draft(alice).pk, now=FRIDAY), ada,
                         on=at(2025, 9, 30, 9))
    old = claim.evidence.get()
    client.force_login(alice.user)
    with time_machine.travel(at(2025, 10, 9, 9), tick=False):
        page = client.get(reverse("records:claim_detail", args=[claim.pk])).content.decode()
        assert "考勤记录不清晰，请补充" in page and "上传更正版本" in page
        client.post(reverse("records:evidence_correct", args=[old.pk]), {"file": upload("考勤.jpg", JPEG)})
        client.post(reverse("records:claim_submit", args=[claim.pk]))
    claim.refresh_from_db()
    assert claim.status == "submitted" and claim.due_on == dt.date(2025, 10, 15)
    assert claim.evidence.count() == 2 and claim.evidence.filter(removed_at__isnull=True).get().content_type == "image/jpeg"


def test_the_year_page_lists_what_waits_on_the_person_and_what_waits_on_review(client, alice, ada):
    returned = return_claim(claim_submit(actor=alice.user, claim_id=draft(alice, title="学术讲座甲").pk, now=FRIDAY),
                            ada, on=at(2025, 9, 29, 9), reason="请补充签到表")
    draft(alice, title="草稿乙", files=0)
    claim_submit(actor=alice.user, claim_id=draft(alice, title="研修班丙").pk, now=FRIDAY)
    client.force_login(alice.user)
    with time_machine.travel(at(2025, 9, 30, 9), tick=False):
        page = client.get(reverse("records:my_home")).content.decode()
    action = page[page.index('id="needs-action"'):page.index('id="under-review"')]
    review = page[page.index('id="under-review"'):page.index('id="credited"')]
    assert "学术讲座甲" in action and "原因：请补充签到表" in action and "草稿乙" in action
    assert "研修班丙" in review and "2025-10-10" in review and "学术讲座甲" not in review
    assert reverse("records:claim_detail", args=[returned.pk]) in action


def test_a_good_file_is_kept_when_other_fields_fail_and_joins_the_claim_on_the_next_try(client, alice):
    """issue 14: the browser would not re-select it, so the portal keeps it with the form."""
    client.force_login(alice.user)
    with time_machine.travel(FRIDAY, tick=False):
        first = client.post(reverse("records:claim_new"), {**form_data(title=""), "action": "submit",
                                                           "evidence": [upload()]})
        [kept] = StagedEvidence.objects.all()
        page = first.content.decode()
        assert f'<input type="hidden" name="staged" value="{kept.pk}">已上传：培训证书.pdf' in page
        assert 'name="unstage"' in page and "data-unsaved-uploads" not in page
        second = client.post(reverse("records:claim_new"), {**form_data(), "action": "submit",
                                                            "staged": [str(kept.pk)]})
    claim = Claim.objects.get()
    assert second.status_code == 302 and claim.status == "submitted"
    evidence = claim.evidence.get()
    assert (evidence.original_name, evidence.file.name) == ("培训证书.pdf", kept.file.name)
    assert evidence.submitted_at is not None and not StagedEvidence.objects.exists()


def test_a_kept_file_can_be_dropped_and_nobody_elses_can_be_used(client, alice, bob,
                                                                 django_capture_on_commit_callbacks):
    client.force_login(alice.user)
    with time_machine.travel(FRIDAY, tick=False), django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("records:claim_new"), {**form_data(title=""), "action": "draft", "evidence": [upload()]})
        [kept] = StagedEvidence.objects.all()
        page = client.post(reverse("records:claim_new"), {**form_data(title="急救培训"), "action": "draft",
                                                          "staged": [str(kept.pk)], "unstage": str(kept.pk)})
    assert not StagedEvidence.objects.exists() and stored_files() == []
    # The form comes back as typed, without error messages: nothing was submitted.
    assert 'value="急救培训"' in page.content.decode() and "data-error-summary" not in page.content.decode()

    client.force_login(alice.user)
    with time_machine.travel(FRIDAY, tick=False):
        client.post(reverse("records:claim_new"), {**form_data(title=""), "action": "draft", "evidence": [upload()]})
    [alices] = StagedEvidence.objects.all()
    client.force_login(bob.user)
    with time_machine.travel(FRIDAY, tick=False):
        client.post(reverse("records:claim_new"), {**form_data(), "action": "draft", "staged": [str(alices.pk)]})
    assert not Claim.objects.get().evidence.exists() and StagedEvidence.objects.get() == alices


def test_files_kept_from_an_unsaved_form_are_purged_after_a_day(client, alice, django_capture_on_commit_callbacks):
    from django.conf import settings

    from records.hours.services import staged_evidence_purge
    from records.hours.tasks import purge_staged_evidence

    client.force_login(alice.user)
    with time_machine.travel(FRIDAY, tick=False):
        client.post(reverse("records:claim_new"), {**form_data(title=""), "action": "draft", "evidence": [upload()]})
    assert StagedEvidence.objects.count() == 1 and len(stored_files()) == 1
    assert staged_evidence_purge(now=FRIDAY + dt.timedelta(hours=23)) == 0
    # The nightly beat task, which reads the clock itself.
    assert settings.CELERY_BEAT_SCHEDULE["purge-staged-evidence"]["task"] == purge_staged_evidence.name
    with django_capture_on_commit_callbacks(execute=True), \
            time_machine.travel(FRIDAY + dt.timedelta(days=1, minutes=1), tick=False):
        assert purge_staged_evidence.apply().result == 1
    assert not StagedEvidence.objects.exists() and stored_files() == []
