"""Writes on a person's hand-filed claims and their evidence (DESIGN.md §2 rules 2–5 and 8).

One function per action, keyword-only and atomic; every refusal is a DomainError with a Chinese message
and a stable code, raised before anything is written. Status moves are asked of `audits.workflow`, the
one table of allowed moves. The clock is read by the caller and passed in as `now`.
"""
import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from audits.models import EvidenceView
from audits.workflow import Action, Actor, Status, transition
from audits.trail import record_event
from audits.workdays import review_due
from ce_portal.errors import DomainError, NotFound

from .claim_rules import (
    SNIFF_BYTES, Problem, activity_date_problems, evidence_content_type, evidence_count_problem, evidence_problems,
    filing_year_problem, hours_problems, provider_problems,
)
from .models import Claim, EvidenceFile, MakeUpExemption, Professional, RequirementPolicy
from .scoping import scope_for
from .selectors import employment_on

# The claimant may change content and evidence while the claim is in their hands: before submission, or
# returned to them for correction.
EDITABLE_STATUSES = frozenset({Status.DRAFT, Status.RETURNED})


@dataclass(frozen=True)
class ClaimInput:
    """What the person fills in; the year is not among it: it is the activity's year, always."""

    kind: str
    category: str
    title: str
    content: str
    provider_base: object | None  # platforms.TrainingBase
    provider_name: str
    start_date: dt.date
    end_date: dt.date
    hours: Decimal
    result: str
    external_certificate_no: str

    @classmethod
    def from_claim(cls, claim: Claim) -> "ClaimInput":
        return cls(**{name: getattr(claim, name) for name in cls.__dataclass_fields__})


def claim_input_problems(*, professional: Professional, data: ClaimInput, now: dt.datetime) -> list[Problem]:
    """Every problem with the input, the filing-year rule included (it needs the policy and any exemption)."""
    return [
        *provider_problems(data.provider_base and data.provider_base.pk, data.provider_name),
        *activity_problems(professional=professional, start_date=data.start_date, end_date=data.end_date,
                           hours=data.hours, now=now),
    ]


def activity_problems(*, professional: Professional, start_date: dt.date, end_date: dt.date, hours: Decimal,
                      now: dt.datetime) -> list[Problem]:
    """The activity's dates and hours, and whether its year is still open to this person at `now`."""
    dates = activity_date_problems(start_date, end_date, timezone.localdate(now))
    problems = [*dates, *hours_problems(hours, start_date, end_date)]
    if not dates:
        year = start_date.year
        exemption = (
            MakeUpExemption.objects.filter(professional=professional, year=year, revoked_at__isnull=True)
            .order_by("-expires_at").first()
        )
        year_problem = filing_year_problem(year, now, exemption, filing_close=_filing_close(year))
        if year_problem:
            problems.append(year_problem)
    return problems


def _filing_close(year: int) -> dt.datetime | None:
    try:
        return RequirementPolicy.objects.for_year(year).filing_close
    except RequirementPolicy.DoesNotExist:  # a year before any policy: the notice's default close applies
        return None


def _refuse(problems: list[Problem]) -> None:
    if problems:
        first = problems[0]
        raise DomainError(first.message, code=first.code, field=first.field)


def _own_claim_for_update(actor, claim_id: int) -> Claim:
    claim = (
        # Lock the claim row only: it serialises every change to the claim and its evidence.
        Claim.objects.select_for_update(of=("self",))
        .filter(pk=claim_id, professional_id__in=scope_for(actor).professional_ids)
        .select_related("professional")
        .first()
    )
    if claim is None:
        raise NotFound("未找到该申报。")
    return claim


def _require_editable(claim: Claim) -> None:
    if claim.status not in EDITABLE_STATUSES:
        raise DomainError(
            f"该申报当前状态为“{claim.get_status_display()}”，不能修改内容或佐证材料。", code="claim_not_editable"
        )


def _snapshot(claim: Claim) -> dict:
    return {
        "status": claim.status, "version": claim.version, "year": claim.year, "category": claim.category,
        "hours": str(claim.hours), "unit": claim.unit_id, "level1_due_on": claim.level1_due_on,
    }


@transaction.atomic
def claim_save_draft(*, actor, professional: Professional, data: ClaimInput, now: dt.datetime,
                     claim_id: int | None = None) -> Claim:
    """Create a draft, or change the content of one's draft or returned claim."""
    if professional.pk not in scope_for(actor).professional_ids:
        raise NotFound("未找到该人员。")
    if claim_id is None:
        claim = Claim(professional=professional)
    else:
        claim = _own_claim_for_update(actor, claim_id)
        _require_editable(claim)
    _refuse(claim_input_problems(professional=professional, data=data, now=now))
    for name, value in data.__dict__.items():
        setattr(claim, name, value)
    claim.year = data.start_date.year
    claim.save()
    return claim


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


def _sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def upload_head(upload: UploadedFile) -> bytes:
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    return head


@transaction.atomic
def evidence_add(*, actor, claim_id: int, upload: UploadedFile, now: dt.datetime,
                 supersedes_id: int | None = None) -> EvidenceFile:
    """Attach a file; with `supersedes_id`, as the corrected version of a file, which is kept but taken out."""
    claim = _own_claim_for_update(actor, claim_id)
    _require_editable(claim)
    head = upload_head(upload)
    _refuse(evidence_problems(upload.name, head, upload.size))
    current = claim.evidence.filter(removed_at__isnull=True)
    superseded = None
    if supersedes_id is not None:
        superseded = current.filter(pk=supersedes_id).first()
        if superseded is None:
            raise NotFound("未找到要更正的佐证材料。")
    else:
        count_problem = evidence_count_problem(current.count(), 1)
        _refuse([count_problem] if count_problem else [])
    evidence = EvidenceFile(
        claim=claim, original_name=upload.name[-200:], content_type=evidence_content_type(head), size=upload.size,
        sha256=_sha256(upload), uploaded_by=actor, uploaded_at=now,
    )
    evidence.file.save(upload.name, upload, save=False)
    evidence.save()
    if superseded is not None:
        superseded.removed_at = now
        superseded.save(update_fields=["removed_at"])
    return evidence


@transaction.atomic
def evidence_remove(*, actor, evidence_id: int, now: dt.datetime) -> EvidenceFile:
    """Take a not-yet-submitted file out of a claim. The row and the file are kept (removed_at)."""
    claim_id = EvidenceFile.objects.filter(pk=evidence_id).values_list("claim_id", flat=True).first()
    if claim_id is None:
        raise NotFound("未找到该佐证材料。")
    claim = _own_claim_for_update(actor, claim_id)
    evidence = claim.evidence.get(pk=evidence_id)
    if evidence.removed_at is not None:
        raise DomainError("该佐证材料已经移除。", code="evidence_already_removed")
    if evidence.submitted_at is not None:
        raise DomainError(
            "该材料已随申报提交，成为审核记录的一部分，不能删除或替换；如需更正，请上传更正版本。",
            code="evidence_frozen",
        )
    _require_editable(claim)
    evidence.removed_at = now
    evidence.save(update_fields=["removed_at"])
    return evidence


def discard_stored_files(names: list[str]) -> None:
    """Delete files written by evidence_add in a transaction that then rolled back (no row points at them)."""
    for name in names:
        default_storage.delete(name)


@transaction.atomic
def evidence_opened(*, user, evidence: EvidenceFile, now: dt.datetime, ip: str | None = None) -> EvidenceView | None:
    """Log that someone other than the claimant opened a file: batch approval may only pass viewed claims,
    and the audit trail shows who looked at whose papers."""
    if evidence.claim.professional_id in scope_for(user).professional_ids:
        return None
    view = EvidenceView.objects.create(reviewer=user, evidence=evidence, at=now)
    record_event(actor=user, action="evidence.view", target=evidence, after={"claim": evidence.claim_id}, ip=ip, at=now)
    return view
