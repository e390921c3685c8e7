"""Reads on the registry: staff and unit lists in the user's scope, a person's employments, pending
registrations and claims, 调入 requests as each party sees them, the public unit look-up of
self-registration, and the look-up of a person by ID number.
"""
import operator
from functools import reduce

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from audits.trail.models import AuditEvent
from ce_portal.crypto import lookup_digest
from records.people.access import get_in_scope_or_404, professionals_in_scope, scope_for, units_in_scope
from records.people.models import (
    Account, Employment, Professional, RecordClaim, Region, Role, RoleMembership, TransferRequest, Unit,
)
from records.people.rules import id_number_well_formed, normalize_id_number

UNIT_SEARCH_LIMIT = 20


def id_number_q(id_number: str, prefix: str = "") -> Q:
    """The condition "this person's ID number is `id_number`" (normalised and valid), on `prefix` + the
    professional's fields. Every look-up by ID number goes through here or `professional_by_id_number`, so
    how numbers are stored and matched is decided in one place: numbers are encrypted at rest and matched by
    their keyed digest (ce_portal/crypto.py)."""
    return Q(**{f"{prefix}id_number_digest": lookup_digest(id_number)})


def id_numbers_q(id_numbers, prefix: str = "") -> Q:
    """`id_number_q` for any of several numbers (an import file, a platform's batch)."""
    return Q(**{f"{prefix}id_number_digest__in": [lookup_digest(number) for number in id_numbers]})


def professional_username(id_number: str) -> str:
    """The account name of the professional with this (normalised) ID number: its digest, so that the user
    table and the log-in lock-out records hold no plain number. People still log in with their number:
    `login_username` maps what they type."""
    return lookup_digest(id_number)


def login_username(typed: str) -> str:
    """What the log-in form authenticates: a typed ID number (spaces, full-width digits and a lower-case x
    forgiven) as its account name, anything else (staff accounts) as typed."""
    number = normalize_id_number(typed)
    return professional_username(number) if id_number_well_formed(number) else typed


def professional_by_id_number(id_number: str, *, for_update: bool = False) -> Professional | None:
    """The one person with this ID number, or None. `for_update` locks the row (and only it) for a write."""
    people = Professional.objects.filter(id_number_q(id_number))
    if for_update:
        people = people.select_for_update(of=("self",))
    return people.select_related("user").first()


def unit_search(query: str) -> QuerySet[Unit]:
    """Public look-up for self-registration: by part of the name, or by the start of the credit code."""
    query = query.strip()
    if len(query) < 2:
        return Unit.objects.none()
    return (
        Unit.objects.filter(Q(name__contains=query) | Q(credit_code__startswith=query.upper()))
        .select_related("region").order_by("name")[:UNIT_SEARCH_LIMIT]
    )


def unit_choices(query: str, selected: str = "") -> list[Unit]:
    """What the registration form offers: the unit already picked (kept across searches), then the matches."""
    picked = list(Unit.objects.filter(pk=selected).select_related("region")) if str(selected).isdigit() else []
    return picked + [unit for unit in unit_search(query) if unit not in picked]


def reviewer_units(user) -> QuerySet[Unit]:
    """The units whose staff this user keeps (a unit reviewer's own units, not the ones an HR bureau oversees)."""
    return Unit.objects.filter(pk__in=scope_for(user).unit_ids).order_by("name")


def password_change_required(user) -> bool:
    """Whether the account logs in with a password someone else set (a unit's one-time password)."""
    return Account.objects.filter(user=user, must_change_password=True).exists()


def unit_staff(user) -> QuerySet[Professional]:
    """The current staff of the user's own units (as their reviewer): the people whose accounts the unit answers
    for. An authority or HR bureau overseeing a unit is not its employer and holds none of them."""
    current = Employment.objects.filter(unit__in=reviewer_units(user), ended_on__isnull=True)
    return Professional.objects.filter(pk__in=current.values("professional_id"))


def unit_staff_get(user, pk: int) -> Professional:
    return get_in_scope_or_404(unit_staff(user).select_related("user"), pk=pk)


def registration_pending_list(user) -> QuerySet[Employment]:
    return (
        Employment.objects.filter(unit__in=reviewer_units(user), ended_on__isnull=True,
                                  professional__status=Professional.Status.PENDING)
        .select_related("professional", "unit").order_by("started_on", "professional_id")
    )


def registration_pending_get(user, pk: int) -> Professional:
    """A pending registration at one of the user's units; anything else (another unit's, decided) is 404."""
    pending = Professional.objects.filter(pk__in=registration_pending_list(user).values("professional_id"))
    return get_in_scope_or_404(pending, pk=pk)


def _current_employment_at(units) -> Exists:
    return Exists(Employment.objects.filter(professional=OuterRef("professional_id"), ended_on__isnull=True,
                                            unit__in=units))


def record_claims_pending(user) -> QuerySet[RecordClaim]:
    """Claims on people the user's units hold (employ now), and on people employed nowhere who chose one of
    them. `held` says which: only the holder is shown what it entered (name, phone) next to what was typed."""
    units = reviewer_units(user)
    held_anywhere = _current_employment_at(Unit.objects.all())
    return (
        RecordClaim.objects.filter(status=RecordClaim.Status.PENDING)
        .annotate(held=_current_employment_at(units), held_anywhere=held_anywhere)
        .filter(Q(held=True) | Q(held_anywhere=False, unit__in=units))
        .select_related("professional", "unit").order_by("created_at", "pk")
    )


def record_claim_pending_get(user, pk: int) -> RecordClaim:
    return get_in_scope_or_404(record_claims_pending(user), pk=pk)


def claim_reviewing_unit_id(claim: RecordClaim) -> int:
    """Who decides a claim: the unit that employs the person now, else the one the registrant chose."""
    current = Employment.objects.filter(professional_id=claim.professional_id, ended_on__isnull=True)
    return current.values_list("unit_id", flat=True).first() or claim.unit_id


def registration_rejection_reason(user) -> str | None:
    """Why the unit turned down this account's latest request (its registration, or a claim), if it did and
    nothing is pending since."""
    record = Professional.objects.filter(user=user).first()
    if (record is not None and record.status == Professional.Status.PENDING) or user.record_claims.filter(
            status=RecordClaim.Status.PENDING).exists():
        return None
    refusals = list(user.record_claims.filter(status=RecordClaim.Status.REJECTED)
                    .order_by("-decided_at").values_list("decided_at", "reason")[:1])
    if record is not None and record.status == Professional.Status.REJECTED:
        # A refused new registration keeps its reason in the audit trail.
        event = (
            AuditEvent.objects.filter(action="professional.registration_reject", object_type="records.professional",
                                      object_id=str(record.pk))
            .order_by("-id").first()
        )
        refusals.append((event.at, (event.after or {}).get("reason", "")) if event else (record.created_at, ""))
    return max(refusals)[1] if refusals else None


# Requests already decided that the requesting unit still sees on its desk, newest first.
TRANSFERS_DECIDED_SHOWN = 10


def _transfers(**filters) -> QuerySet[TransferRequest]:
    return TransferRequest.objects.filter(**filters).select_related("professional", "from_unit", "to_unit")


def transfers_requested(user) -> list[TransferRequest]:
    """The requests the user's units made: pending ones, then the latest decided (with the reason of a
    refusal). The person is shown by name and masked number only, as the unit typed them."""
    units = scope_for(user).unit_ids
    pending = _transfers(to_unit_id__in=units, status=TransferRequest.Status.PENDING).order_by("requested_at", "pk")
    decided = (_transfers(to_unit_id__in=units).exclude(status=TransferRequest.Status.PENDING)
               .order_by("-decided_at", "-pk")[:TRANSFERS_DECIDED_SHOWN])
    return [*pending, *decided]


def transfers_to_decide(user, party: str | None = None) -> QuerySet[TransferRequest]:
    """Pending requests the user may confirm or refuse — as the person, as a reviewer of the releasing unit, or
    as the HR bureau of the releasing unit's region — or only those they decide as `party` (each desk its own)."""
    scope = scope_for(user)
    as_party = {
        TransferRequest.Party.PERSON: Q(professional_id__in=scope.professional_ids),
        TransferRequest.Party.RELEASING_UNIT: Q(from_unit_id__in=scope.unit_ids),
        TransferRequest.Party.HR_BUREAU: Q(from_unit__region_id__in=scope.hr_region_ids),
    }
    wanted = [as_party[party]] if party else as_party.values()
    return _transfers(status=TransferRequest.Status.PENDING).filter(
        reduce(operator.or_, wanted)).order_by("requested_at", "pk")


def transfer_party(request: TransferRequest, actor) -> str | None:
    """Who `actor` is to a request they may decide: the person, the releasing unit's reviewer, or the HR bureau
    of the releasing unit's region (a county's; the city's for units registered at city level)."""
    scope = scope_for(actor)
    if request.professional_id in scope.professional_ids:
        return TransferRequest.Party.PERSON
    if request.from_unit_id in scope.unit_ids:
        return TransferRequest.Party.RELEASING_UNIT
    if request.from_unit.region_id in scope.hr_region_ids:
        return TransferRequest.Party.HR_BUREAU
    return None


def transfer_to_decide_get(user, pk: int) -> TransferRequest:
    return get_in_scope_or_404(transfers_to_decide(user), pk=pk)


def transfer_requested_get(user, pk: int) -> TransferRequest:
    return get_in_scope_or_404(_transfers(to_unit_id__in=scope_for(user).unit_ids), pk=pk)


def creatable_regions(user) -> QuerySet[Region]:
    """Where this user may add units: the city anywhere, a county HR bureau in its own county."""
    scope = scope_for(user)
    if scope.is_city:
        return Region.objects.order_by("code")
    return Region.objects.filter(pk__in=scope.region_ids).order_by("code")


def current_employment(professional: Professional) -> Employment | None:
    return professional.employments.filter(ended_on__isnull=True).select_related("unit__region").first()


def staff_list(user, *, unit_ids=None, search: str = "", id_number: str = "") -> QuerySet[Employment]:
    """Current staff of the units the user oversees (optionally narrowed to some of them), by part of the
    name or by a whole ID number (encrypted numbers match only whole, by their digest)."""
    qs = Employment.objects.filter(ended_on__isnull=True, unit__in=units_in_scope(user)).select_related(
        "professional", "unit"
    )
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=unit_ids)
    if search:
        qs = qs.filter(professional__name__contains=search)
    if id_number:
        qs = qs.filter(id_number_q(id_number, "professional__"))
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
    from records.people.access import get_in_scope_or_404

    return get_in_scope_or_404(professionals_in_scope(user), pk=pk)


def unit_has_reviewer(unit: Unit) -> bool:
    """Whether anyone can decide the unit's claims at level 1 (an active account with the unit's reviewer role)."""
    return RoleMembership.objects.filter(role=Role.UNIT_REVIEWER, unit=unit, user__is_active=True).exists()


def employment_on(professional: Professional, day) -> Employment | None:
    """The employment covering `day`."""
    return (
        professional.employments.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=day), started_on__lte=day)
        .select_related("unit__region", "unit__authority").order_by("-started_on").first()
    )


def reviewing_employment(professional: Professional, *, filed_on, activity_end, activity_start) -> Employment | None:
    """Whose unit reviews a claim: the unit the person works for on the day it is filed; for someone between
    jobs, the unit that employed them when the activity took place (its last day, else its first)."""
    for day in (filed_on, activity_end, activity_start):
        employment = employment_on(professional, day)
        if employment is not None:
            return employment
    return None
