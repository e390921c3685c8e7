import datetime as dt
import uuid
from decimal import Decimal
from functools import reduce
from operator import or_
from typing import NamedTuple

from django.core.cache import cache
from django.db.models import (
    BooleanField, Case, Count, Exists, ExpressionWrapper, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from audits.calendar.selectors import add_working_days
from audits.review.models import Notification, ReviewDecision, UnitStandard, UnitStandardItem
from audits.review.rules import LEVELS, ReviewLevel, waiting_level
from audits.screening.models import ScreeningFlag
from audits.screening.rules import BLOCKING_RULES
from audits.trail.models import AuditEvent
from records.hours.models import ActivityKind, Claim, EvidenceFile, SubjectCategory
from records.hours.rules import (
    ZERO, ClaimStatus, StandardFit, StandardMethod, StandardRule, standard_fit,
)
from records.people.access import Scope, scope_for, units_in_scope
from records.people.models import Employment, Professional, Role, RoleMembership, Unit

BATCH_OBJECT_TYPE = "review_batch"


def level_q(scope: Scope, level: ReviewLevel, prefix: str = "") -> Q | None:
    """Claims `scope` reviews at `level` (whatever their status), or None when it reviews none there."""
    parts = [Q(**{f"{prefix}{route.claim_field}__in": ids}) for route in level.routes
             if (ids := getattr(scope, route.scope_field))]
    return reduce(or_, parts) if parts else None


def review_level_annotations(scope: Scope, levels: tuple[ReviewLevel, ...] = LEVELS) -> dict:
    """`reviews_l<n>` for each level n: whether the user reviews the row at that level."""
    annotations = {}
    for level in levels:
        q = level_q(scope, level)
        annotations[f"reviews_l{level.number}"] = (
            ExpressionWrapper(q, output_field=BooleanField()) if q is not None else Value(False)
        )
    return annotations


def levels_of(claim: Claim, levels: tuple[ReviewLevel, ...] = LEVELS) -> frozenset[int]:
    """The level numbers read from a row annotated with `review_level_annotations`."""
    return frozenset(level.number for level in levels if getattr(claim, f"reviews_l{level.number}"))


def acting_level(claim: Claim, levels: tuple[ReviewLevel, ...] = LEVELS) -> int:
    """The level at which the user acts on an annotated claim they review at some level.

    A reviewer at several levels acts at the one the claim waits on; otherwise the workflow explains why not.
    """
    mine = levels_of(claim, levels)
    waiting = waiting_level(claim.status, levels)
    return waiting.number if waiting is not None and waiting.number in mine else min(mine)


def reviewable_claims(user, levels: tuple[ReviewLevel, ...] = LEVELS) -> QuerySet[Claim]:
    """Every submitted-at-least-once claim the user reviews at some level, annotated with the levels.

    Drafts are the person's own business: to a reviewer they do not exist yet.
    """
    scope = scope_for(user)
    qs = [q for level in levels if (q := level_q(scope, level)) is not None]
    if not qs:
        return Claim.objects.none()
    return (
        Claim.objects.exclude(status=ClaimStatus.DRAFT).filter(reduce(or_, qs))
        .annotate(**review_level_annotations(scope, levels))
    )


def _current_evidence():
    return EvidenceFile.objects.filter(claim=OuterRef("pk"), removed_at__isnull=True)


def blocking_flags() -> QuerySet[ScreeningFlag]:
    """Screening flags that stop approval: of a blocking rule, open or confirmed."""
    return ScreeningFlag.objects.filter(
        rule__in=BLOCKING_RULES, status__in=[ScreeningFlag.Status.OPEN, ScreeningFlag.Status.CONFIRMED]
    )


def held_by_screening() -> Exists:
    """A claim an open blocking flag holds: its next move is city_hr's (dismiss or confirm, rule 9), not its
    reviewer's, so the monitors count it as waiting on the city, not in its unit's backlog or overdue."""
    return Exists(blocking_flags().filter(status=ScreeningFlag.Status.OPEN, claim_id=OuterRef("pk")))


def claim_blocking_flags(claim: Claim) -> list[ScreeningFlag]:
    """The flags that keep this claim from approval (`approval_refusal` refuses on the same), for its page."""
    return list(blocking_flags().filter(claim=claim).order_by("pk"))


def is_approvable(files: int, opened: int, blocked: bool) -> bool:
    """A queue row the reviewer may approve: every current file opened by them, and no flag in the way."""
    return bool(files) and opened == files and not blocked


def _queue(user, *, level: int | None, category: str = "", kind: str = "", unit_id: int | None = None,
           levels: tuple[ReviewLevel, ...] = LEVELS) -> QuerySet[Claim]:
    scope = scope_for(user)
    waiting = [(lvl, Q(status=lvl.waiting_status) & q) for lvl in levels
               if level in (None, lvl.number) and (q := level_q(scope, lvl)) is not None]
    if not waiting:
        return Claim.objects.none()
    qs = Claim.objects.filter(reduce(or_, [q for _, q in waiting]))
    # Claims without evidence (the platforms' records never are claims) have nothing to review.
    qs = qs.filter(Exists(_current_evidence()))
    if category:
        qs = qs.filter(category=category)
    if kind:
        qs = qs.filter(kind=kind)
    if unit_id:
        qs = qs.filter(unit_id=unit_id)
    if len(waiting) == 1:
        return qs.annotate(queue_level=Value(waiting[0][0].number))
    return qs.annotate(queue_level=Case(*[When(status=lvl.waiting_status, then=Value(lvl.number))
                                          for lvl, _ in waiting]))


def _due_soon_q(today: dt.date) -> Q:
    # Not yet overdue, and due by the end of the next working day (a Friday sees Monday's claims).
    return Q(due_on__gte=today, due_on__lte=add_working_days(today, 1))


def review_queue(user, *, today: dt.date, level: int | None = None, due: str = "", category: str = "",
                 kind: str = "", unit_id: int | None = None, levels: tuple[ReviewLevel, ...] = LEVELS
                 ) -> QuerySet[Claim]:
    """The claims waiting for this user's decision, earliest due first.

    `due` is "" (all), "overdue" (due date passed) or "soon" (due today or on the next working day). Each
    row carries `queue_level`, `due_on` and `due_provisional`; `review_queue_page_rows` adds what the page
    shows of each row's evidence.
    """
    qs = _queue(user, level=level, category=category, kind=kind, unit_id=unit_id, levels=levels)
    if due == "overdue":
        qs = qs.filter(due_on__lt=today)
    elif due == "soon":
        qs = qs.filter(_due_soon_q(today))
    return qs.order_by("due_on", "pk")


def review_queue_counts(user, *, today: dt.date, level: int | None = None, category: str = "", kind: str = "",
                        unit_id: int | None = None, levels: tuple[ReviewLevel, ...] = LEVELS) -> dict[str, int]:
    """Totals over the queue (with the same category/kind/unit filters), in one query: total, overdue, soon."""
    qs = _queue(user, level=level, category=category, kind=kind, unit_id=unit_id, levels=levels)
    return qs.aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=Q(due_on__lt=today)),
        soon=Count("pk", filter=_due_soon_q(today)),
    )


def review_queue_units(user, *, level: int | None = None) -> list[tuple[int, str]]:
    """(id, name) of the units that have claims in the user's queue, by name (for the unit filter)."""
    scope = scope_for(user)
    first, *later = LEVELS
    if len(scope.unit_ids) == 1 and (level == first.number or all(level_q(scope, lvl) is None for lvl in later)):
        # The reviewer of one unit (the first level is the unit's own), and nothing else: that unit, without a
        # query over the queue on every view.
        return [next((m.unit_id, m.unit.name) for m in scope.memberships if m.unit_id in scope.unit_ids)]
    units = Unit.objects.filter(pk__in=_queue(user, level=level).values("unit_id"))
    return list(units.order_by("name", "pk").values_list("pk", "name"))


_CATEGORY_LABELS = dict(SubjectCategory.choices)


_KIND_LABELS = dict(ActivityKind.choices)
_LEVEL_LABELS = {level.number: level.label for level in LEVELS}


class QueueRow(NamedTuple):
    """One row of a reviewer's queue page, as plain values: a page of 50 model instances with their person
    and unit, and the template lookups on them, cost several times the queue's SQL (bench/review_bench.py)."""

    pk: int
    title: str
    person: str
    unit: str
    category: str
    kind: str
    hours: Decimal
    due_on: dt.date
    due_provisional: bool
    queue_level: int
    evidence_count: int
    viewed_count: int
    screening_blocked: bool
    approvable: bool  # is_approvable
    overdue: bool

    @property
    def category_label(self) -> str:
        return _CATEGORY_LABELS.get(self.category, self.category)

    @property
    def kind_label(self) -> str:
        return _KIND_LABELS.get(self.kind, self.kind)

    @property
    def level_label(self) -> str:
        return _LEVEL_LABELS[self.queue_level]


_QUEUE_COLUMNS = ("pk", "title", "professional__name", "unit__name", "category", "kind", "hours", "due_on",
                  "due_provisional", "queue_level")


def evidence_state(reviewer, claim_ids) -> dict[int, tuple[int, int, bool]]:
    """(current files, of those opened by the reviewer, held by a blocking screening flag) per claim of a
    queue page, in one plain query grouped by claim (correlated subqueries per row cost more to build and
    plan). Every claim in a queue has a current file (`_queue`), so each appears in the grouping."""
    rows = (
        EvidenceFile.objects.filter(claim_id__in=claim_ids, removed_at__isnull=True)
        .values("claim_id")
        .annotate(files=Count("pk", distinct=True),
                  opened=Count("pk", distinct=True, filter=Q(views__reviewer=reviewer)),
                  blocked=Exists(blocking_flags().filter(claim_id=OuterRef("claim_id"))))
        .values_list("claim_id", "files", "opened", "blocked")
    )
    state = {claim_id: (files, opened, blocked) for claim_id, files, opened, blocked in rows}
    return {claim_id: state.get(claim_id, (0, 0, False)) for claim_id in claim_ids}


class QueueList:
    """A queue as a Paginator reads it: its length taken from the totals already counted (no second COUNT),
    and a slice read as `QueueRow`s."""

    def __init__(self, reviewer, queryset: QuerySet[Claim], count: int, *, today: dt.date):
        self._reviewer = reviewer
        self._queryset = queryset.values_list(*_QUEUE_COLUMNS)
        self._count = count
        self._today = today

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: slice) -> list[QueueRow]:
        rows = list(self._queryset[index])
        evidence = evidence_state(self._reviewer, [row[0] for row in rows]) if rows else {}
        return [self._row(row, *evidence[row[0]]) for row in rows]

    def _row(self, values, files: int, opened: int, blocked: bool) -> QueueRow:
        due_on = values[7]
        return QueueRow(*values, evidence_count=files, viewed_count=opened, screening_blocked=blocked,
                        approvable=is_approvable(files, opened, blocked), overdue=due_on < self._today)


def review_queue_page_rows(user, *, today: dt.date, due: str = "", counts: dict[str, int], **filters) -> QueueList:
    """`review_queue` for the page: `counts` are `review_queue_counts` with the same filters."""
    return QueueList(user, review_queue(user, today=today, due=due, **filters), counts[due or "total"], today=today)


def review_claim_get(user, claim_id: int) -> Claim:
    """One claim for its review page (any status but draft), or 404 when the user does not review it."""
    claim = (
        reviewable_claims(user).filter(pk=claim_id)
        .select_related("professional", "unit", "region", "level2_authority", "level2_region", "provider_base")
        .first()
    )
    if claim is None:
        raise Http404("未找到。")
    return claim


def claim_evidence_list(claim: Claim) -> tuple[list[EvidenceFile], list[EvidenceFile]]:
    """A claim's current files and the ones corrected versions replaced, each in upload order."""
    files = list(claim.evidence.order_by("uploaded_at", "pk"))
    return [f for f in files if f.removed_at is None], [f for f in files if f.removed_at is not None]


def claim_decision_list(claim: Claim) -> QuerySet[ReviewDecision]:
    return claim.decisions.select_related("reviewer").order_by("at", "pk")


def review_batch_get(user, batch_id: uuid.UUID) -> AuditEvent:
    """The audit event of one of the user's own batch actions: its `after` holds the per-claim outcome."""
    event = AuditEvent.objects.filter(object_type=BATCH_OBJECT_TYPE, object_id=str(batch_id), actor=user).first()
    if event is None:
        raise Http404("未找到。")
    return event


def evidence_in_scope(user) -> QuerySet[EvidenceFile]:
    """Evidence the user may open: their own, and once submitted, that of claims they review or oversee.

    Reviewers are those fixed on the claim at submission (every level's), and the county HR bureau of the
    claim's unit; the city sees every submitted file. A later change of the unit's reviewers or of the
    person's employer does not move a submitted claim.
    """
    scope = scope_for(user)
    own = Q(claim__professional_id__in=scope.professional_ids)
    if scope.is_city:
        oversees = Q()
    else:
        oversees = reduce(or_, [q for level in LEVELS if (q := level_q(scope, level, "claim__")) is not None],
                          Q(claim__region_id__in=scope.region_ids))
    return EvidenceFile.objects.filter(own | (oversees & Q(submitted_at__isnull=False))).select_related("claim")


def evidence_get(user, pk: int) -> EvidenceFile:
    from records.people.access import get_in_scope_or_404

    return get_in_scope_or_404(evidence_in_scope(user), pk=pk)


# --- notifications ----------------------------------------------------------------------------------------

def unread_count_key(user_id: int) -> str:
    return f"notifications-unread:{user_id}"


def unread_notification_count(user_id: int) -> int:
    """The badge every page shows: read through the cache, which every change of the count clears
    (`notifications_changed`), so a page costs no query for it."""
    count = cache.get(unread_count_key(user_id))
    if count is None:
        count = Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()
        cache.set(unread_count_key(user_id), count, UNREAD_COUNT_TIMEOUT)
    return count


# A backstop should a write change the count without clearing it.
UNREAD_COUNT_TIMEOUT = 600


# --- unit reviewers ------------------------------------------------------------------------------------------

def unit_reviewers_of(unit: Unit) -> QuerySet[RoleMembership]:
    return (RoleMembership.objects.filter(role=Role.UNIT_REVIEWER, unit=unit)
            .select_related("user").order_by("user__first_name", "pk"))


def appointable_staff(unit: Unit) -> QuerySet[Professional]:
    """The unit's current staff with an active account who are not its reviewers yet, by name."""
    reviewers = RoleMembership.objects.filter(role=Role.UNIT_REVIEWER, unit=unit).values("user_id")
    return (Professional.objects.filter(employments__unit=unit, employments__ended_on__isnull=True,
                                        user__is_active=True)
            .exclude(user_id__in=reviewers).order_by("name", "pk"))


def units_without_reviewer(user) -> QuerySet[Unit]:
    """Units the user's bureau oversees that have staff but nobody to review their claims at level 1, with how
    many claims wait there (the bureau stands in for them), the most waiting first."""
    reviewer = RoleMembership.objects.filter(role=Role.UNIT_REVIEWER, unit=OuterRef("pk"), user__is_active=True)
    staff = Employment.objects.filter(unit=OuterRef("pk"), ended_on__isnull=True)
    waiting = (Claim.objects.filter(unit=OuterRef("pk"), status=LEVELS[0].waiting_status).order_by()
               .values("unit").annotate(n=Count("pk")).values("n"))
    return (units_in_scope(user).filter(Exists(staff)).exclude(Exists(reviewer))
            .annotate(waiting=Coalesce(Subquery(waiting, output_field=IntegerField()), 0))
            .select_related("region").order_by("-waiting", "name"))


# --- a unit's standard ------------------------------------------------------------------------------------

def unit_standard_get(unit_id: int) -> UnitStandard | None:
    return UnitStandard.objects.filter(unit_id=unit_id).prefetch_related("items").first()


def unit_standard_rules(unit_id: int | None) -> dict[str, StandardRule]:
    """The unit's standard, activity kind → its rule (empty when the unit set none)."""
    if unit_id is None:
        return {}
    return {item.kind: item.rule for item in UnitStandardItem.objects.filter(standard__unit_id=unit_id)}


def unit_review_days(unit_id: int | None) -> int | None:
    """The unit's own review time limit in working days, or None when it set none."""
    if unit_id is None:
        return None
    return UnitStandard.objects.filter(unit_id=unit_id).values_list("review_working_days", flat=True).first()


def claim_standard_fit(claim: Claim) -> StandardFit | None:
    """How the claim's hours stand against the standard of the unit it was submitted from, for its kind; None
    when that unit has no rule for the kind. A yearly cap counts the person's other credited claims of the
    kind in the claim's year."""
    rule = unit_standard_rules(claim.unit_id).get(claim.kind)
    if rule is None:
        return None
    used = ZERO
    if rule.method == StandardMethod.YEARLY_CAP:
        used = (Claim.objects.filter(professional_id=claim.professional_id, year=claim.year, kind=claim.kind,
                                     status=ClaimStatus.APPROVED, credit_revoked_at__isnull=True)
                .exclude(pk=claim.pk).aggregate(hours=Sum("hours"))["hours"] or ZERO)
    return standard_fit(rule, start=claim.start_date, end=claim.end_date, claimed=claim.hours, used_in_year=used)
