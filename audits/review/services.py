"""Writes of review (rules 5 and 6 in docs/rules.md): sending a claim for review, the decisions at each
level, the overdue flag, the reviewers' reminders and the notifications they become.

Who may decide is `selectors.level_q`; what may happen is `rules.transition`, derived from the review levels;
this module writes the outcome (decision row, deadline of the next level, crediting, audit event). Two
reviewers deciding the same claim at once: the second waits for the first's row lock, then sees the new
status and gets `already_decided`. The timers take the clock from their caller and keep no state outside the
database, so each may run late, twice, or twice at once: flags are conditional UPDATEs, notices carry a
deterministic `dedupe_key`, and a mail goes out only for a notice this worker has locked and not yet mailed.
An overdue claim is never decided here: it is flagged and stays in its reviewer's queue.
"""
import datetime as dt
import logging
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from audits.calendar.rules import Due
from audits.calendar.selectors import add_working_days, current_calendar, is_working_day, review_due
from audits.review.models import EvidenceView, Notification, ReviewDecision, UnitStandard, UnitStandardItem
from audits.review.rules import (
    LEVELS,
    PROFESSIONAL,
    REASON_REQUIRED,
    REVIEW_ACTIONS,
    Action,
    ReviewLevel,
    level_due,
    level_numbered,
    level_working_days,
    routing,
    unit_standard_problems,
    transition,
    waiting_level,
)
from audits.review.selectors import (
    BATCH_OBJECT_TYPE,
    acting_level,
    blocking_flags,
    claim_standard_fit,
    levels_of,
    review_level_annotations,
    unit_review_days,
    unread_count_key,
)
from audits.screening.models import ScreeningFlag
from audits.trail.services import record_event
from ce_portal.errors import DomainError, NotFound
from ce_portal.formatting import hours_text
from records.hours.models import ActivityKind, Claim, EvidenceFile, RequirementPolicy
from records.hours.rules import RESUBMISSION_WORKING_DAYS, ClaimStatus, StandardRule, YearCloses
from records.hours.services import (
    ClaimInput,
    add_to_year_totals,
    claim_input_problems,
    exemption_relied_on,
    own_claim_for_update,
    refuse_problems,
    year_deltas,
)
from records.people.access import scope_for, scope_holders
from records.people.models import Employment, Role, RoleMembership, Unit
from records.people.selectors import reviewing_employment, unit_has_reviewer

logger = logging.getLogger(__name__)

NOT_FOUND = "未找到该申报。"
MAX_BATCH = 200
_BATCH_LABELS = {Action.APPROVE: "批量审核通过", Action.REJECT: "批量审核不通过", Action.RETURN: "批量退回修改"}


def claim_snapshot(claim: Claim) -> dict:
    """What the audit trail keeps of a claim before and after each move."""
    return {
        "status": claim.status, "version": claim.version, "year": claim.year, "category": claim.category,
        "hours": str(claim.hours), "unit": claim.unit_id, "review_started_on": claim.review_started_on,
        "due_on": claim.due_on, "decided_at": claim.decided_at, "overdue_since": claim.overdue_since,
    }


def claim_level_due(year: int, level: ReviewLevel, *, filed_on: dt.date, started_on: dt.date,
                    working_days: int | None = None) -> Due:
    """The deadline of `level` for a claim of `year` filed on `filed_on` that reaches it on `started_on`: so
    many working days (the level's, or fewer by the unit's own standard) after that day or the filing day
    (neither counted), by the year's review close at the latest (`rules.level_due`, with the year's policy and
    the calendar in force)."""
    calendar = current_calendar()
    return level_due(calendar, level, filed_on=filed_on, started_on=started_on,
                     closes=RequirementPolicy.objects.closes_for(year, calendar), working_days=working_days)


def _enter_level(claim: Claim, level: ReviewLevel, *, today: dt.date, unit_days: int | None = None) -> None:
    """Start `level`'s clock today, with fewer working days at the unit's level when the unit's own standard
    (`unit_days`) says so."""
    claim.review_working_days = level_working_days(level, unit_days)
    due = claim_level_due(claim.year, level, filed_on=claim.filed_on, started_on=today,
                          working_days=claim.review_working_days)
    claim.review_started_on, claim.due_on, claim.due_provisional = today, due.on, due.provisional
    # Lateness is counted afresh at every level.
    claim.overdue_since = None


# --- sending a claim for review ---------------------------------------------------------------------------

def claim_routes(unit: Unit, levels: tuple[ReviewLevel, ...] = LEVELS) -> dict[str, int | None]:
    """The claim fields naming every level's reviewers for a claim submitted from `unit` today."""
    unit_values = {"authority_id": unit.authority_id, "region_id": unit.region_id,
                   "region_id_without_reviewer": None if unit_has_reviewer(unit) else unit.region_id}
    return {name: value for level in levels for name, value in routing(level, unit_values).items()}


def _send_for_review(claim: Claim, *, actor, action: Action, now: dt.datetime, ip: str | None,
                     levels: tuple[ReviewLevel, ...]) -> Claim:
    """Submission and resubmission alike: re-check, route to the unit of the day, start the first level."""
    new_status = transition(claim.status, action, PROFESSIONAL, levels=levels)
    refuse_problems(claim_input_problems(professional=claim.professional, data=ClaimInput.from_claim(claim),
                                         now=now, claim=claim))
    evidence = list(claim.evidence.filter(removed_at__isnull=True).order_by("pk"))
    if not evidence:
        raise DomainError("请至少上传一份佐证材料（证书、考勤记录、照片或课件）后再提交。", code="evidence_missing",
                          field="evidence")
    today = timezone.localdate(now)
    employment = reviewing_employment(claim.professional, filed_on=today, activity_end=claim.end_date,
                                      activity_start=claim.start_date)
    if employment is None:
        raise DomainError(
            "系统中没有您今天或活动期间的任职单位记录，无法确定审核单位，请联系用人单位核实任职信息。", code="no_employer"
        )
    before = claim_snapshot(claim)
    unit = employment.unit
    claim.status = new_status
    claim.unit, claim.region = unit, unit.region
    # Every level's reviewers are fixed now, from the unit of the day: a later change of employer, or of the
    # unit's authority, does not move a claim under review.
    for field_name, value in claim_routes(unit, levels).items():
        setattr(claim, field_name, value)
    claim.filed_on, claim.submitted_at = today, now
    claim.filed_under_exemption = exemption_relied_on(claim, now)
    claim.resubmit_by = None
    # A resubmission starts review afresh: nothing of the earlier round's clock or lateness remains.
    _enter_level(claim, levels[0], today=today, unit_days=unit_review_days(unit.pk))
    claim.decided_at = None
    claim.version += 1
    claim.save()
    EvidenceFile.objects.filter(pk__in=[e.pk for e in evidence], submitted_at__isnull=True).update(submitted_at=now)
    record_event(
        actor=actor, action=f"claim.{action}", target=claim, before=before, ip=ip,
        after={**claim_snapshot(claim), "evidence": [{"id": e.pk, "sha256": e.sha256} for e in evidence]},
    )
    return claim


@transaction.atomic
def claim_submit(*, actor, claim_id: int, now: dt.datetime, ip: str | None = None,
                 levels: tuple[ReviewLevel, ...] = LEVELS) -> Claim:
    return _send_for_review(own_claim_for_update(actor, claim_id), actor=actor, action=Action.SUBMIT, now=now,
                            ip=ip, levels=levels)


@transaction.atomic
def claim_resubmit(*, actor, claim_id: int, now: dt.datetime, ip: str | None = None,
                   levels: tuple[ReviewLevel, ...] = LEVELS) -> Claim:
    return _send_for_review(own_claim_for_update(actor, claim_id), actor=actor, action=Action.RESUBMIT, now=now,
                            ip=ip, levels=levels)


@transaction.atomic
def claim_withdraw(*, actor, claim_id: int, now: dt.datetime, ip: str | None = None,
                   levels: tuple[ReviewLevel, ...] = LEVELS) -> Claim:
    claim = own_claim_for_update(actor, claim_id)
    new_status = transition(claim.status, Action.WITHDRAW, PROFESSIONAL, levels=levels)
    before = claim_snapshot(claim)
    claim.status = new_status
    claim.version += 1
    claim.save(update_fields=["status", "version", "updated_at"])
    record_event(actor=actor, action="claim.withdraw", target=claim, before=before, after=claim_snapshot(claim),
                 ip=ip)
    return claim


@transaction.atomic
def evidence_opened(*, user, evidence: EvidenceFile, now: dt.datetime, ip: str | None = None) -> EvidenceView | None:
    """Log that someone other than the claimant opened a file: batch approval may only pass viewed claims,
    and the audit trail shows who looked at whose papers."""
    if evidence.claim.professional_id in scope_for(user).professional_ids:
        return None
    view = EvidenceView.objects.create(reviewer=user, evidence=evidence, at=now)
    record_event(actor=user, action="evidence.view", target=evidence, after={"claim": evidence.claim_id}, ip=ip, at=now)
    if evidence.session_file_id is not None:
        _session_file_viewed(user=user, session_file_id=evidence.session_file_id, now=now, except_id=evidence.pk)
    return view


def _session_file_viewed(*, user, session_file_id: int, now: dt.datetime, except_id: int | None = None) -> int:
    """One file of a session is one file, whichever claim it is opened from: opened once, it counts as opened
    in every attendee's claim (rule 7), so a batch approval of the session's claims is an honest one. Not in the
    reviewer's own claim: nobody approves what they filed."""
    files = (EvidenceFile.objects.filter(session_file_id=session_file_id)
             .exclude(claim__professional_id__in=scope_for(user).professional_ids).exclude(pk=except_id)
             .exclude(Exists(EvidenceView.objects.filter(evidence=OuterRef("pk"), reviewer=user))))
    views = EvidenceView.objects.bulk_create([EvidenceView(reviewer=user, evidence_id=pk, at=now)
                                              for pk in files.values_list("pk", flat=True)])
    return len(views)


@transaction.atomic
def session_evidence_opened(*, user, session_file, now: dt.datetime, ip: str | None = None) -> int:
    """The session's page opened one of its files: logged once, counted as viewed in each attendee's claim."""
    record_event(actor=user, action="session.evidence_view", target=session_file,
                 after={"session": session_file.session_id}, ip=ip, at=now)
    return _session_file_viewed(user=user, session_file_id=session_file.pk, now=now)


# --- decisions --------------------------------------------------------------------------------------------

def _alone_with_reason(*, reason: str, in_batch: bool, code: str, batch_message: str,
                       reason_message: str) -> DomainError | None:
    """An approval that must be a decision taken alone and explained: refused in a batch, and without a reason."""
    if in_batch:
        return DomainError(batch_message, code=f"{code}_batch")
    if not reason:
        return DomainError(reason_message, code=f"{code}_reason_required", field="reason")
    return None


def approval_refusal(claim: Claim, reviewer, *, level: ReviewLevel, reason: str = "",
                     in_batch: bool = False) -> DomainError | None:
    """Why `reviewer` may not approve `claim` at `level` now, or None. The one place every approval is checked
    against.

    Rule 6 in docs/rules.md: only claims whose every current evidence file this same reviewer has opened;
    rule 9: none while a screening flag on it is open or once one is confirmed (unknown providers aside);
    rule 3: a claim filed under a make-up exemption since revoked only one by one, with a stated reason;
    rule 8: at the unit's level, a claim over the unit's own standard likewise.
    """
    exemption = claim.filed_under_exemption
    if exemption is not None and exemption.revoked_at is not None:
        refusal = _alone_with_reason(
            reason=reason, in_batch=in_batch, code="exemption_revoked",
            batch_message="该申报依据的补学豁免已被撤销，须逐条查看并说明理由后审核，不能批量通过。",
            reason_message="该申报依据的补学豁免已被市人社局撤销：如仍审核通过，请在理由中说明依据；否则请退回或不予通过。",
        )
        if refusal is not None:
            return refusal
    fit = claim_standard_fit(claim) if level.unit_level else None
    if fit is not None and not fit.fits:
        refusal = _alone_with_reason(
            reason=reason, in_batch=in_batch, code="over_standard",
            batch_message=f"{fit.text}超出本单位学时认定标准的申报须逐条审核并说明理由，不能批量通过。",
            reason_message=f"{fit.text}如仍审核通过，请在理由中说明依据；否则请退回修改或不予通过。",
        )
        if refusal is not None:
            return refusal
    flags = set(blocking_flags().filter(claim=claim).values_list("status", flat=True))
    if ScreeningFlag.Status.CONFIRMED in flags:
        return DomainError("该申报经市人社局筛查确认存在问题，学时已撤销，不能审核通过。", code="screening_confirmed")
    if ScreeningFlag.Status.OPEN in flags:
        return DomainError("该申报有待市人社局处理的筛查疑点，处理完毕前不能审核通过。", code="screening_flag_open")
    files = EvidenceFile.objects.filter(claim=claim, removed_at__isnull=True)
    total = files.count()
    if total == 0:
        return DomainError("该申报没有佐证材料，不能审核通过。", code="no_evidence")
    unviewed = files.exclude(
        Exists(EvidenceView.objects.filter(evidence=OuterRef("pk"), reviewer=reviewer))
    ).count()
    if unviewed:
        return DomainError(f"有 {unviewed} 份佐证材料您尚未查看，请先打开查看后再审核通过。", code="evidence_not_viewed")
    return None


def _review_action(action: str) -> Action:
    if action not in REVIEW_ACTIONS:
        raise DomainError("请选择审核操作：审核通过、审核不通过或退回修改。", code="invalid_action", field="action")
    return Action(action)


def exemption_revoked_notify(*, exemption, now: dt.datetime) -> int:
    """Tell the person, once the exemption is revoked, which of their claims filed under it still wait on a
    reviewer (who now sees the revocation and must explain an approval). Returns how many claims."""
    waiting = list(Claim.objects.filter(filed_under_exemption=exemption, status__in=waiting_statuses())
                   .order_by("pk").values_list("title", flat=True))
    user_id = exemption.professional.user_id
    if waiting and user_id:
        titles = "、".join(f"“{title}”" for title in waiting)
        create_and_email([Notification(
            user_id=user_id, kind="exemption_revoked", created_at=now, link=reverse("records:my_home"),
            dedupe_key=f"exemption_revoked:{exemption.pk}",
            text=(f"您 {exemption.year} 年度的补学豁免已被市人社局撤销。依据该豁免提交、尚在审核中的申报 {titles}，"
                  "审核人员将看到撤销情况，可能退回或不予通过。"),
        )], now=now, subject="【继续教育】补学豁免已撤销")
    return len(waiting)


def _resubmission_days(year: int) -> int:
    policy = RequirementPolicy.objects.filter(year=year).first()
    return policy.resubmission_working_days if policy else RESUBMISSION_WORKING_DAYS


@transaction.atomic
def review_decide(*, claim_id: int, reviewer, action: str, reason: str = "", now: dt.datetime,
                  ip: str | None = None, batch_id: uuid.UUID | None = None, expected_version: int | None = None,
                  levels: tuple[ReviewLevel, ...] = LEVELS) -> ReviewDecision:
    """Approve, reject or return one claim at the reviewer's level.

    `expected_version` is the version the reviewer's page showed: a claim changed since (decided by someone
    else, or returned and resubmitted) is refused as already decided rather than decided unseen.
    """
    action = _review_action(action)
    claim = (
        # The claim's row only: a level's reviewers may be found through a join (a region's parent, say).
        Claim.objects.select_for_update(of=("self",))
        # Read with the row: the claimant is told the outcome, a revoked exemption may hold the approval.
        .select_related("professional", "filed_under_exemption")
        .filter(pk=claim_id)
        .exclude(status=ClaimStatus.DRAFT)
        .annotate(**review_level_annotations(scope_for(reviewer), levels))
        .first()
    )
    if claim is None or not levels_of(claim, levels):
        raise NotFound(NOT_FOUND)
    if expected_version is not None and claim.version != expected_version:
        raise DomainError(
            f"该申报已有新的处理（当前状态：{claim.get_status_display()}），请刷新页面后再审核。", code="already_decided"
        )
    level = acting_level(claim, levels)
    reason = reason.strip()
    new_status = transition(claim.status, action, level, reason=reason, levels=levels)
    if action == Action.APPROVE:
        refusal = approval_refusal(claim, reviewer, level=level_numbered(level, levels), reason=reason,
                                   in_batch=batch_id is not None)
        if refusal is not None:
            raise refusal

    today = timezone.localdate(now)
    due_on = claim.due_on
    before = claim_snapshot(claim)
    claim.status = new_status
    following = waiting_level(new_status, levels)
    if following is not None:
        _enter_level(claim, following, today=today)
    else:
        claim.overdue_since = None
        if new_status in (ClaimStatus.APPROVED, ClaimStatus.REJECTED):
            claim.decided_at = now
        if new_status == ClaimStatus.RETURNED:
            claim.resubmit_by = review_due(today, _resubmission_days(claim.year)).on
    if new_status == ClaimStatus.APPROVED:
        add_to_year_totals(year_deltas([(claim.professional_id, claim.year, claim.category, claim.hours)]))
    claim.version += 1
    claim.save(update_fields=[
        "status", "overdue_since", "review_started_on", "due_on", "due_provisional", "review_working_days",
        "decided_at", "resubmit_by", "version", "updated_at",
    ])
    decision = ReviewDecision.objects.create(
        claim=claim, level=level, action=action, reason=reason, reviewer=reviewer, at=now, due_on=due_on,
        on_time=due_on is None or today <= due_on, batch_id=batch_id,
    )
    record_event(
        actor=reviewer, action=f"claim.{action}", target=claim, before=before, ip=ip,
        after={**claim_snapshot(claim), "level": level, "reason": reason, "on_time": decision.on_time,
               "batch_id": batch_id},
    )
    _tell_the_claimant(claim, decision, now=now)
    return decision


def _tell_the_claimant(claim: Claim, decision: ReviewDecision, *, now: dt.datetime) -> None:
    """The person learns the outcome in the portal (and by mail, from the queue `mail_pending_notifications`
    drains, so a mail server that is down loses nothing): approved and credited, returned with the reason and
    the last day to come back, or rejected with the reason. A level passed on to the next says nothing yet."""
    user_id = claim.professional.user_id
    text = decision_notice_text(claim, reason=decision.reason)
    if user_id is None or text is None:
        return
    Notification.objects.create(user_id=user_id, kind=f"claim_{claim.status}", text=text, created_at=now,
                                link=reverse("records:claim_detail", args=[claim.pk]),
                                dedupe_key=f"decision:{decision.pk}")
    notifications_changed([user_id])


def tell_credit_revoked(flag: ScreeningFlag, *, now: dt.datetime) -> bool:
    """After city_hr confirmed a screening flag: the person learns which hours were taken out, and why."""
    subject = flag.claim or flag.platform_record
    user_id = flag.professional.user_id
    if flag.status != ScreeningFlag.Status.CONFIRMED or user_id is None:
        return False
    what = f"学时申报“{subject.title}”" if flag.claim_id else f"平台学时“{subject.course_title}”"
    reason = f"：{flag.resolution_reason}" if flag.resolution_reason else ""
    Notification.objects.create(
        user_id=user_id, kind="credit_revoked", created_at=now, dedupe_key=f"credit_revoked:{flag.pk}",
        link=reverse("records:my_year", args=[subject.year]),
        text=(f"经市人社局筛查确认（{flag.get_rule_display()}{reason}），您的{what}的 {hours_text(subject.hours)} 学时"
              f"已从 {subject.year} 年度撤销；该年度涉及的学时证明随之失效或更新。如有异议，请联系所在单位或市人社局。"),
    )
    notifications_changed([user_id])
    return True


def decision_notice_text(claim: Claim, *, reason: str) -> str | None:
    title = f"您的学时申报“{claim.title}”"
    if claim.status == ClaimStatus.APPROVED:
        return f"{title}已审核通过，{hours_text(claim.hours)} 学时已计入 {claim.year} 年度。"
    if claim.status == ClaimStatus.RETURNED:
        until = f"请于 {claim.resubmit_by:%Y年%m月%d日} 前修改并重新提交。" if claim.resubmit_by else "请修改后重新提交。"
        return f"{title}被退回修改，理由：{reason}。{until}"
    if claim.status == ClaimStatus.REJECTED:
        return f"{title}审核不通过，理由：{reason}。"
    return None


@dataclass(frozen=True)
class BatchItem:
    claim_id: int
    decided: bool
    code: str = ""
    message: str = ""


@dataclass(frozen=True)
class BatchResult:
    batch_id: uuid.UUID
    action: str
    items: list[BatchItem]

    @property
    def decided(self) -> list[BatchItem]:
        return [item for item in self.items if item.decided]

    @property
    def refused(self) -> list[BatchItem]:
        return [item for item in self.items if not item.decided]


@transaction.atomic
def review_batch(*, claim_ids, reviewer, action: str, reason: str = "", now: dt.datetime,
                 ip: str | None = None, levels: tuple[ReviewLevel, ...] = LEVELS) -> BatchResult:
    """Decide many claims in one action; each claim is decided or refused on its own, with its reason.

    Approval passes only claims whose evidence this reviewer has opened (`approval_refusal`); the others
    are refused and reported. Reject and return without a reason refuse the whole batch.
    """
    action = _review_action(action)
    reason = reason.strip()
    if action in REASON_REQUIRED and not reason:
        raise DomainError(f"{_BATCH_LABELS[action]}必须填写理由。", code="reason_required", field="reason")
    ids = sorted(set(claim_ids))  # one lock order for every batch: two batches never deadlock
    if not ids:
        raise DomainError("请至少勾选一条申报。", code="empty_batch", field="claim")
    if len(ids) > MAX_BATCH:
        raise DomainError(f"一次最多处理 {MAX_BATCH} 条申报，本次勾选了 {len(ids)} 条。", code="batch_too_large",
                          field="claim")
    batch_id = uuid.uuid4()
    items = []
    for claim_id in ids:
        try:
            # review_decide is atomic: inside this transaction, a savepoint that a refusal rolls back alone.
            review_decide(claim_id=claim_id, reviewer=reviewer, action=action, reason=reason, now=now, ip=ip,
                          batch_id=batch_id, levels=levels)
        except DomainError as refusal:
            items.append(BatchItem(claim_id, False, refusal.code, refusal.message))
        else:
            items.append(BatchItem(claim_id, True))
    result = BatchResult(batch_id, action, items)
    record_event(
        actor=reviewer, action=f"review.batch_{action}", target=(BATCH_OBJECT_TYPE, batch_id), ip=ip,
        after={
            "action": action, "reason": reason,
            "decided": [item.claim_id for item in result.decided],
            "refused": [{"claim": item.claim_id, "code": item.code, "reason": item.message}
                        for item in result.refused],
        },
    )
    return result


# --- timers -----------------------------------------------------------------------------------------------

def waiting_statuses(levels: tuple[ReviewLevel, ...] = LEVELS) -> list[str]:
    return [level.waiting_status for level in levels]


def overdue_q(today: dt.date, prefix: str = "", levels: tuple[ReviewLevel, ...] = LEVELS) -> Q:
    """Claims waiting on a level whose deadline has passed (a decision on the due date itself is on time):
    a range on the (status, due date) index."""
    return Q(**{f"{prefix}status__in": waiting_statuses(levels), f"{prefix}due_on__lt": today})


@dataclass(frozen=True)
class Marked:
    by_level: dict[int, int]  # level number → claims newly flagged

    @property
    def total(self) -> int:
        return sum(self.by_level.values())


def mark_overdue(*, today: dt.date, now: dt.datetime, levels: tuple[ReviewLevel, ...] = LEVELS) -> Marked:
    """Flag every claim that is overdue and not flagged yet, however long the timers were down.

    One UPDATE per level through the (status, due date) index. Two runs at once are safe: PostgreSQL
    re-checks `overdue_since IS NULL` on a row the other run just flagged, and skips it. The flag is in no
    index, so the UPDATE stays a heap-only one (bench/results/review.md).
    """
    marked = Marked({
        level.number: Claim.objects.filter(
            status=level.waiting_status, due_on__lt=today, overdue_since__isnull=True
        ).update(overdue_since=now)
        for level in levels
    })
    if marked.total:
        record_event(actor=None, action="claim.mark_overdue", target=("task", "mark_overdue"), at=now,
                     after={"today": today, "by_level": {str(n): count for n, count in marked.by_level.items()}})
    return marked


def level_counts_text(counts: Counter, levels: tuple[ReviewLevel, ...] = LEVELS) -> str:
    """'单位审核 1 条、主管部门/人社部门审核 2 条' for claims counted by level number."""
    return "、".join(f"{level.label} {counts[level.number]} 条" for level in levels if counts[level.number])


def send_due_reminders(*, today: dt.date, now: dt.datetime, levels: tuple[ReviewLevel, ...] = LEVELS) -> int:
    """Each working morning, every reviewer with claims waiting on them gets one list: how many are overdue,
    how many fall due today and how many on the next working day, by level, with a link to their queue
    filtered to the most pressing of them.

    Nothing on a weekend or a holiday (a 调休 make-up day is a working day): the list of the next working
    morning counts the overdue ones anyway. Overdue is `overdue_q`, as in the queue and the monitors; the
    task flags them first (`mark_overdue`) so the flags agree with the list. One notice per reviewer and
    day; its key makes any later run that day a no-op. Returns how many notices were new.
    """
    if not is_working_day(today):
        return 0
    next_day = add_working_days(today, 1)
    lists: dict[int, MorningList] = defaultdict(MorningList)
    for level in levels:
        for route in level.routes:
            holders = scope_holders(route.scope_field)
            rows = (Claim.objects.filter(status=level.waiting_status, due_on__lte=next_day,
                                         **{f"{route.claim_field}__isnull": False})
                    .values_list(route.claim_field)
                    .annotate(overdue=Count("id", filter=overdue_q(today, levels=(level,))),
                              due_today=Count("id", filter=Q(due_on=today)),
                              due_next=Count("id", filter=Q(due_on__gt=today)))
                    .order_by())
            for object_id, overdue, due_today, due_next in rows:
                for user_id in holders.get(object_id, ()):
                    morning = lists[user_id]
                    morning.overdue[level.number] += overdue
                    morning.due_today[level.number] += due_today
                    morning.due_next[level.number] += due_next

    queue = reverse("review:queue")
    notices = [
        Notification(
            user_id=user_id, kind="review_reminder", created_at=now,
            # The queue's own filters: "overdue", or "soon" (due today or on the next working day).
            link=f"{queue}?due={'overdue' if morning.overdue.total() else 'soon'}",
            dedupe_key=f"morning:{user_id}:{today.isoformat()}",
            text=_morning_text(morning, today=today, next_day=next_day, levels=levels),
        )
        for user_id, morning in sorted(lists.items())
    ]
    return create_and_email(notices, now=now, subject=SUBJECTS["review_reminder"])


@dataclass
class MorningList:
    """One reviewer's claims of the morning, each Counter by level number."""

    overdue: Counter = field(default_factory=Counter)
    due_today: Counter = field(default_factory=Counter)
    due_next: Counter = field(default_factory=Counter)


def _morning_text(morning: MorningList, *, today: dt.date, next_day: dt.date, levels: tuple[ReviewLevel, ...]) -> str:
    lines = [f"{today:%Y-%m-%d} 审核待办：您负责审核的学时申报中"]
    for label, counts in (("已逾期", morning.overdue), (f"今天（{today:%Y-%m-%d}）到期", morning.due_today),
                          (f"下一个工作日（{next_day:%Y-%m-%d}）到期", morning.due_next)):
        by_level = f"（{level_counts_text(counts, levels)}）" if counts.total() else ""
        lines.append(f"· {label} {counts.total()} 条{by_level}")
    lines.append("逾期的申报不会自动通过，请尽快审核。" if morning.overdue.total() else "请在期限内完成审核。")
    return "\n".join(lines)


def due_dates_recompute(*, calendar, today: dt.date, touching: tuple[dt.date, dt.date] | None = None, actor=None,
                        ip: str | None = None, year: int | None = None,
                        levels: tuple[ReviewLevel, ...] = LEVELS) -> int:
    """Re-date the claims waiting on a level with `calendar` (the one now in force, an edit included);
    returns how many deadlines moved, and audits them in one event.

    `touching` (first, last) is the span of dates an edit changed: only a deadline counted across it can
    move — the review started before its end and was due on or after its start. Provisional deadlines are
    recomputed whatever was edited (a published year ends them); None recomputes every waiting claim. A
    moved deadline that is no longer past clears the overdue flag. Idempotent; the rows are locked, so a
    claim decided or re-filed meanwhile is not written back with a deadline computed from its old date. A
    decided claim keeps the deadline its decision was judged against. `year` limits it to the claims of one
    year, whose policy (its review close, its reading of the review clock) has changed.
    """
    fields = ["due_on", "due_provisional", "overdue_since"]
    claims = Claim.objects.select_for_update().filter(status__in=waiting_statuses(levels),
                                                      review_started_on__isnull=False)
    if touching is not None:
        first, last = touching
        # A deadline counted from the filing day (the "from filing" reading) spans from the filing on.
        claims = claims.filter(Q(due_provisional=True) | Q(filed_on__lt=last, due_on__gte=first)
                               | Q(review_started_on__lt=last, due_on__gte=first))
    if year is not None:
        claims = claims.filter(year=year)
    closes: dict[int, YearCloses] = {}
    moved = []
    for claim in claims.only("status", "year", "filed_on", "review_started_on", "review_working_days",
                             *fields).order_by("pk"):
        if claim.year not in closes:
            closes[claim.year] = RequirementPolicy.objects.closes_for(claim.year, calendar)
        due = level_due(calendar, waiting_level(claim.status, levels), filed_on=claim.filed_on,
                        started_on=claim.review_started_on, closes=closes[claim.year],
                        working_days=claim.review_working_days)
        if (claim.due_on, claim.due_provisional) != (due.on, due.provisional):
            moved.append((claim, claim.due_on))
            claim.due_on, claim.due_provisional = due.on, due.provisional
            if due.on >= today:
                claim.overdue_since = None
    Claim.objects.bulk_update([claim for claim, _ in moved], fields, batch_size=1000)
    if moved:
        record_event(actor=actor, action="claim.redate", target=("calendar", "due_dates"), ip=ip, after={
            "touching": touching, "year": year, "moved": len(moved),
            "claims": [[claim.pk, old, claim.due_on] for claim, old in moved],
        })
    return len(moved)


# --- who reviews at level 1 ------------------------------------------------------------------------------

def _bureau_over(actor, unit: Unit) -> None:
    """Only the HR bureau of the unit's county (or the city's) appoints its reviewers; anyone else gets 404."""
    scope = scope_for(actor)
    if not (scope.is_city or (scope.has(Role.COUNTY_HR) and unit.region_id in scope.region_ids)):
        raise NotFound("未找到该单位。")


@transaction.atomic
def unit_reviewer_appoint(*, unit: Unit, professional_id: int | None, actor, ip: str | None = None) -> RoleMembership:
    """The county (or city) HR bureau makes one of the unit's current staff who has an account its reviewer."""
    _bureau_over(actor, unit)
    staff = (Employment.objects.filter(unit=unit, ended_on__isnull=True, professional_id=professional_id,
                                       professional__user__is_active=True)
             .select_related("professional__user").first() if professional_id else None)
    if staff is None:
        raise DomainError("请从本单位在职且已开通账号的人员中选择审核员。", code="not_unit_staff", field="professional")
    user = staff.professional.user
    membership, created = RoleMembership.objects.get_or_create(user=user, role=Role.UNIT_REVIEWER, unit=unit)
    if not created:
        raise DomainError(f"{staff.professional.name}已是本单位审核员。", code="already_reviewer", field="professional")
    record_event(actor=actor, action="unit_reviewer.appoint", target=membership, ip=ip,
                 after={"unit": unit.pk, "user": user.pk, "professional": staff.professional_id})
    return membership


@transaction.atomic
def unit_reviewer_remove(*, unit: Unit, membership_id: int, actor, ip: str | None = None) -> int:
    """Take the reviewer role away. When the unit has no reviewer left, the claims waiting on it go to the HR
    bureau of its region, which stands in at level 1; returns how many claims it took over."""
    _bureau_over(actor, unit)
    membership = RoleMembership.objects.filter(pk=membership_id, role=Role.UNIT_REVIEWER, unit=unit).first()
    if membership is None:
        raise NotFound("未找到该审核员。")
    before = {"unit": unit.pk, "user": membership.user_id}
    membership.delete()
    taken_over = 0
    if not unit_has_reviewer(unit):
        taken_over = Claim.objects.filter(unit=unit, status=LEVELS[0].waiting_status,
                                          level1_region__isnull=True).update(level1_region_id=unit.region_id)
    record_event(actor=actor, action="unit_reviewer.remove", target=("records.rolemembership", membership_id), ip=ip,
                 before=before, after={"claims_taken_over_by_bureau": taken_over})
    return taken_over


# --- a unit's standard ---------------------------------------------------------------------------------

def standard_snapshot(standard: UnitStandard | None) -> dict | None:
    if standard is None:
        return None
    return {"review_working_days": standard.review_working_days,
            "items": {item.kind: [item.method, str(item.amount)] for item in standard.items.all()}}


@transaction.atomic
def unit_standard_save(*, actor, unit: Unit, review_working_days: int | None, rules: list[StandardRule],
                       now: dt.datetime, ip: str | None = None) -> UnitStandard:
    """The unit's reviewers set its 学时认定标准: its own review time limit and, per activity kind, how hours
    are counted (a kind left out has no rule). Applies to claims submitted from then on; the audit trail
    keeps the standard before and after."""
    if unit.pk not in scope_for(actor).unit_ids:
        raise NotFound("未找到该单位。")
    refuse_problems(unit_standard_problems(review_working_days, rules, dict(ActivityKind.choices)))
    standard = UnitStandard.objects.select_for_update().filter(unit=unit).first()
    before = standard_snapshot(standard)
    if standard is None:
        standard = UnitStandard(unit=unit)
    standard.review_working_days, standard.updated_by, standard.updated_at = review_working_days, actor, now
    standard.save()
    standard.items.all().delete()
    UnitStandardItem.objects.bulk_create(
        UnitStandardItem(standard=standard, kind=rule.kind, method=rule.method, amount=rule.amount) for rule in rules
    )
    record_event(actor=actor, action="unit_standard.save", target=standard, before=before,
                 after=standard_snapshot(standard), ip=ip)
    return standard


# --- notifications ----------------------------------------------------------------------------------------

def notifications_mark_read(*, user, now: dt.datetime, notification_id: int | None = None) -> int:
    """Mark one notice, or all of the user's unread notices, as read; someone else's id changes nothing."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    marked = unread.update(read_at=now)
    notifications_changed([user.pk])
    return marked


def notifications_changed(user_ids) -> None:
    """The unread counts of these users are no longer what the cache says: cleared once the change is
    committed, so no page caches the count from before it."""
    keys = [unread_count_key(user_id) for user_id in set(user_ids)]
    transaction.on_commit(lambda: cache.delete_many(keys))


def create_and_email(notices: list[Notification], *, now: dt.datetime, subject: str) -> int:
    if not notices:
        return 0
    keys = [n.dedupe_key for n in notices]
    before = Notification.objects.filter(dedupe_key__in=keys).count()
    Notification.objects.bulk_create(notices, ignore_conflicts=True, batch_size=1000)
    created = Notification.objects.filter(dedupe_key__in=keys).count() - before
    notifications_changed(n.user_id for n in notices)
    email_notifications(keys=keys, now=now, subject=subject)
    return created


# Mail older than this is not worth sending any more: the notice is in the portal anyway.
MAIL_PENDING_DAYS = 3
MAIL_BATCH = 500
SUBJECTS = {"claim_approved": "【继续教育】学时申报已审核通过", "claim_returned": "【继续教育】学时申报被退回修改",
            "claim_rejected": "【继续教育】学时申报审核不通过", "credit_revoked": "【继续教育】学时已被撤销",
            "review_reminder": "【继续教育】今日学时申报审核待办",
            # The shortfall coach's (audits/coach): here too, so a mail held up goes out under its own subject.
            "shortfall": "【继续教育】您的年度继续教育学时尚未达标",
            "shortfall_unit": "【继续教育】本单位年度继续教育学时未达标人员名单"}


def mail_pending_notifications(*, now: dt.datetime) -> int:
    """Mail the notices written in the last few days that have not gone out (their writer could not mail
    them, or the mail server was down); returns how many were sent. Run every few minutes by beat."""
    pending = (Notification.objects.filter(emailed_at__isnull=True, created_at__gte=now - dt.timedelta(days=MAIL_PENDING_DAYS))
               .exclude(user__email="").order_by("created_at"))
    sent = 0
    for kind, keys in _keys_by_kind(pending.values_list("kind", "dedupe_key")[:MAIL_BATCH]).items():
        sent += email_notifications(keys=keys, now=now, subject=SUBJECTS.get(kind, "【继续教育】站内通知"))
    return sent


def _keys_by_kind(rows) -> dict[str, list[str]]:
    by_kind: dict[str, list[str]] = defaultdict(list)
    for kind, key in rows:
        by_kind[kind].append(key)
    return by_kind


def email_notifications(*, keys: list[str], now: dt.datetime, subject: str) -> int:
    """Mail the notices among `keys` that have not been mailed yet; returns how many were sent.

    The rows are locked with SKIP LOCKED for the length of the sending, so a second worker passes over
    them rather than mailing them again; a mail that fails stays unmarked and goes out on the next run.
    """
    sent = []
    with transaction.atomic():
        pending = (Notification.objects.select_for_update(skip_locked=True, of=("self",))
                   .filter(dedupe_key__in=keys, emailed_at__isnull=True).exclude(user__email="")
                   .select_related("user").order_by("pk"))
        for notice in pending:
            body = notice.text
            if notice.link:
                body += f"\n\n详情：{settings.SITE_URL.rstrip('/')}{notice.link}"
            try:
                send_mail(subject, body, None, [notice.user.email])
            except Exception:  # one bad address or a mail server hiccup must not stop the others
                logger.exception("notification %s: mail to %s failed", notice.pk, notice.user.email)
                continue
            sent.append(notice.pk)
        Notification.objects.filter(pk__in=sent).update(emailed_at=now)
    return len(sent)
