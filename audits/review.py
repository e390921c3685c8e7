"""Review decisions: one claim at a time or many at once, each under a row lock, each audited.

Who may decide is `selectors.level_q`; what may happen is `workflow.transition`; this module writes the
outcome (decision row, deadlines, crediting, audit event). Two reviewers deciding the same claim at once:
the second waits for the first's row lock, then sees the new status and gets `already_decided`.
"""
import datetime as dt
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from ce_portal.errors import DomainError, NotFound
from records.crediting import add_to_year_totals, year_deltas
from records.models import Claim, EvidenceFile
from records.scoping import scope_for

from . import workflow
from .models import EvidenceView, ReviewDecision, ScreeningFlag
from .selectors import (
    BATCH_OBJECT_TYPE, LEVEL_ACTORS, acting_level, blocking_flags, levels_of, review_level_annotations,
)
from .trail import record_event
from .workdays import review_due
from .workflow import Action, Status

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

    DESIGN.md §2 rule 6: only claims whose every current evidence file this same reviewer has opened; and
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

