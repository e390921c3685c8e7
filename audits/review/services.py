import datetime as dt
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Case, Count, DateField, Exists, F, OuterRef, Q, When
from django.urls import reverse
from django.utils import timezone

from audits.calendar.selectors import add_working_days, review_due
from audits.review import rules as workflow
from audits.review.models import EvidenceView, Notification, ReviewDecision
from audits.review.rules import Action, Actor, Status, transition
from audits.review.selectors import (
    BATCH_OBJECT_TYPE,
    LEVEL_ACTORS,
    acting_level,
    blocking_flags,
    levels_of,
    review_level_annotations,
)
from audits.screening.models import ScreeningFlag
from audits.trail.services import record_event
from ce_portal.errors import DomainError, NotFound
from records.hours.models import Claim, EvidenceFile
from records.hours.services import (
    ClaimInput,
    _own_claim_for_update,
    _refuse,
    add_to_year_totals,
    claim_input_problems,
    year_deltas,
)
from records.people.access import scope_for
from records.people.models import Role, RoleMembership
from records.people.selectors import employment_on

NOT_FOUND = "未找到该申报。"


MAX_BATCH = 200


_BATCH_LABELS = {Action.APPROVE: "批量审核通过", Action.REJECT: "批量审核不通过", Action.RETURN: "批量退回修改"}


def _snapshot(claim: Claim) -> dict:
    return {
        "status": claim.status, "version": claim.version, "unit_approved_on": claim.unit_approved_on,
        "level2_due_on": claim.level2_due_on, "decided_at": claim.decided_at, "overdue_since": claim.overdue_since,
    }


def approval_refusal(claim: Claim, reviewer) -> DomainError | None:
    """Why `reviewer` may not approve `claim` now, or None. The one place every approval is checked against.

    Rule 6 in docs/rules.md: only claims whose every current evidence file this same reviewer has opened; and
    rule 9: none while a screening flag on it is open or once one is confirmed (unknown providers aside).
    """
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
    if action not in workflow.REVIEW_ACTIONS:
        raise DomainError("请选择审核操作：审核通过、审核不通过或退回修改。", code="invalid_action", field="action")
    return Action(action)


@transaction.atomic
def review_decide(*, claim_id: int, reviewer, action: str, reason: str = "", now: dt.datetime,
                  ip: str | None = None, batch_id: uuid.UUID | None = None,
                  expected_version: int | None = None) -> ReviewDecision:
    """Approve, reject or return one claim at the reviewer's level.

    `expected_version` is the version the reviewer's page showed: a claim changed since (decided by someone
    else, or returned and resubmitted) is refused as already decided rather than decided unseen.
    """
    action = _review_action(action)
    claim = (
        Claim.objects.select_for_update()
        .filter(pk=claim_id)
        .exclude(status=Status.DRAFT)
        .annotate(**review_level_annotations(scope_for(reviewer)))
        .first()
    )
    if claim is None or not levels_of(claim):
        raise NotFound(NOT_FOUND)
    if expected_version is not None and claim.version != expected_version:
        raise DomainError(
            f"该申报已有新的处理（当前状态：{claim.get_status_display()}），请刷新页面后再审核。", code="already_decided"
        )
    level = acting_level(claim)
    reason = reason.strip()
    new_status = workflow.transition(claim.status, action, LEVEL_ACTORS[level], reason=reason)
    if action == Action.APPROVE:
        refusal = approval_refusal(claim, reviewer)
        if refusal is not None:
            raise refusal

    today = timezone.localdate(now)
    due_on = claim.level1_due_on if level == 1 else claim.level2_due_on
    before = _snapshot(claim)
    claim.status = new_status
    claim.overdue_since = None  # the claim leaves this level; lateness at the next one is counted afresh
    if new_status == Status.UNIT_APPROVED:
        claim.unit_approved_on = today
        due = review_due(today)
        claim.level2_due_on, claim.level2_due_provisional = due.on, due.provisional
    elif new_status in (Status.APPROVED, Status.REJECTED):
        claim.decided_at = now
    if new_status == Status.APPROVED:
        add_to_year_totals(year_deltas([(claim.professional_id, claim.year, claim.category, claim.hours)]))
    claim.version += 1
    claim.save(update_fields=[
        "status", "overdue_since", "unit_approved_on", "level2_due_on", "level2_due_provisional", "decided_at",
        "version", "updated_at",
    ])
    decision = ReviewDecision.objects.create(
        claim=claim, level=level, action=action, reason=reason, reviewer=reviewer, at=now,
        on_time=due_on is None or today <= due_on, batch_id=batch_id,
    )
    record_event(
        actor=reviewer, action=f"claim.{action}", target=claim, before=before, ip=ip,
        after={**_snapshot(claim), "level": level, "reason": reason, "on_time": decision.on_time,
               "batch_id": batch_id},
    )
    return decision


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
                 ip: str | None = None) -> BatchResult:
    """Decide many claims in one action; each claim is decided or refused on its own, with its reason.

    Approval passes only claims whose evidence this reviewer has opened (`approval_refusal`); the others
    are refused and reported. Reject and return without a reason refuse the whole batch.
    """
    action = _review_action(action)
    reason = reason.strip()
    if action in workflow.REASON_REQUIRED and not reason:
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
                          batch_id=batch_id)
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


def _send_for_review(claim: Claim, *, actor, action: Action, now: dt.datetime, ip: str | None) -> Claim:
    """Submission and resubmission alike: re-check, route to the unit of the day, start the 5-day clock."""
    new_status = transition(claim.status, action, Actor.PROFESSIONAL)
    _refuse(claim_input_problems(professional=claim.professional, data=ClaimInput.from_claim(claim), now=now))
    evidence = list(claim.evidence.filter(removed_at__isnull=True).order_by("pk"))
    if not evidence:
        raise DomainError("请至少上传一份佐证材料（证书、考勤记录、照片或课件）后再提交。", code="evidence_missing",
                          field="evidence")
    today = timezone.localdate(now)
    employment = employment_on(claim.professional, today)
    if employment is None:
        raise DomainError(
            "系统中没有您今天的在职单位记录，无法确定审核单位，请联系用人单位核实任职信息。", code="no_employer"
        )
    before = _snapshot(claim)
    unit = employment.unit
    due = review_due(today)
    claim.status = new_status
    claim.unit, claim.region = unit, unit.region
    # Level 2 is the unit's industry authority; a unit without one is reviewed by its county HR bureau.
    claim.level2_authority = unit.authority
    claim.level2_region = None if unit.authority_id else unit.region
    claim.filed_on, claim.submitted_at = today, now
    claim.level1_due_on, claim.level1_due_provisional = due.on, due.provisional
    # A resubmission starts review afresh: nothing of the earlier round's level-2 clock or lateness remains.
    claim.unit_approved_on = claim.level2_due_on = claim.overdue_since = None
    claim.level2_due_provisional = False
    claim.version += 1
    claim.save()
    EvidenceFile.objects.filter(pk__in=[e.pk for e in evidence], submitted_at__isnull=True).update(submitted_at=now)
    record_event(
        actor=actor, action=f"claim.{action}", target=claim, before=before, ip=ip,
        after={**_snapshot(claim), "evidence": [{"id": e.pk, "sha256": e.sha256} for e in evidence]},
    )
    return claim


@transaction.atomic
def claim_submit(*, actor, claim_id: int, now: dt.datetime, ip: str | None = None) -> Claim:
    return _send_for_review(_own_claim_for_update(actor, claim_id), actor=actor, action=Action.SUBMIT, now=now, ip=ip)


@transaction.atomic
def claim_resubmit(*, actor, claim_id: int, now: dt.datetime, ip: str | None = None) -> Claim:
    return _send_for_review(
        _own_claim_for_update(actor, claim_id), actor=actor, action=Action.RESUBMIT, now=now, ip=ip
    )


@transaction.atomic
def claim_withdraw(*, actor, claim_id: int, now: dt.datetime, ip: str | None = None) -> Claim:
    claim = _own_claim_for_update(actor, claim_id)
    new_status = transition(claim.status, Action.WITHDRAW, Actor.PROFESSIONAL)
    before = _snapshot(claim)
    claim.status = new_status
    claim.version += 1
    claim.save(update_fields=["status", "version", "updated_at"])
    record_event(actor=actor, action="claim.withdraw", target=claim, before=before, after=_snapshot(claim), ip=ip)
    return claim


@transaction.atomic
def evidence_opened(*, user, evidence: EvidenceFile, now: dt.datetime, ip: str | None = None) -> EvidenceView | None:
    """Log that someone other than the claimant opened a file: batch approval may only pass viewed claims,
    and the audit trail shows who looked at whose papers."""
    if evidence.claim.professional_id in scope_for(user).professional_ids:
        return None
    view = EvidenceView.objects.create(reviewer=user, evidence=evidence, at=now)
    record_event(actor=user, action="evidence.view", target=evidence, after={"claim": evidence.claim_id}, ip=ip, at=now)
    return view


logger = logging.getLogger(__name__)


SUBMITTED, UNIT_APPROVED = Claim.Status.SUBMITTED, Claim.Status.UNIT_APPROVED
PENDING = (SUBMITTED, UNIT_APPROVED)


# The due date of the level a pending claim waits on.
CURRENT_DUE = Case(
    When(status=SUBMITTED, then=F("level1_due_on")), When(status=UNIT_APPROVED, then=F("level2_due_on")),
    output_field=DateField(),
)


def overdue_q(today: dt.date, prefix: str = "") -> Q:
    """Claims waiting for a decision whose current level's due date has passed (a decision on the due
    date itself is on time). Each branch is a range on one of the (status, due date) indexes."""
    return (Q(**{f"{prefix}status": SUBMITTED, f"{prefix}level1_due_on__lt": today})
            | Q(**{f"{prefix}status": UNIT_APPROVED, f"{prefix}level2_due_on__lt": today}))


@dataclass(frozen=True)
class Marked:
    level1: int
    level2: int

    @property
    def total(self) -> int:
        return self.level1 + self.level2


def mark_overdue(*, today: dt.date, now: dt.datetime) -> Marked:
    """Flag every claim that is overdue and not flagged yet, however long the timers were down.

    One UPDATE per level through its (status, due date) index. Two runs at once are safe: PostgreSQL
    re-checks `overdue_since IS NULL` on a row the other run just flagged, and skips it.
    """
    level1 = Claim.objects.filter(
        status=SUBMITTED, level1_due_on__lt=today, overdue_since__isnull=True
    ).update(overdue_since=now)
    level2 = Claim.objects.filter(
        status=UNIT_APPROVED, level2_due_on__lt=today, overdue_since__isnull=True
    ).update(overdue_since=now)
    marked = Marked(level1, level2)
    if marked.total:
        record_event(actor=None, action="claim.mark_overdue", target=("task", "mark_overdue"), at=now,
                     after={"today": today, "level1": level1, "level2": level2})
    return marked


def _reviewers_by_scope() -> dict:
    """Look-up of reviewer user ids: ("unit", id), ("authority", id), ("region", id) → [user ids]."""
    reviewers = defaultdict(list)
    rows = RoleMembership.objects.filter(
        role__in=[Role.UNIT_REVIEWER, Role.AUTHORITY_REVIEWER, Role.COUNTY_HR, Role.CITY_HR], user__is_active=True
    ).values_list("role", "unit_id", "authority_id", "region_id", "user_id")
    for role, unit_id, authority_id, region_id, user_id in rows:
        if role == Role.UNIT_REVIEWER:
            reviewers["unit", unit_id].append(user_id)
        elif role == Role.AUTHORITY_REVIEWER:
            reviewers["authority", authority_id].append(user_id)
        else:
            # The HR bureau of a region reviews level 2 of its units without an authority (the city's
            # bureau for units registered at city level) and receives that region's digest.
            reviewers["region", region_id].append(user_id)
    return reviewers


def _level2_scope(authority_id, region_id) -> tuple[str, int]:
    return ("authority", authority_id) if authority_id else ("region", region_id)


def send_due_reminders(*, today: dt.date, now: dt.datetime) -> int:
    """One working day before a due date, tell each responsible reviewer how many claims fall due.

    Claims due from today up to the next working day are covered, so a run missed yesterday is made up
    today (a reminder on the due date itself is still worth sending). One notice per reviewer and due
    date; its key makes any later run a no-op. Returns how many notices were new.
    """
    horizon = add_working_days(today, 1)
    counts = defaultdict(lambda: [0, 0])  # (user id, due date) → [level 1, level 2]
    reviewers = _reviewers_by_scope()
    level1 = (Claim.objects.filter(status=SUBMITTED, level1_due_on__range=(today, horizon))
              .values_list("unit_id", "level1_due_on").annotate(n=Count("id")).order_by())
    for unit_id, due_on, n in level1:
        for user_id in reviewers["unit", unit_id]:
            counts[user_id, due_on][0] += n
    level2 = (Claim.objects.filter(status=UNIT_APPROVED, level2_due_on__range=(today, horizon))
              .values_list("level2_authority_id", "level2_region_id", "level2_due_on").annotate(n=Count("id"))
              .order_by())
    for authority_id, region_id, due_on, n in level2:
        for user_id in reviewers[_level2_scope(authority_id, region_id)]:
            counts[user_id, due_on][1] += n

    link = reverse("review:queue")
    notices = [
        Notification(
            user_id=user_id, kind="review_reminder", link=link, created_at=now,
            dedupe_key=f"remind:{user_id}:{due_on.isoformat()}",
            text=_reminder_text(due_on=due_on, today=today, level1=l1, level2=l2),
        )
        for (user_id, due_on), (l1, l2) in sorted(counts.items())
    ]
    return _create_and_email(notices, now=now, subject="【继续教育】学时申报审核即将到期提醒")


def _reminder_text(*, due_on: dt.date, today: dt.date, level1: int, level2: int) -> str:
    when = "今天" if due_on == today else f"{due_on.month}月{due_on.day}日"
    parts = [f"单位审核 {level1} 条" if level1 else "", f"二级审核 {level2} 条" if level2 else ""]
    return (f"您负责审核的 {level1 + level2} 条学时申报将于{when}（{due_on:%Y-%m-%d}）审核期满"
            f"（{'、'.join(p for p in parts if p)}），请在期限内完成审核。")


def _create_and_email(notices: list[Notification], *, now: dt.datetime, subject: str) -> int:
    if not notices:
        return 0
    keys = [n.dedupe_key for n in notices]
    before = Notification.objects.filter(dedupe_key__in=keys).count()
    Notification.objects.bulk_create(notices, ignore_conflicts=True, batch_size=1000)
    created = Notification.objects.filter(dedupe_key__in=keys).count() - before
    email_notifications(keys=keys, now=now, subject=subject)
    return created


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
