"""Reads: scoped querysets that own their joins and ordering."""
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from audits.models import ReviewDecision

from .crediting import credited_hours
from .models import Claim, Employment, EvidenceFile, Professional, Region, RequirementPolicy, Unit
from .rules import Assessment, assess
from .scoping import professionals_in_scope, scope_for, units_in_scope


def current_employment(professional: Professional) -> Employment | None:
    return professional.employments.filter(ended_on__isnull=True).select_related("unit__region").first()


def staff_list(user, *, unit_ids=None, search: str = "") -> QuerySet[Employment]:
    """Current staff of the units the user oversees (optionally narrowed to some of them)."""
    qs = Employment.objects.filter(ended_on__isnull=True, unit__in=units_in_scope(user)).select_related(
        "professional", "unit"
    )
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=unit_ids)
    if search:
        qs = qs.filter(Q(professional__name__contains=search) | Q(professional__id_number__endswith=search))
    return qs.order_by("unit__name", "professional__name", "professional_id")


def unit_list(user, *, region_id=None, search: str = "") -> QuerySet[Unit]:
    # Counted per unit shown, through the current-staff index: a join and GROUP BY over every unit of a county
    # (or the city) made each page, and its paginator's count, aggregate all 20,000+ employments first.
    current_staff = (Employment.objects.filter(unit=OuterRef("pk"), ended_on__isnull=True).order_by()
                     .values("unit").annotate(n=Count("pk")).values("n"))
    qs = units_in_scope(user).select_related("region", "authority").annotate(
        staff_count=Coalesce(Subquery(current_staff, output_field=IntegerField()), 0)
    )
    if region_id:
        qs = qs.filter(region_id=region_id)
    if search:
        qs = qs.filter(Q(name__contains=search) | Q(credit_code=search.upper()))
    return qs.order_by("region__code", "name")


def county_list() -> QuerySet[Region]:
    return Region.objects.filter(level=Region.Level.COUNTY).annotate(unit_count=Count("units")).order_by("code")


def professional_get(user, pk: int) -> Professional:
    from .scoping import get_in_scope_or_404

    return get_in_scope_or_404(professionals_in_scope(user), pk=pk)


# --- a person's hours and claims ---------------------------------------------------------------------------


def employment_on(professional: Professional, day) -> Employment | None:
    """The employment covering `day`: a claim goes to the unit the person works for on the day it is filed."""
    return (
        professional.employments.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=day), started_on__lte=day)
        .select_related("unit__region", "unit__authority").order_by("-started_on").first()
    )


def claim_list_for_person(professional: Professional, *, year: int | None = None) -> QuerySet[Claim]:
    decisions = Prefetch("decisions", queryset=ReviewDecision.objects.order_by("at", "id"), to_attr="decision_list")
    qs = professional.claims.select_related("provider_base", "unit").prefetch_related(decisions)
    if year is not None:
        qs = qs.filter(year=year)
    return qs.order_by("-start_date", "-id")


def claim_get_own(user, pk: int) -> Claim:
    """One of the user's own claims; anybody else's is 404."""
    from .scoping import get_in_scope_or_404

    qs = Claim.objects.filter(professional_id__in=scope_for(user).professional_ids).select_related(
        "professional", "provider_base", "unit", "level2_authority", "level2_region"
    )
    return get_in_scope_or_404(qs, pk=pk)


def evidence_list_for_claim(claim: Claim) -> QuerySet[EvidenceFile]:
    return claim.evidence.order_by("uploaded_at", "id")


def evidence_in_scope(user) -> QuerySet[EvidenceFile]:
    """Evidence the user may open: their own, and once submitted, that of claims they review or oversee.

    Reviewers are those fixed on the claim at submission (unit, level-2 authority or HR bureau), and the
    county HR bureau of the claim's unit; the city sees every submitted file. A later change of the unit's
    reviewers or of the person's employer does not move a submitted claim.
    """
    scope = scope_for(user)
    own = Q(claim__professional_id__in=scope.professional_ids)
    if scope.is_city:
        oversees = Q()
    else:
        oversees = (
            Q(claim__unit_id__in=scope.unit_ids)
            | Q(claim__level2_authority_id__in=scope.authority_ids)
            | Q(claim__level2_region_id__in=scope.region_ids)
            | Q(claim__region_id__in=scope.region_ids)
        )
    return EvidenceFile.objects.filter(own | (oversees & Q(submitted_at__isnull=False))).select_related("claim")


def evidence_get(user, pk: int) -> EvidenceFile:
    from .scoping import get_in_scope_or_404

    return get_in_scope_or_404(evidence_in_scope(user), pk=pk)


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
class YearOverview:
    """One person's year, measured on its own: hours never move between years (rule 2)."""

    year: int
    policy: RequirementPolicy
    public: Decimal
    professional: Decimal
    assessment: Assessment
    platform_records: list
    credited_claims: list
    pending_claims: list
    action_claims: list
    other_claims: list

    @property
    def total(self) -> Decimal:
        return self.public + self.professional

    @property
    def bars(self) -> list[ProgressBar]:
        a, p = self.assessment, self.policy
        return [
            ProgressBar("公需科目", self.public, p.public_hours, a.public_short),
            ProgressBar("专业科目", self.professional, p.professional_hours, a.professional_short),
            ProgressBar("合计", self.total, p.total_hours, a.total_short),
        ]


def year_overview(professional: Professional, year: int) -> YearOverview:
    policy = RequirementPolicy.objects.for_year(year)
    public, prof = credited_hours(professional.pk, year)
    records = list(
        professional.platform_records.filter(year=year, credit_revoked_at__isnull=True)
        .select_related("platform").order_by("-completed_at")
    )
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
        year=year, policy=policy, public=public, professional=prof, assessment=assess(public, prof, policy),
        platform_records=records, credited_claims=groups["credited"], pending_claims=groups["pending"],
        action_claims=groups["action"], other_claims=groups["other"],
    )


def person_years(professional: Professional, *, before: int) -> list[int]:
    """Earlier years in which the person has any hours or claims, newest first."""
    years = set(professional.year_totals.filter(year__lt=before).values_list("year", flat=True))
    years |= set(professional.claims.filter(year__lt=before).values_list("year", flat=True))
    years |= set(professional.platform_records.filter(year__lt=before).values_list("year", flat=True))
    return sorted(years, reverse=True)


NO_HOURS = Decimal("0.0")  # as a kept total shows it, one decimal place


@dataclass(frozen=True)
class YearHours:
    year: int
    public: Decimal
    professional: Decimal
    assessment: Assessment

    @property
    def total(self) -> Decimal:
        return self.public + self.professional


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
        rows.append(YearHours(year, public, prof, assess(public, prof, policy)))
    return rows
