"""The audits app's models, gathered for Django's app loading. Code imports each model from its own
sub-package (audits.calendar, audits.trail, audits.review, audits.monitor, audits.screening), never from here."""
from audits.calendar.models import OfficialCalendarYear, WorkingDayOverride
from audits.monitor.models import OverdueSnapshot
from audits.review.models import EvidenceView, Notification, ReviewDecision, UnitStandard, UnitStandardItem
from audits.screening.models import ScreeningFlag, ScreeningRun
from audits.trail.models import AuditEvent

__all__ = [
    "AuditEvent", "EvidenceView", "Notification", "OfficialCalendarYear", "OverdueSnapshot", "ReviewDecision",
    "ScreeningFlag", "ScreeningRun", "UnitStandard", "UnitStandardItem", "WorkingDayOverride",
]
