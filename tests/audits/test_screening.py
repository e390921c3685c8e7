"""Fraud screening against the database: runs (full, incremental, rerun), the approval block, and city_hr's
resolution of a flag (dismiss with a reason; confirm revokes credit, year totals and certificates)."""
import datetime as dt
import hashlib
import itertools
from decimal import Decimal as D

import pytest
import time_machine

from audits.review.services import review_decide
from audits.screening.models import ScreeningFlag, ScreeningRun
from audits.screening.rules import Rule
from audits.screening.services import CHANGE_MARGIN, flag_resolve, screening_request, screening_run
from audits.screening.tasks import screen_incremental
from audits.trail.models import AuditEvent
from ce_portal.errors import DomainError, NotFound
from platforms.registry.models import TrainingBase
from records.certificates.models import Certificate
from records.certificates.services import certificate_obtain
from records.hours.models import Claim, PlatformRecord
from records.hours.selectors import credited_hours
from records.hours.services import recompute_year_totals
from tests.audits.review_helpers import open_all
from tests.certificate_data import make_compliant, platform_record
from tests.factories import SHANGHAI, ClaimFactory, EvidenceFileFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2025, 10, 20, 9, 0, tzinfo=SHANGHAI)
NOW = dt.datetime(2025, 10, 21, 2, 0, tzinfo=SHANGHAI)
LATER = dt.datetime(2025, 10, 22, 2, 0, tzinfo=SHANGHAI)
# Each claim gets a day of its own unless a test says otherwise, so that only the planted anomalies show.
_days = itertools.count()


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def claim(professional, *, file: str | None = None, at=T0, **fields) -> Claim:
    """A 4-hour one-day claim as submitted at `at` (its updated_at), with one evidence file whose content is `file`."""
    day = dt.date(2025, 1, 6) + dt.timedelta(days=next(_days) % 250)
    fields = {"start_date": day, "end_date": day, "hours": D("4"), **fields}
    with time_machine.travel(at, tick=False):
        made = ClaimFactory(professional=professional, **fields)
        if file is not None:
            EvidenceFileFactory(claim=made, sha256=sha(file))
    return made


def run(now=NOW, kind=None) -> ScreeningRun:
    with time_machine.travel(now, tick=False):
        return screening_run(now=now, kind=kind)


def flags(**filters) -> set:
    return set(ScreeningFlag.objects.filter(**filters).values_list("rule", "claim_id", "platform_record_id"))


def test_a_full_run_flags_every_rule_from_the_database(alice, bob, carol):
    claim(alice, file="alone", external_certificate_no="PDS-2025-0001")  # nothing wrong with it
    copied = [claim(alice, file="scan"), claim(bob, file="scan")]
    numbered = [claim(alice, file="a", external_certificate_no="PDS-2025-0427"),
                claim(carol, file="c", external_certificate_no="PDS-2025-0427")]
    long_day = [claim(bob, file="b1", hours=D("6"), start_date=dt.date(2025, 8, 1), end_date=dt.date(2025, 8, 1)),
                claim(bob, file="b2", hours=D("6"), start_date=dt.date(2025, 8, 1), end_date=dt.date(2025, 8, 1))]
    online = platform_record(carol, hours="12", day=dt.date(2025, 8, 5))
    overlapping = [claim(carol, file="o1", start_date=dt.date(2025, 7, 7), end_date=dt.date(2025, 7, 9)),
                   claim(carol, file="o2", start_date=dt.date(2025, 7, 9), end_date=dt.date(2025, 7, 10))]
    unknown = claim(carol, file="u", provider_name="鹰城速成培训中心")
    claim(alice, file="draft", status="draft", provider_name="不筛查的草稿")  # drafts are not screened

    result = run(kind=ScreeningRun.Kind.FULL)

    assert flags() == {
        *((Rule.SAME_EVIDENCE, c.pk, None) for c in copied),
        *((Rule.SAME_CERTIFICATE_NO, c.pk, None) for c in numbered),
        *((Rule.DAILY_HOURS, c.pk, None) for c in long_day),
        (Rule.DAILY_HOURS, None, online.pk),
        *((Rule.OVERLAPPING_SESSIONS, c.pk, None) for c in overlapping),
        (Rule.UNKNOWN_PROVIDER, unknown.pk, None),
    }
    assert result.flags_created == 10 and result.claims_screened == 10 and result.platform_records_screened == 1
    assert ScreeningFlag.objects.get(claim=copied[1]).professional == bob


def test_a_full_run_finds_sessions_overlapping_across_a_one_day_event_and_long_days_across_records(
        alice, bob, carol):
    # Sorted by first day, alice's one-day lecture stands between the two sessions that overlap.
    long_course = claim(alice, file="l1", start_date=dt.date(2025, 7, 1), end_date=dt.date(2025, 7, 10), hours=D("40"))
    claim(alice, file="l2", start_date=dt.date(2025, 7, 3), end_date=dt.date(2025, 7, 3), hours=D("2"))
    second = claim(alice, file="l3", start_date=dt.date(2025, 7, 8), end_date=dt.date(2025, 7, 9), hours=D("8"))
    # carol: 4 + 4 + 4 on one day, the middle one a share of a three-day course; bob's 8 that day are his own.
    day = dt.date(2025, 8, 12)
    crowded = [claim(carol, file="d1", start_date=day, end_date=day, hours=D("4")),
               claim(carol, file="d2", start_date=day - dt.timedelta(days=1), end_date=day + dt.timedelta(days=1),
                     hours=D("12"))]
    online = platform_record(carol, hours="4", day=day)
    claim(bob, file="b", start_date=day, end_date=day, hours=D("8"))

    run(kind=ScreeningRun.Kind.FULL)

    assert flags() == {
        (Rule.OVERLAPPING_SESSIONS, long_course.pk, None), (Rule.OVERLAPPING_SESSIONS, second.pk, None),
        *((Rule.DAILY_HOURS, c.pk, None) for c in crowded), (Rule.DAILY_HOURS, None, online.pk),
    }


def test_a_rerun_adds_no_flag_twice(alice, bob):
    claim(alice, file="scan")
    claim(bob, file="scan")
    assert run(kind=ScreeningRun.Kind.FULL).flags_created == 2
    assert run(LATER, kind=ScreeningRun.Kind.FULL).flags_created == 0
    assert run(LATER + dt.timedelta(hours=1)).flags_created == 0
    assert ScreeningFlag.objects.count() == 2


def test_incremental_run_screens_only_changes_but_compares_them_with_everything(alice, bob, carol):
    original = claim(alice, file="scan")
    assert run().kind == ScreeningRun.Kind.FULL  # the first run has nothing to be incremental to
    # Last changed at T0, well before that run less the margin: an incremental run does not look at them
    # again (a full run does).
    old_a, old_b = claim(bob, file="old"), claim(carol, file="old")
    copy = claim(carol, file="scan", at=NOW + dt.timedelta(hours=5))

    result = run(LATER)

    assert result.kind == ScreeningRun.Kind.INCREMENTAL and result.since == NOW - CHANGE_MARGIN
    assert result.claims_screened == 1
    assert flags() == {(Rule.SAME_EVIDENCE, original.pk, None), (Rule.SAME_EVIDENCE, copy.pk, None)}
    run(LATER + dt.timedelta(hours=1), kind=ScreeningRun.Kind.FULL)
    assert flags(claim__in=[old_a, old_b]) == {
        (Rule.SAME_EVIDENCE, old_a.pk, None), (Rule.SAME_EVIDENCE, old_b.pk, None)}


def test_incremental_run_screens_platform_records_received_since(alice):
    claim(alice, file="a", hours=D("8"), start_date=dt.date(2025, 8, 1), end_date=dt.date(2025, 8, 1))
    run()
    with time_machine.travel(NOW + dt.timedelta(hours=3), tick=False):
        online = platform_record(alice, hours="4", day=dt.date(2025, 8, 1))
    result = run(LATER)
    assert result.platform_records_screened == 1
    assert (Rule.DAILY_HOURS, None, online.pk) in flags()


def test_a_claim_with_an_open_flag_cannot_be_approved_until_dismissed(alice, bob, ada, cheng):
    claim(bob, file="scan", status="approved")
    pending = claim(alice, file="scan")
    run()
    open_all(ada, pending, now=LATER)
    with pytest.raises(DomainError) as refused:
        review_decide(claim_id=pending.pk, reviewer=ada, action="approve", now=LATER)
    assert refused.value.code == "screening_flag_open"
    assert Claim.objects.get(pk=pending.pk).status == "submitted"

    flag_resolve(flag=ScreeningFlag.objects.get(claim=pending), action="dismiss", reason="本人原件，已核实",
                 actor=cheng, now=LATER)
    review_decide(claim_id=pending.pk, reviewer=ada, action="approve", now=LATER)
    assert Claim.objects.get(pk=pending.pk).status == "unit_approved"


def test_a_confirmed_flag_keeps_the_claim_from_approval_and_an_unknown_provider_never_blocks(alice, bob, ada, cheng):
    claim(bob, file="scan", status="approved")
    copied = claim(alice, file="scan")
    unknown = claim(alice, file="u", provider_name="鹰城速成培训中心")
    run()
    flag_resolve(flag=ScreeningFlag.objects.get(claim=copied), action="confirm", reason="", actor=cheng, now=LATER)
    open_all(ada, copied, now=LATER)
    open_all(ada, unknown, now=LATER)
    with pytest.raises(DomainError) as refused:
        review_decide(claim_id=copied.pk, reviewer=ada, action="approve", now=LATER)
    assert refused.value.code == "screening_confirmed"
    assert ScreeningFlag.objects.get(claim=unknown).status == "open"
    review_decide(claim_id=unknown.pk, reviewer=ada, action="approve", now=LATER)


def test_dismissing_needs_a_reason_and_changes_nothing_without_one(alice, bob, cheng):
    claim(alice, file="scan")
    claim(bob, file="scan")
    run()
    flag = ScreeningFlag.objects.first()
    for reason in ("", "   "):
        with pytest.raises(DomainError) as refused:
            flag_resolve(flag=flag, action="dismiss", reason=reason, actor=cheng, now=LATER)
        assert refused.value.code == "dismiss_reason_required"
    flag.refresh_from_db()
    assert flag.status == "open" and flag.resolved_at is None
    assert not AuditEvent.objects.filter(action__startswith="screening.flag").exists()

    flag_resolve(flag=flag, action="dismiss", reason="同一培训班合影，非伪造", actor=cheng, now=LATER)
    flag.refresh_from_db()
    assert (flag.status, flag.resolution_reason, flag.resolved_by, flag.resolved_at) == (
        "dismissed", "同一培训班合影，非伪造", cheng, LATER)
    event = AuditEvent.objects.get(action="screening.flag_dismiss")
    assert event.after["reason"] == "同一培训班合影，非伪造" and event.actor == cheng
    with pytest.raises(DomainError) as again:
        flag_resolve(flag=flag, action="confirm", reason="", actor=cheng, now=LATER)
    assert again.value.code == "flag_already_resolved"


def test_only_city_hr_resolves_or_asks_for_a_run(alice, bob, xin, ada, django_capture_on_commit_callbacks):
    claim(alice, file="scan")
    claim(bob, file="scan")
    run()
    flag = ScreeningFlag.objects.first()
    for actor in (xin, ada, alice.user):
        with pytest.raises(NotFound):
            flag_resolve(flag=flag, action="confirm", reason="", actor=actor, now=LATER)
        with django_capture_on_commit_callbacks() as queued, pytest.raises(NotFound):
            screening_request(actor=actor, now=LATER)
        assert queued == []
    assert ScreeningFlag.objects.get(pk=flag.pk).status == "open"


def test_city_hr_queues_a_run_and_the_task_screens(alice, bob, cheng, django_capture_on_commit_callbacks):
    claim(alice, file="scan")
    claim(bob, file="scan")
    with django_capture_on_commit_callbacks() as queued:
        screening_request(actor=cheng, now=NOW)
    assert len(queued) == 1
    assert AuditEvent.objects.filter(action="screening.request", actor=cheng).exists()
    with time_machine.travel(NOW, tick=False):
        assert screen_incremental(requested_by_id=cheng.pk) == 2  # what the worker runs
    assert ScreeningRun.objects.get().requested_by == cheng


def test_confirming_revokes_the_credit_and_the_year_totals(alice, bob, cheng):
    original = claim(bob, file="scan", status="approved")
    copied = claim(alice, file="scan", status="approved", hours=D("8"))
    claim(alice, file="other", status="approved", hours=D("6"))
    recompute_year_totals([(alice.pk, 2025), (bob.pk, 2025)])
    run()
    assert credited_hours(alice.pk, 2025) == (D("0"), D("14"))

    flag = ScreeningFlag.objects.get(claim=copied)
    flag_resolve(flag=flag, action="confirm", reason="证书扫描件与他人相同", actor=cheng, now=LATER)

    copied.refresh_from_db()
    assert copied.credit_revoked_at == LATER and not copied.is_credited
    assert credited_hours(alice.pk, 2025) == (D("0"), D("6"))
    assert credited_hours(bob.pk, 2025) == (D("0"), D("4"))  # the original stands
    assert ScreeningFlag.objects.get(claim=original).status == "open"
    assert AuditEvent.objects.filter(action="claim.credit_revoke", object_id=str(copied.pk)).exists()
    confirm = AuditEvent.objects.get(action="screening.flag_confirm")
    assert confirm.after["credit_revoked"] is True and confirm.after["claim"] == copied.pk


def test_confirming_revokes_the_certificate_that_counted_it(alice, bob, cheng):
    records = make_compliant(alice)
    copied = records[2]
    EvidenceFileFactory(claim=copied, sha256=sha("scan"))
    claim(bob, file="scan")
    with time_machine.travel(T0, tick=False):
        certificate = certificate_obtain(professional=alice, year=2025, now=T0, actor=alice.user)
    run()

    flag_resolve(flag=ScreeningFlag.objects.get(claim=copied), action="confirm", reason="", actor=cheng, now=LATER)

    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.REVOKED
    assert "同一佐证材料重复使用" in certificate.revoke_reason
    assert not Certificate.objects.filter(professional=alice, status=Certificate.Status.ISSUED).exists()
    assert credited_hours(alice.pk, 2025) == (D("30"), D("30"))
    confirm = AuditEvent.objects.get(action="screening.flag_confirm")
    assert confirm.after["revoked_certificates"] == [certificate.serial]


def test_confirming_an_online_record_revokes_its_credit(alice, cheng):
    online = platform_record(alice, hours="12", day=dt.date(2025, 8, 5))
    run()
    flag_resolve(flag=ScreeningFlag.objects.get(platform_record=online), action="confirm", reason="平台数据异常",
                 actor=cheng, now=LATER)
    assert PlatformRecord.objects.get(pk=online.pk).credit_revoked_at == LATER
    assert credited_hours(alice.pk, 2025) == (D("0"), D("0"))


def test_a_claim_naming_a_base_by_name_or_by_choice_is_no_unknown_provider(alice):
    base = TrainingBase.objects.get(name="平顶山学院")
    claim(alice, file="a", provider_name="平顶山学院")
    claim(alice, file="b", provider_base=base, provider_name="")
    claim(alice, file="c", provider_name="河南专技在线", start_date=dt.date(2023, 5, 8), end_date=dt.date(2023, 5, 8),
          year=2023)
    run()
    assert flags() == set()


def test_screening_runs_nightly_at_two_shanghai_time(settings):
    from ce_portal.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["screening"]
    app.loader.import_default_modules()  # what a worker does at start
    assert entry["task"] == "audits.screening.tasks.screen_incremental" and entry["task"] in app.tasks
    assert (entry["schedule"].hour, entry["schedule"].minute, app.conf.timezone) == ({2}, {0}, "Asia/Shanghai")
