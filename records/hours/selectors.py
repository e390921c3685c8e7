"""Reads on a person's hours: the credited totals, a year's overview (progress against the policy, credited,
pending and returned claims), their claims and the earlier years.
"""
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from ce_portal.clock import business_today
from ce_portal.partitions import year_detached
from records.hours.models import (
    Claim, EvidenceFile, PersonYearTotal, PlatformRecord, RequirementPolicy, StagedEvidence,
)
from records.hours.rules import (
    ZERO, ClaimStatus, YearCloses, YearHours, pushed_late, year_end_notice_shown, year_hours,
)
from records.people.access import scope_for
from records.people.models import Professional


def credited_hours(professional_id: int, year: int) -> tuple[Decimal, Decimal]:
    """(public, professional) credited in the year, from the kept totals."""
    total = PersonYearTotal.objects.filter(professional_id=professional_id, year=year).first()
    return (total.public_hours, total.professional_hours) if total else (ZERO, ZERO)


def claim_list_for_person(professional: Professional, *, year: int | None = None) -> QuerySet[Claim]:
    # The decisions come in their own order (by time), which the year page reads the last reason from.
    qs = professional.claims.select_related("provider_base", "unit").prefetch_related("decisions")
    if year is not None:
        qs = qs.filter(year=year)
    return qs.order_by("-start_date", "-id")


def claim_get_own(user, pk: int) -> Claim:
    """One of the user's own claims; anybody else's is 404."""
    from records.people.access import get_in_scope_or_404

    qs = Claim.objects.filter(professional_id__in=scope_for(user).professional_ids).select_related(
        "professional", "provider_base", "unit", "level2_authority", "level2_region"
    )
    return get_in_scope_or_404(qs, pk=pk)


def staged_evidence_list(professional: Professional, ids: list[str]) -> list[StagedEvidence]:
    """The person's kept files among `ids` (a form's hidden values: anything else is ignored)."""
    wanted = [int(i) for i in ids if i.isdigit()]
    return list(StagedEvidence.objects.filter(professional=professional, pk__in=wanted).order_by("uploaded_at", "pk"))


def evidence_list_for_claim(claim: Claim) -> QuerySet[EvidenceFile]:
    return claim.evidence.order_by("uploaded_at", "id")


@dataclass(frozen=True)
class ProgressBar:
    label: str
    have: Decimal
    need: Decimal
    short: Decimal

    @property
    def percent(self) -> int:
        return 100 if self.need <= 0 else min(100, int(self.have * 100 / self.need))


@dataclass(frozen=True)
class CreditedEntry:
    """One line of what counts in a year, whichever way it came: a platform's record or an approved claim."""

    on: dt.date
    claim: Claim | None
    record: PlatformRecord | None

    @property
    def title(self) -> str:
        return self.claim.title if self.claim else self.record.course_title

    @property
    def category_label(self) -> str:
        return (self.claim or self.record).get_category_display()

    @property
    def hours(self) -> Decimal:
        return (self.claim or self.record).hours


@dataclass(frozen=True)
class YearOverview:
    """One person's year, measured on its own: hours never move between years (rule 2)."""

    policy: RequirementPolicy
    hours: YearHours
    platform_records: list
    # The year's platform records were detached to the archive (docs/scaling.md): the totals still count them.
    platform_records_archived: bool
    credited_claims: list
    pending_claims: list
    action_claims: list
    other_claims: list

    @property
    def year(self) -> int:
        return self.hours.year

    @property
    def credited(self) -> list[CreditedEntry]:
        """Platform records and approved claims in one list, newest first: a person asks what they learned
        when, not through which channel it reached the portal."""
        entries = [CreditedEntry(timezone.localdate(r.completed_at), None, r) for r in self.platform_records]
        entries += [CreditedEntry(c.start_date, c, None) for c in self.credited_claims]
        return sorted(entries, key=lambda entry: entry.on, reverse=True)

    @property
    def bars(self) -> list[ProgressBar]:
        h, a, p = self.hours, self.hours.assessment, self.policy
        return [
            ProgressBar("公需科目", h.public, p.public_hours, a.public_short),
            ProgressBar("专业科目", h.professional, p.professional_hours, a.professional_short),
            ProgressBar("合计", h.total, p.total_hours, a.total_short),
        ]


def year_overview(professional: Professional, year: int) -> YearOverview:
    policy = RequirementPolicy.objects.for_year(year)
    public, prof = credited_hours(professional.pk, year)
    records = list(
        professional.platform_records.filter(year=year, credit_revoked_at__isnull=True)
        .select_related("platform").order_by("-completed_at")
    )
    platform_close = policy.closes().platform_records
    for record in records:
        record.pushed_late = pushed_late(record.received_at, platform_close)
    groups: dict[str, list] = {"credited": [], "pending": [], "action": [], "other": []}
    for claim in claim_list_for_person(professional, year=year):
        if claim.is_credited:
            groups["credited"].append(claim)
        elif claim.is_pending_review:
            groups["pending"].append(claim)
        elif claim.status in (Claim.Status.DRAFT, Claim.Status.RETURNED):
            groups["action"].append(claim)
        else:
            groups["other"].append(claim)
    return YearOverview(
        policy=policy, hours=year_hours(year, public, prof, policy), platform_records=records,
        platform_records_archived=not records and year_detached(PlatformRecord._meta.db_table, year,
                                                                today=business_today()),
        credited_claims=groups["credited"], pending_claims=groups["pending"], action_claims=groups["action"],
        other_claims=groups["other"],
    )


def person_years(professional: Professional, *, before: int) -> list[int]:
    """Earlier years in which the person has any hours or claims, newest first."""
    years = set(professional.year_totals.filter(year__lt=before).values_list("year", flat=True))
    years |= set(professional.claims.filter(year__lt=before).values_list("year", flat=True))
    years |= set(professional.platform_records.filter(year__lt=before).values_list("year", flat=True))
    return sorted(years, reverse=True)


NO_HOURS = Decimal("0.0")  # as a kept total shows it, one decimal place


def recent_year_hours(professional: Professional, *, current_year: int, years: int) -> list[YearHours]:
    """Credited hours and the verdict of each of the person's last `years` years, newest first; it stops at
    the first year without a requirement policy (before the notice)."""
    totals = {
        total.year: total for total in
        professional.year_totals.filter(year__gt=current_year - years, year__lte=current_year)
    }
    rows = []
    for year in range(current_year, current_year - years, -1):
        try:
            policy = RequirementPolicy.objects.for_year(year)
        except RequirementPolicy.DoesNotExist:
            break
        total = totals.get(year)
        public, prof = (total.public_hours, total.professional_hours) if total else (NO_HOURS, NO_HOURS)
        rows.append(year_hours(year, public, prof, policy))
    return rows


# --- a unit's CE register (继续教育登记, rule 8) ------------------------------------------------------------

@dataclass(frozen=True)
class RegisterFilters:
    professional_id: int | None = None
    year: int | None = None
    kind: str = ""
    status: str = ""


def _current_evidence() -> Prefetch:
    current = EvidenceFile.objects.filter(removed_at__isnull=True).order_by("uploaded_at", "pk")
    return Prefetch("evidence", queryset=current, to_attr="current_evidence")


def unit_register(unit_id: int, filters: RegisterFilters = RegisterFilters()) -> QuerySet[Claim]:
    """Every activity the unit's staff filed through the unit (a claim submitted from it at least once; a draft
    is still the person's own business), newest activity first, with its current evidence."""
    qs = Claim.objects.filter(unit_id=unit_id).exclude(status=ClaimStatus.DRAFT)
    if filters.professional_id is not None:
        qs = qs.filter(professional_id=filters.professional_id)
    if filters.year is not None:
        qs = qs.filter(year=filters.year)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return (qs.select_related("professional", "provider_base").prefetch_related(_current_evidence())
            .order_by("-start_date", "-pk"))


def unit_register_choices(unit_id: int) -> tuple[list[tuple[int, str]], list[int]]:
    """The people and the years the unit's register holds, for its filters."""
    claims = Claim.objects.filter(unit_id=unit_id).exclude(status=ClaimStatus.DRAFT)
    people = list(claims.order_by("professional__name", "professional_id")
                  .values_list("professional_id", "professional__name").distinct())
    years = list(claims.order_by("-year").values_list("year", flat=True).distinct())
    return people, years


def evidence_summary(claim: Claim) -> str:
    """The claim's current files as the register shows and exports them: name and SHA-256 each."""
    return "；".join(f"{e.original_name}（SHA-256 {e.sha256}）" for e in claim.current_evidence)


@dataclass(frozen=True)
class PersonHistory:
    """A person's whole record: every year's credited hours and verdict, every claim filed (any unit) and
    every platform record."""

    years: list[YearHours]
    claims: QuerySet[Claim]
    platform_records: QuerySet[PlatformRecord]


def person_history(professional: Professional, *, current_year: int) -> PersonHistory:
    claims = (professional.claims.exclude(status=ClaimStatus.DRAFT).select_related("unit", "provider_base")
              .prefetch_related(_current_evidence()).order_by("-year", "-start_date", "-pk"))
    records = professional.platform_records.select_related("platform").order_by("-completed_at", "-pk")
    first = min([current_year, *person_years(professional, before=current_year)])
    return PersonHistory(
        years=recent_year_hours(professional, current_year=current_year, years=current_year - first + 1),
        claims=claims, platform_records=records,
    )


def year_end_notice(today: dt.date) -> YearCloses | None:
    """This year's closes when the pages are to show them (`year_end_notice_shown`), else None."""
    closes = RequirementPolicy.objects.closes_for(today.year)
    return closes if year_end_notice_shown(today, closes) else None
