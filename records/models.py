"""The records app's models, gathered for Django's app loading. Code imports each model from its own
sub-package (records.people, records.hours, records.certificates, records.compliance,
records.announcements, records.plans), never from here.

The storage-name functions are named here too because landed migrations refer to them as
`records.models.<name>`.
"""
from records.announcements.models import Announcement
from records.certificates.models import (
    Certificate, CertificateBundle, certificate_bundle_storage_name, certificate_storage_name,
)
from records.compliance.models import ExportJob, export_storage_name
from records.hours.models import (
    Claim, EvidenceFile, MakeUpExemption, PersonYearTotal, PlatformRecord, RequirementPolicy, StagedEvidence,
    evidence_storage_name,
)
from records.people.models import (
    Account, Employment, IndustryAuthority, Professional, RecordClaim, Region, RoleMembership, TransferRequest, Unit,
)
from records.plans.models import (
    PlanItem, PlanStep, SessionAttendance, SessionEvidence, TrainingPlan, TrainingSession,
)

__all__ = [
    "Account", "Announcement", "Certificate", "CertificateBundle", "Claim", "Employment", "EvidenceFile", "ExportJob",
    "IndustryAuthority", "MakeUpExemption", "PersonYearTotal", "PlanItem", "PlanStep", "PlatformRecord", "Professional",
    "RecordClaim", "Region", "RequirementPolicy", "RoleMembership", "SessionAttendance", "SessionEvidence", "StagedEvidence", "TrainingPlan", "TrainingSession", "TransferRequest",
    "Unit", "certificate_bundle_storage_name", "certificate_storage_name", "evidence_storage_name", "export_storage_name",
]
