"""Claims in review, as the intake services leave them, and the reviewers' openings of their evidence."""
import datetime as dt

from audits.review.services import evidence_opened
from tests.factories import SHANGHAI, ClaimFactory, EvidenceFileFactory

NOW = dt.datetime(2025, 9, 30, 10, 0, tzinfo=SHANGHAI)


def claim_with_evidence(professional, *, files: int = 1, **fields):
    claim = ClaimFactory(professional=professional, **fields)
    for _ in range(files):
        EvidenceFileFactory(claim=claim)
    return claim


def at_level_2(professional, **fields):
    """A claim its unit approved on 2025-09-29 (level 2 due 2025-10-13)."""
    fields = {"status": "unit_approved", "review_started_on": dt.date(2025, 9, 29),
              "due_on": dt.date(2025, 10, 13), **fields}
    return claim_with_evidence(professional, **fields)


def open_all(reviewer, claim, now=NOW):
    """What the evidence view (records:evidence_download) logs when a reviewer opens each current file."""
    for evidence in claim.evidence.filter(removed_at__isnull=True):
        evidence_opened(user=reviewer, evidence=evidence, now=now)
