"""Reads on training plans, each filtered by the reader's scope (records/people/access.py): the filer sees its
own versions, the receiving authority or HR bureau what was sent to it, a county bureau what its units
submitted, the city everything submitted. Drafts never leave their filer.
"""
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404

from records.hours.models import ActivityKind, Claim, ClaimStatus
from records.people.access import get_in_scope_or_404, scope_for, units_in_scope
from records.people.models import Professional
from records.plans.models import PlanItem, SessionAttendance, TrainingPlan, TrainingSession
from records.plans.rules import PlanState


def _scope_q(user) -> Q:
    scope = scope_for(user)
    q = Q(unit_id__in=scope.unit_ids) | Q(filer_authority_id__in=scope.authority_ids)
    sent = Q(submitted_at__isnull=False)
    if scope.is_city:
        return q | sent
    q |= sent & (Q(review_authority_id__in=scope.authority_ids) | Q(bureau_id__in=scope.hr_region_ids)
                 | Q(unit__region_id__in=scope.region_ids))
    return q


def plan_list(user) -> QuerySet[TrainingPlan]:
    return (TrainingPlan.objects.filter(_scope_q(user))
            .select_related("unit", "filer_authority", "review_authority", "bureau")
            .annotate(item_count=Count("items")).order_by("-year", "-version", "-id"))


def plan_get(user, pk: int) -> TrainingPlan:
    return get_in_scope_or_404(plan_list(user), pk=pk)


def own_plans(user) -> QuerySet[TrainingPlan]:
    """The plans the user drafts and submits: their units' and their authorities' own."""
    scope = scope_for(user)
    return plan_list(user).filter(Q(unit_id__in=scope.unit_ids) | Q(filer_authority_id__in=scope.authority_ids))


def plans_to_review(user) -> QuerySet[TrainingPlan]:
    """Submitted plans waiting on the user: an authority approves its units', an HR bureau files the rest."""
    scope = scope_for(user)
    return (plan_list(user).filter(state=PlanState.SUBMITTED)
            .filter(Q(review_authority_id__in=scope.authority_ids)
                    | Q(review_authority__isnull=True, bureau_id__in=scope.hr_region_ids))
            .order_by("due_on", "id"))


def plan_filings(user, year: int) -> QuerySet[TrainingPlan]:
    """Plans filed with the user's HR bureau, and those of its county's units filed with the city through a
    city-level authority (every plan, for the city); the versions superseded too."""
    scope = scope_for(user)
    filed = plan_list(user).filter(year=year, filed_at__isnull=False)
    if not scope.is_city:
        filed = filed.filter(Q(bureau_id__in=scope.hr_region_ids) | Q(unit__region_id__in=scope.region_ids))
    return filed.order_by("bureau__code", "unit__name", "filer_authority__name", "-version")


def plan_versions(plan: TrainingPlan) -> QuerySet[TrainingPlan]:
    """Every version of the filer's plan for the year, newest first."""
    return TrainingPlan.objects.filter(unit_id=plan.unit_id, filer_authority_id=plan.filer_authority_id,
                                       year=plan.year).order_by("-version", "-id")


# Unit-organised training somebody put forward: in review or approved (not a draft, not taken back).
_TRAINED_STATUSES = [s for s in ClaimStatus.values
                     if s not in (ClaimStatus.DRAFT, ClaimStatus.WITHDRAWN, ClaimStatus.REJECTED)]


def units_training_without_plan(user, year: int) -> QuerySet:
    """检查、督导: the units in the user's scope whose staff claimed unit-organised training in `year` while
    the unit has no filed plan for that year, with how much training. One row per unit, most claims first."""
    filed = TrainingPlan.objects.filter(unit_id=OuterRef("pk"), year=year, state=PlanState.FILED)
    trained = Q(claims__year=year, claims__kind=ActivityKind.UNIT_TRAINING, claims__status__in=_TRAINED_STATUSES)
    trained_claims = Claim.objects.filter(unit_id=OuterRef("pk"), year=year, kind=ActivityKind.UNIT_TRAINING,
                                          status__in=_TRAINED_STATUSES)
    return (units_in_scope(user).filter(~Exists(filed), Exists(trained_claims))
            .select_related("region", "authority")
            .annotate(claims_count=Count("claims", filter=trained),
                      people=Count("claims__professional", filter=trained, distinct=True),
                      hours=Sum("claims__hours", filter=trained),
                      last_day=Max("claims__end_date", filter=trained))
            .order_by("-claims_count", "name"))


def plan_items_for_claims(unit_id: int | None) -> QuerySet[PlanItem]:
    """What a claim of unit-organised training may name: the items of the unit's plans in force, any year
    (the claim's own year is checked against the item's)."""
    return (PlanItem.objects.filter(plan__unit_id=unit_id, plan__state=PlanState.FILED)
            .select_related("plan").order_by("-plan__year", "start_date", "id"))


def unit_sessions(user) -> QuerySet[TrainingSession]:
    """The sessions of the units the user reviews, newest first."""
    return (TrainingSession.objects.filter(item__plan__unit_id__in=scope_for(user).unit_ids)
            .select_related("item__plan__unit").annotate(attendees=Count("attendances"))
            .order_by("-date", "-starts_at", "-pk"))


def unit_session_get(user, pk: int) -> TrainingSession:
    return get_object_or_404(unit_sessions(user), pk=pk)


def session_attendances(session: TrainingSession) -> QuerySet[SessionAttendance]:
    return session.attendances.select_related("professional", "claim").order_by("professional__name", "pk")


def session_items(user) -> QuerySet[PlanItem]:
    """The filed items of the user's units' plans: what a session may be opened for."""
    return (PlanItem.objects.filter(plan__unit_id__in=scope_for(user).unit_ids, plan__state=PlanState.FILED)
            .select_related("plan").order_by("-plan__year", "start_date", "pk"))


def session_staff(session: TrainingSession) -> QuerySet[Professional]:
    """Who the unit may tick: its staff on the session's day."""
    # One filter() call: the three conditions hold for the same employment.
    return (Professional.objects.filter(
        Q(employments__ended_on__isnull=True) | Q(employments__ended_on__gte=session.date),
        employments__unit_id=session.item.plan.unit_id, employments__started_on__lte=session.date,
    ).distinct().order_by("name", "pk"))
