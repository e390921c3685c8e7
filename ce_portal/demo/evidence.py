"""The demo's evidence: scanned 结业证书 as a CE base or organiser would issue them, one per claim, naming the
person, the course, its hours and the organiser under a red seal (templates/records/pdf/demo_training_certificate.html).

Each file is uploaded at the moment its claim was filed in the demo story (`claim.submitted_at`), in the
row and in the stored file's modification time alike, so the review page and the files on disk tell the
same story as the claim. A day's certificates are laid out as one document and split into pages
(`render_pdf_pages`): the font subsetting of a write is paid once a day, not once a claim.
"""
import datetime as dt
import hashlib
import os
from dataclasses import dataclass

from django.core.files.base import ContentFile

from ce_portal.formatting import hours_text
from ce_portal.pdf import CJK_FAMILY, render_pdf_pages
from records.hours.models import Claim, EvidenceFile


@dataclass(frozen=True)
class Scan:
    """What one certificate says."""

    name: str
    title: str
    hours: str
    organiser: str
    start: dt.date
    end: dt.date
    number: str


def scan_of(claim: Claim) -> Scan:
    organiser = claim.provider_base.name if claim.provider_base_id else claim.provider_name
    return Scan(name=claim.professional.name, title=claim.title, hours=hours_text(claim.hours),
                organiser=organiser, start=claim.start_date, end=claim.end_date,
                number=claim.external_certificate_no or f"JY{claim.year}{claim.pk:06d}")


def certificate_scans(scans: list[Scan]) -> list[bytes]:
    """One PDF per scan, in order."""
    if not scans:
        return []
    return render_pdf_pages("records/pdf/demo_training_certificate.html", {"scans": scans, "cjk_family": CJK_FAMILY})


def evidence_attach(claim: Claim, content: bytes, *, name: str, uploader_id: int) -> EvidenceFile:
    """`content` as the claim's evidence, uploaded and submitted when the claim was filed."""
    filed_at = claim.submitted_at
    evidence = EvidenceFile.objects.create(
        claim=claim, file=ContentFile(content, name="scan.pdf"), original_name=name, content_type="application/pdf",
        size=len(content), sha256=hashlib.sha256(content).hexdigest(), uploaded_by_id=uploader_id,
        uploaded_at=filed_at, submitted_at=filed_at,
    )
    os.utime(evidence.file.path, (filed_at.timestamp(), filed_at.timestamp()))
    return evidence


def certificates_attach(claims: list[Claim], *, uploader_id: int) -> list[EvidenceFile]:
    """Each claim's own certificate, as its evidence."""
    contents = certificate_scans([scan_of(claim) for claim in claims])
    return [evidence_attach(claim, content, name=f"{claim.professional.name}-结业证书.pdf", uploader_id=uploader_id)
            for claim, content in zip(claims, contents)]
