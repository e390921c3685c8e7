"""Attendance → claims (rule 7 in docs/rules.md): a session of a filed plan item, its signed, time-boxed
check-in, ticks and a roster, its evidence kept once, one pre-filled claim per attendee, the session's file
opened once for all its claims, and screening that keeps a session's shared file among its attendees.

第一医院 (unit_a, ada reviewing, 卫健委/hank above it) files its 2025 plan; its session runs on Monday
10 November 2025, check-in 09:00–10:00. alice and dora work there; bob works for 华兴公司 (unit_b).
"""
import datetime as dt
import hashlib
import io
from dataclasses import replace
from decimal import Decimal as D
from urllib.parse import unquote

import pytest
import time_machine
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from audits.review.services import claim_submit, evidence_opened, review_batch, session_evidence_opened
from audits.screening.models import ScreeningFlag
from audits.screening.rules import Rule
from audits.screening.services import screening_run
from ce_portal.errors import DomainError, NotFound
from records.hours.models import Claim, EvidenceFile, PersonYearTotal
from records.hours.services import ClaimInput, claim_save_draft
from records.people.models import Role
from records.plans.models import SessionAttendance, TrainingSession
from records.plans.services import (
    CHECK_IN_SALT, PlanItemInput, SessionInput, check_in_token, plan_create, plan_decide, plan_items_save, plan_submit,
    session_attendees_tick, session_check_in, session_create, session_evidence_add, session_roster_import,
)
from records.people.rules import read_roster_file
from tests.factories import (
    MINIMAL_PDF, SHANGHAI, ClaimFactory, EvidenceFileFactory, UserFactory, grant, person_with_login,
)

pytestmark = pytest.mark.django_db

FILED_AT = dt.datetime(2025, 9, 26, 10, 0, tzinfo=SHANGHAI)
DAY = dt.date(2025, 11, 10)
IN_WINDOW = dt.datetime(2025, 11, 10, 9, 15, tzinfo=SHANGHAI)
AFTER = dt.datetime(2025, 11, 12, 10, 0, tzinfo=SHANGHAI)  # Wednesday: the unit reviews


@pytest.fixture
def dora(unit_a):
    return person_with_login("dora", "赵朵拉", unit_a)


@pytest.fixture
def item(unit_a, ada, hank):
    with time_machine.travel(FILED_AT, tick=False):
        plan = plan_create(actor=ada, unit=unit_a, year=2025, now=FILED_AT)
        plan_items_save(actor=ada, plan_id=plan.pk, now=FILED_AT, items=[PlanItemInput(
            title="急诊急救技能培训", category="professional", subject_area="临床医学", start_date=DAY,
            end_date=dt.date(2025, 11, 11), hours=D("16"), place="本院学术报告厅", provider="本院急诊科",
            expected_participants=40)])
        plan_submit(actor=ada, plan_id=plan.pk, now=FILED_AT)
        plan_decide(actor=hank, plan_id=plan.pk, action="file", now=FILED_AT)
    return plan.items.get()


def make_session(ada, item, day=DAY):
    return session_create(actor=ada, now=FILED_AT, data=SessionInput(
        item_id=item.pk, date=day, starts_at=dt.time(9, 0), ends_at=dt.time(10, 0), place="报告厅", hours=D("8")))


@pytest.fixture
def session(ada, item):
    return make_session(ada, item)


def check_in(person, session, token=None, now=IN_WINDOW):
    with time_machine.travel(now, tick=False):
        return session_check_in(actor=person.user, session_id=session.pk, token=token or check_in_token(session),
                                now=now)


def refused(code, person, session, token=None, now=IN_WINDOW):
    with pytest.raises(DomainError) as refusal:
        check_in(person, session, token, now)
    assert refusal.value.code == code
    assert not SessionAttendance.objects.exists() and not Claim.objects.exists()


def test_check_in_records_the_person_once_with_a_prefilled_draft(alice, session):
    first = check_in(alice, session)
    again = check_in(alice, session)

    assert again.pk == first.pk and SessionAttendance.objects.count() == 1 and Claim.objects.count() == 1
    claim = first.claim
    assert (claim.professional, claim.status, claim.kind, claim.category, claim.plan_item_id) == (
        alice, "draft", "unit_training", "professional", session.item_id)
    assert (claim.title, claim.start_date, claim.end_date, claim.hours, claim.year) == (
        "急诊急救技能培训", DAY, DAY, D("8"), 2025)


def test_check_in_is_refused_before_and_after_its_window(alice, session):
    refused("checkin_not_open", alice, session, now=IN_WINDOW.replace(hour=8, minute=59))
    refused("checkin_closed", alice, session, now=IN_WINDOW.replace(hour=10, minute=1))


def test_a_forged_signature_is_refused(alice, session):
    token = check_in_token(session)
    refused("checkin_forged", alice, session, token=token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    # Signed with another salt (or key): the same payload is no check-in code.
    payload = {"s": session.pk, "e": "2025-11-10T10:00:00+08:00"}
    refused("checkin_forged", alice, session, token=signing.dumps(payload, salt="another"))


def test_another_sessions_code_is_refused_here(alice, ada, item, session):
    other = make_session(ada, item, day=dt.date(2025, 11, 11))
    refused("checkin_replayed", alice, session, token=check_in_token(other))


def test_someone_not_employed_by_the_unit_on_the_day_is_refused(bob, session):
    refused("checkin_not_employed", bob, session)


def test_the_check_in_address_survives_the_log_in(client, alice, session):
    url = reverse("records:check_in", kwargs={"pk": session.pk, "token": check_in_token(session)})
    with time_machine.travel(IN_WINDOW, tick=False):
        response = client.get(url)
        assert response.status_code == 302 and unquote(response["Location"]).endswith(f"?next={url}")
        client.force_login(alice.user)
        response = client.post(url)
    claim = SessionAttendance.objects.get(professional=alice).claim
    assert response.status_code == 302 and response["Location"] == reverse("records:claim_detail", args=[claim.pk])


def test_a_forged_check_in_answers_with_its_reason(client, alice, session):
    client.force_login(alice.user)
    with time_machine.travel(IN_WINDOW, tick=False):
        response = client.post(reverse("records:check_in", kwargs={"pk": session.pk, "token": "x:y:z"}))
    assert response.status_code == 400 and "签名校验失败" in response.content.decode()
    assert not SessionAttendance.objects.exists()


def test_the_check_in_page_says_at_once_when_the_code_has_expired(client, alice, session):
    client.force_login(alice.user)
    url = reverse("records:check_in", kwargs={"pk": session.pk, "token": check_in_token(session)})
    with time_machine.travel(IN_WINDOW.replace(hour=11), tick=False):
        response = client.get(url)
    assert response.status_code == 400 and "签到已结束" in response.content.decode()
    assert "确认签到" not in response.content.decode()


@pytest.mark.parametrize(("changes", "code"), [
    ({"day": dt.date(2025, 11, 12)}, "session_date_outside_item"),
    ({"hours": D("12")}, "hours_over_daily_cap"),
    ({"ends_at": dt.time(9, 0)}, "session_window_order"),
])
def test_a_session_outside_its_item_is_refused(ada, item, changes, code):
    data = dict(item_id=item.pk, date=DAY, starts_at=dt.time(9, 0), ends_at=dt.time(10, 0), place="报告厅",
                hours=D("8"))
    data.update({"date" if key == "day" else key: value for key, value in changes.items()})
    with pytest.raises(DomainError) as refusal:
        session_create(actor=ada, now=FILED_AT, data=SessionInput(**data))
    assert refusal.value.code == code


def test_only_a_filed_item_of_ones_own_unit_gets_a_session(ada, unit_b, item):
    other = UserFactory(username="bella")
    grant(other, Role.UNIT_REVIEWER, unit_b)
    with pytest.raises(NotFound):
        make_session(other, item)
    assert not TrainingSession.objects.exists()


def test_ticked_attendees_are_recorded_and_outsiders_refused_by_name(ada, alice, dora, bob, session):
    with time_machine.travel(AFTER, tick=False):
        refusals = session_attendees_tick(actor=ada, session_id=session.pk, now=AFTER,
                                          professional_ids=[alice.pk, dora.pk, bob.pk])
    assert refusals == [f"{bob.name}在培训当天（2025-11-10）不是{session.item.plan.unit.name}的在职人员，不能登记签到。"]
    assert set(SessionAttendance.objects.values_list("professional", "method")) == {
        (alice.pk, "ticked"), (dora.pk, "ticked")}


def test_a_roster_is_reported_row_by_row(ada, alice, dora, bob, session):
    csv = "\n".join(["姓名,身份证号码", f"{alice.name},{alice.id_number}", f",{dora.id_number}", f"别人,{bob.id_number}",
                     f"{bob.name},{bob.id_number}", "某人,123"]).encode()
    rows = read_roster_file(SimpleUploadedFile("名单.csv", csv))
    with time_machine.travel(AFTER, tick=False):
        report = session_roster_import(actor=ada, session_id=session.pk, rows=rows, now=AFTER)
    assert [(o.line, o.error and o.error.code) for o in report.outcomes] == [
        (2, None), (3, None), (4, "roster_name_mismatch"), (5, "checkin_not_employed"), (6, "roster_bad_id_number")]
    assert set(SessionAttendance.objects.values_list("professional", flat=True)) == {alice.pk, dora.pk}


def test_a_roster_without_an_id_number_column_is_refused_whole():
    with pytest.raises(DomainError) as refusal:
        read_roster_file(SimpleUploadedFile("名单.csv", "姓名\n张三\n".encode()))
    assert refusal.value.code == "import_no_header"


def sheet(name="签到表.pdf"):
    return SimpleUploadedFile(name, MINIMAL_PDF)


def test_the_sessions_evidence_is_kept_once_and_named_by_every_claim(ada, alice, dora, session):
    check_in(alice, session)
    with time_machine.travel(IN_WINDOW, tick=False):
        kept = session_evidence_add(actor=ada, session_id=session.pk, upload=sheet(), now=IN_WINDOW)
    check_in(dora, session)  # after the upload: the file joins her claim at once

    files = EvidenceFile.objects.order_by("claim__professional__name")
    assert [(f.claim.professional, f.file.name, f.sha256, f.session_file_id) for f in files] == [
        (alice, kept.file.name, hashlib.sha256(MINIMAL_PDF).hexdigest(), kept.pk),
        (dora, kept.file.name, kept.sha256, kept.pk)]


def test_a_session_file_is_checked_like_any_evidence(ada, session):
    with pytest.raises(DomainError) as refusal, time_machine.travel(IN_WINDOW, tick=False):
        session_evidence_add(actor=ada, session_id=session.pk, upload=SimpleUploadedFile("签到表.pdf", b"not a pdf"),
                             now=IN_WINDOW)
    assert refusal.value.code.startswith("evidence_")
    assert not session.evidence.exists()


def test_the_person_adds_a_note_and_submits_but_changes_nothing_the_unit_set(client, ada, alice, session):
    claim = check_in(alice, session).claim
    with time_machine.travel(IN_WINDOW, tick=False):
        session_evidence_add(actor=ada, session_id=session.pk, upload=sheet(), now=IN_WINDOW)
        with pytest.raises(DomainError) as refusal:
            claim_save_draft(actor=alice.user, professional=alice, claim_id=claim.pk, now=IN_WINDOW,
                             data=replace(ClaimInput.from_claim(claim), hours=D("10")))
        assert refusal.value.code == "claim_prefilled"
        client.force_login(alice.user)
        page = client.get(reverse("records:claim_detail", args=[claim.pk])).content.decode()
        assert reverse("records:session_claim_confirm", args=[claim.pk]) in page
        assert reverse("records:claim_edit", args=[claim.pk]) not in page
        client.post(reverse("records:session_claim_confirm", args=[claim.pk]), {"note": "已完成现场考核。"})
    claim.refresh_from_db()
    assert (claim.status, claim.content, claim.hours) == ("submitted", "已完成现场考核。", D("8"))


def submitted_claims(ada, people, session):
    for person in people:
        check_in(person, session)
    with time_machine.travel(IN_WINDOW, tick=False):
        kept = session_evidence_add(actor=ada, session_id=session.pk, upload=sheet(), now=IN_WINDOW)
    for person in people:
        claim = SessionAttendance.objects.get(professional=person).claim
        with time_machine.travel(IN_WINDOW, tick=False):
            claim_submit(actor=person.user, claim_id=claim.pk, now=IN_WINDOW)
    return kept


def test_opening_the_session_file_once_lets_the_unit_and_the_authority_batch_approve(ada, hank, alice, dora,
                                                                                      session):
    kept = submitted_claims(ada, [alice, dora], session)
    claim_ids = list(Claim.objects.values_list("pk", flat=True))
    with time_machine.travel(AFTER, tick=False):
        unseen = review_batch(claim_ids=claim_ids, reviewer=ada, action="approve", now=AFTER)
        assert {item.code for item in unseen.items} == {"evidence_not_viewed"}
        session_evidence_opened(user=ada, session_file=kept, now=AFTER)
        assert len(review_batch(claim_ids=claim_ids, reviewer=ada, action="approve", now=AFTER).decided) == 2
        # The authority opens the file from one claim: it counts in the other too.
        evidence_opened(user=hank, evidence=EvidenceFile.objects.filter(claim__professional=alice).get(), now=AFTER)
        assert len(review_batch(claim_ids=claim_ids, reviewer=hank, action="approve", now=AFTER).decided) == 2
    assert set(PersonYearTotal.objects.values_list("professional", "year", "professional_hours")) == {
        (alice.pk, 2025, D("8")), (dora.pk, 2025, D("8"))}


def test_a_session_file_never_flags_its_own_attendees_but_flags_its_reuse_outside(ada, alice, dora, bob, session):
    submitted_claims(ada, [alice, dora], session)
    with time_machine.travel(AFTER, tick=False):
        screening_run(now=AFTER, kind="full")
    assert not ScreeningFlag.objects.filter(rule=Rule.SAME_EVIDENCE).exists()

    elsewhere = ClaimFactory(professional=bob, filed_on=dt.date(2025, 11, 12), due_on=dt.date(2025, 11, 19))
    EvidenceFileFactory(claim=elsewhere)  # the same PDF bytes as the sheet
    later = AFTER + dt.timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        screening_run(now=later, kind="full")
    assert set(ScreeningFlag.objects.filter(rule=Rule.SAME_EVIDENCE).values_list("claim", flat=True)) == {elsewhere.pk}


def test_the_signed_code_carries_the_session_and_its_windows_end(session):
    assert signing.loads(check_in_token(session), salt=CHECK_IN_SALT) == {
        "s": session.pk, "e": "2025-11-10T10:00:00+08:00"}


def test_the_unit_ticks_uploads_a_roster_and_the_sheet_from_the_sessions_page(client, ada, alice, dora, bob, session):
    workbook = Workbook()
    workbook.active.append(["身份证号码", "姓名"])
    workbook.active.append([dora.id_number, dora.name])
    workbook.active.append([bob.id_number, bob.name])
    roster = io.BytesIO()
    workbook.save(roster)
    page = reverse("records:session_detail", args=[session.pk])
    client.force_login(ada)
    with time_machine.travel(AFTER, tick=False):
        assert f'value="{bob.pk}"' not in client.get(page).content.decode()  # not the unit's staff
        client.post(reverse("records:session_tick", args=[session.pk]), {"professional": [alice.pk]})
        report = client.post(reverse("records:session_roster", args=[session.pk]), {
            "roster-file": SimpleUploadedFile("名单.xlsx", roster.getvalue())}).content.decode()
        client.post(reverse("records:session_evidence_add", args=[session.pk]), {"evidence-file": sheet()})
        refused = client.post(reverse("records:session_tick", args=[session.pk]), {"professional": [bob.pk]})
    assert "登记到场 1 人" in report and "不是" in report and "的在职人员" in report
    assert refused.status_code == 200 and "勾选的人员不在本单位名单中" in refused.content.decode()
    assert set(SessionAttendance.objects.values_list("professional", "method")) == {
        (alice.pk, "ticked"), (dora.pk, "roster")}
    assert EvidenceFile.objects.filter(session_file__isnull=False).count() == 2
