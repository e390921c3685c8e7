"""Screening runs and the resolution of their flags (rule 9 in docs/rules.md; the rules are audits/screening/rules.py).

A run first picks what to look at, then loads those facts together with everything they must be compared
with, applies every rule and stores the new findings:

- full: candidates found by GROUP BY in the database (a SHA-256 behind two claims, a certificate number of
  two people, a person with an overloaded day or overlapping sessions, a provider nobody approved);
- incremental: the claims changed and platform records received since the last run, compared through
  indexed look-ups (sha256, external_certificate_no, (professional, year)) against the whole tables.

A finding already stored (same dedupe key) is not stored again, so runs may overlap, repeat or fail halfway.
"""
import datetime as dt
import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, QuerySet, TextChoices
from django.utils import timezone

from audits.screening import rules
from audits.screening.models import ScreeningFlag, ScreeningRun
from audits.screening.rules import ClaimFacts, EvidenceFacts, KnownProviders, PlanLinkFacts, PlatformFacts
from audits.screening.selectors import certificates_at_stake
from audits.trail.services import record_event
from ce_portal.errors import DomainError, NotFound
from ce_portal.queue import enqueue_on_commit
from platforms.registry.models import LearningPlatform, TrainingBase
from records.certificates.services import certificate_revoke, certificates_supersede_for
from records.hours.models import ActivityKind, Claim, EvidenceFile, PlatformRecord
from records.hours.rules import EDITABLE_STATUSES, ClaimStatus
from records.hours.services import add_to_year_totals, year_deltas
from records.people.access import scope_for
from records.people.models import Professional

logger = logging.getLogger(__name__)


# Claims a person has put forward: in review or approved. Drafts and returned claims may still change and
# are screened when (re)submitted; rejected and withdrawn ones claim nothing.
# Claims that count or may yet count: under review at any level, or approved.
SCREENED_STATUSES = tuple(
    status for status in ClaimStatus.values
    if status not in EDITABLE_STATUSES and status not in (ClaimStatus.REJECTED, ClaimStatus.WITHDRAWN)
)


# A change saved by a transaction that was still open when the last run started carries an earlier
# `updated_at` than that run's watermark: look back this far so it is not missed (a repeat costs nothing).
CHANGE_MARGIN = dt.timedelta(minutes=15)


CHUNK = 5_000  # ids or keys per IN list


# Any constant: one screening run at a time (the nightly one and one city_hr asked for may meet).
_RUN_LOCK_KEY = 7_240_609


_CLAIM_FIELDS = ("id", "professional_id", "year", "start_date", "end_date", "hours", "provider_base_id",
                 "provider_name", "external_certificate_no")


def _chunks(values: Iterable, size: int = CHUNK) -> Iterator[list]:
    values = sorted(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def screened_claims() -> QuerySet[Claim]:
    # Unordered, as everything here: Claim's default ordering would sort (or, with DISTINCT, widen) each read.
    return Claim.objects.filter(status__in=SCREENED_STATUSES).order_by()


def _live_claims() -> QuerySet[Claim]:
    """Claims whose hours stand: the time-based rules must not count hours already revoked."""
    return screened_claims().filter(credit_revoked_at__isnull=True)


def _live_platform_records() -> QuerySet[PlatformRecord]:
    return PlatformRecord.objects.filter(credit_revoked_at__isnull=True).order_by()


def _claim_facts(queryset: QuerySet[Claim]) -> list[ClaimFacts]:
    return [ClaimFacts(*row) for row in queryset.values_list(*_CLAIM_FIELDS)]


def _plan_link_facts(queryset: QuerySet[Claim]) -> list[PlanLinkFacts]:
    rows = queryset.filter(kind=ActivityKind.UNIT_TRAINING).values_list(
        "id", "professional_id", "year", "unit_id", "plan_item_id", "plan_item__plan__unit_id",
        "plan_item__plan__year", "plan_item__plan__filed_at")
    return [PlanLinkFacts(*row[:-1], plan_filed=row[-1] is not None) for row in rows]


def _platform_facts(queryset: QuerySet[PlatformRecord]) -> list[PlatformFacts]:
    return [PlatformFacts(pk, person, timezone.localtime(completed).date(), hours)
            for pk, person, completed, hours in queryset.values_list("id", "professional_id", "completed_at", "hours")]


def known_providers() -> KnownProviders:
    by_year: dict[int, set[str]] = {}
    for name, years in LearningPlatform.objects.filter(active=True).values_list("name", "years_approved"):
        for year in years:
            by_year.setdefault(year, set()).add(name)
    return KnownProviders(
        base_names=frozenset(TrainingBase.objects.filter(active=True).values_list("name", flat=True)),
        platform_names_by_year={year: frozenset(names) for year, names in by_year.items()},
    )


@dataclass
class Targets:
    """What a run looks at; each is then compared with everything it must be compared with."""

    sha256s: set[str] = field(default_factory=set)
    certificate_nos: set[str] = field(default_factory=set)
    people: set[int] = field(default_factory=set)  # for the time-based rules, over all their records
    provider_claims: list[ClaimFacts] = field(default_factory=list)
    unit_training_claims: list[PlanLinkFacts] = field(default_factory=list)
    claims_screened: int = 0
    platform_records_screened: int = 0


def _overloaded_people() -> set[int]:
    """People with more than a day's hours on some day.

    Summing every person-day of the city (2.7 million at 2M records) costs seconds, so first the people whose
    records share a day at all: sorted by first day, a person's records share one exactly when some record
    starts before the previous one has ended (then that pair does). Only their days are summed. PostgreSQL
    only; elsewhere (the SQLite demo) everyone with hours is a candidate and the rule sorts them out.
    (Finding overlapping sessions in the same sorted pass cost more than the indexed look-up below.)
    """
    if connection.vendor != "postgresql":
        return (set(_live_claims().values_list("professional_id", flat=True).distinct())
                | set(_live_platform_records().values_list("professional_id", flat=True).distinct()))
    def records(where: str = "TRUE") -> str:
        return f"""
            SELECT professional_id, start_date AS first_day, end_date AS last_day, hours
            FROM {Claim._meta.db_table}
            WHERE status = ANY(%(statuses)s) AND credit_revoked_at IS NULL AND {where}
            UNION ALL
            SELECT professional_id, day, day, hours FROM (
                SELECT professional_id, (completed_at AT TIME ZONE %(tz)s)::date AS day, hours
                FROM {PlatformRecord._meta.db_table} WHERE credit_revoked_at IS NULL AND {where}
            ) online
        """

    sql = f"""
        WITH sharing AS (
            SELECT DISTINCT professional_id FROM (
                SELECT professional_id, first_day, last_day, hours,
                       lag(last_day) OVER (PARTITION BY professional_id ORDER BY first_day) AS previous_last_day
                FROM ({records()}) everyone
            ) sorted
            WHERE first_day <= previous_last_day OR hours > %(limit)s * (last_day - first_day + 1)
        )
        SELECT DISTINCT professional_id
        FROM ({records("professional_id IN (SELECT professional_id FROM sharing)")}) theirs
        CROSS JOIN LATERAL generate_series(0, last_day - first_day) AS k
        GROUP BY professional_id, first_day + k
        HAVING sum(hours / (last_day - first_day + 1)) > %(limit)s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"statuses": list(SCREENED_STATUSES), "tz": timezone.get_current_timezone_name(),
                             "limit": rules.DAY_LIMIT})
        return {row[0] for row in cursor.fetchall()}


def _people_with_overlapping_sessions() -> set[int]:
    multi_day = _live_claims().filter(end_date__gt=F("start_date"))
    overlapping = multi_day.filter(
        professional_id=OuterRef("professional_id"), start_date__lte=OuterRef("end_date"),
        end_date__gte=OuterRef("start_date"),
    ).exclude(pk=OuterRef("pk"))
    return set(multi_day.filter(Exists(overlapping)).values_list("professional_id", flat=True).distinct())


# Training a unit organised under an item of its own filed plan has a known provider: the plan's filing
# recognised it (rule 7).
_PLANNED = Q(plan_item__plan__filed_at__isnull=False, plan_item__plan__unit_id=F("unit_id"),
             plan_item__plan__year=F("year"))


def _unknown_provider_candidates(known: KnownProviders) -> QuerySet[Claim]:
    # Platform names depend on the claim's year: the rule itself checks those among what is left.
    return (screened_claims().filter(provider_base__isnull=True).exclude(provider_name__in=known.base_names)
            .exclude(_PLANNED))


def full_targets(known: KnownProviders) -> Targets:
    return Targets(
        # Every SHA-256 stored twice, whatever its claims: read in order from the sha256 index alone (0.7 s for
        # a million files; grouping the join with the claims by count(DISTINCT claim) took 3 s). Loading
        # then keeps the screened claims' current files, and the rule the files of two claims or more.
        sha256s=set(EvidenceFile.objects.values("sha256").annotate(files=Count("*")).filter(files__gt=1)
                    .values_list("sha256", flat=True)),
        certificate_nos=set(
            # Two people or more: their smallest and largest ids differ (no count(DISTINCT), so a hash aggregate).
            screened_claims().exclude(external_certificate_no="").values("external_certificate_no")
            .annotate(first=Min("professional_id"), last=Max("professional_id")).filter(first__lt=F("last"))
            .values_list("external_certificate_no", flat=True)
        ),
        people=_overloaded_people() | _people_with_overlapping_sessions(),
        provider_claims=_claim_facts(_unknown_provider_candidates(known)),
        unit_training_claims=_plan_link_facts(screened_claims()),
        claims_screened=screened_claims().count(),
        platform_records_screened=PlatformRecord.objects.count(),
    )


def incremental_targets(since: dt.datetime) -> Targets:
    changed = _claim_facts(screened_claims().filter(updated_at__gte=since))
    received = set(
        PlatformRecord.objects.filter(received_at__gte=since).order_by().values_list("id", "professional_id")
    )
    sha256s = set()
    for ids in _chunks(c.id for c in changed):
        sha256s |= set(EvidenceFile.objects.filter(claim_id__in=ids, removed_at__isnull=True).order_by()
                       .values_list("sha256", flat=True))
    return Targets(
        sha256s=sha256s,
        certificate_nos={c.external_certificate_no for c in changed if c.external_certificate_no},
        people={c.professional_id for c in changed} | {person for _, person in received},
        provider_claims=_claim_facts(screened_claims().filter(updated_at__gte=since, provider_base__isnull=True)
                                     .exclude(_PLANNED)),
        unit_training_claims=_plan_link_facts(screened_claims().filter(updated_at__gte=since)),
        claims_screened=len(changed),
        platform_records_screened=len(received),
    )


def findings_for(targets: Targets, known: KnownProviders) -> list[rules.Finding]:
    """Every finding about the targets, each compared with the whole tables through indexed look-ups."""
    files, certificate_claims, claims, platform_records = [], [], [], []
    for chunk in _chunks(targets.sha256s):
        files += [EvidenceFacts(*row) for row in EvidenceFile.objects.filter(
            sha256__in=chunk, removed_at__isnull=True, claim__status__in=SCREENED_STATUSES,
        ).order_by().values_list("id", "claim_id", "claim__professional_id", "sha256", "session_file_id")]
    for chunk in _chunks(targets.certificate_nos):
        certificate_claims += _claim_facts(screened_claims().filter(external_certificate_no__in=chunk))
    for chunk in _chunks(targets.people):
        claims += _claim_facts(_live_claims().filter(professional_id__in=chunk))
        platform_records += _platform_facts(_live_platform_records().filter(professional_id__in=chunk))
    return [
        *rules.same_evidence(files),
        *rules.same_certificate_no(certificate_claims),
        *rules.daily_hours(claims, platform_records),
        *rules.overlapping_sessions(claims),
        *rules.unknown_provider(targets.provider_claims, known),
        *rules.no_training_plan(targets.unit_training_claims),
    ]


def flags_store(findings: Sequence[rules.Finding], *, now: dt.datetime) -> int:
    """Store the findings not stored before (by dedupe key); returns how many flags are new."""
    unique = sorted({finding.dedupe_key: finding for finding in findings}.items())
    if connection.vendor != "postgresql":  # the SQLite demo: a few flags
        existing = set(ScreeningFlag.objects.filter(dedupe_key__in=[key for key, _ in unique])
                       .values_list("dedupe_key", flat=True))
        new = [ScreeningFlag(rule=f.rule, claim_id=f.claim_id, platform_record_id=f.platform_record_id,
                             professional_id=f.professional_id, evidence=f.evidence, dedupe_key=key, created_at=now)
               for key, f in unique if key not in existing]
        ScreeningFlag.objects.bulk_create(new)
        return len(new)
    # One array per column and ON CONFLICT: bulk_create spent 0.4 ms a flag building and binding its SQL, and
    # needed a look-up of the keys first.
    sql = f"""
        INSERT INTO {ScreeningFlag._meta.db_table}
            (rule, claim_id, platform_record_id, professional_id, evidence, dedupe_key, status, resolution_reason,
             created_at)
        SELECT u.rule, u.claim_id, u.platform_record_id, u.professional_id, u.evidence::jsonb, u.dedupe_key,
               %s, '', %s
        FROM unnest(%s::text[], %s::bigint[], %s::bigint[], %s::bigint[], %s::text[], %s::text[])
            AS u(rule, claim_id, platform_record_id, professional_id, evidence, dedupe_key)
        ON CONFLICT (dedupe_key) DO NOTHING
    """
    created = 0
    with connection.cursor() as cursor:
        for start in range(0, len(unique), CHUNK):
            rows = [finding for _, finding in unique[start:start + CHUNK]]
            cursor.execute(sql, [
                ScreeningFlag.Status.OPEN, now, [f.rule.value for f in rows], [f.claim_id for f in rows],
                [f.platform_record_id for f in rows], [f.professional_id for f in rows],
                [json.dumps(f.evidence, ensure_ascii=False) for f in rows], [f.dedupe_key for f in rows],
            ])
            created += cursor.rowcount
    return created


def _run_lock() -> bool:
    """One run at a time. On PostgreSQL also no JIT for this run's queries: the planner takes every claim
    for 1,000 days (generate_series), and compiling for that estimate cost 2.5 s on a 10,000-claim table;
    and more room to sort a city's records (4 MB, the default, is far too small for 1.85 million rows)."""
    if connection.vendor != "postgresql":
        return True  # SQLite (the demo) lets one writer in at a time anyway
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_RUN_LOCK_KEY])
        locked = cursor.fetchone()[0]
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        return locked


@transaction.atomic
def screening_run(*, now: dt.datetime, kind: str | None = None, requested_by=None) -> ScreeningRun | None:
    """Screen what changed since the last run (everything when there is none, or when kind is full).

    Returns the run, or None when another run holds the lock (it covers the same changes).
    """
    if not _run_lock():
        logger.info("screening: another run is in progress, skipped")
        return None
    last = ScreeningRun.objects.order_by("-watermark_at", "-id").first()
    if kind is None:
        kind = ScreeningRun.Kind.INCREMENTAL if last else ScreeningRun.Kind.FULL
    if kind == ScreeningRun.Kind.INCREMENTAL and last is None:
        raise DomainError("尚未进行过全量筛查，不能增量筛查。", code="no_previous_run")
    known = known_providers()
    since = None
    if kind == ScreeningRun.Kind.FULL:
        targets = full_targets(known)
    else:
        since = last.watermark_at - CHANGE_MARGIN
        targets = incremental_targets(since)
    created = flags_store(findings_for(targets, known), now=now)
    return ScreeningRun.objects.create(
        kind=kind, requested_by=requested_by, started_at=now, finished_at=timezone.now(), watermark_at=now,
        since=since, claims_screened=targets.claims_screened,
        platform_records_screened=targets.platform_records_screened, flags_created=created,
    )


def _require_city(actor) -> None:
    if not scope_for(actor).is_city:
        raise NotFound("未找到。")


@transaction.atomic
def screening_request(*, actor, now: dt.datetime) -> None:
    """city_hr asks for a run now: queued for a worker, after this transaction commits."""
    _require_city(actor)
    record_event(actor=actor, action="screening.request", target=("screening", "run"), at=now)
    enqueue_on_commit("audits.screening.tasks.screen_incremental", requested_by_id=actor.pk)


class Resolution(TextChoices):
    DISMISS = "dismiss", "排除疑点"
    CONFIRM = "confirm", "确认问题"


def _revoke_credit(subject, *, now: dt.datetime) -> bool:
    """Take the subject's hours out of the year totals (once). Returns whether anything was revoked."""
    if subject.credit_revoked_at is not None:
        return False
    credited = not isinstance(subject, Claim) or subject.status == Claim.Status.APPROVED
    subject.credit_revoked_at = now
    subject.save(update_fields=["credit_revoked_at"])
    if credited:
        add_to_year_totals(year_deltas([(subject.professional_id, subject.year, subject.category, -subject.hours)]))
    return True


@transaction.atomic
def flag_resolve(*, flag: ScreeningFlag, action: str, reason: str, actor, now: dt.datetime) -> ScreeningFlag:
    """city_hr dismisses a flag (with the reason why it is not fraud) or confirms it.

    Confirming revokes the credit of the claim or platform record, revokes every certificate of that
    person and year that itemised it (the public verification then says revoked), brings the year's valid
    certificate in line with what is left, and keeps the claim from ever being approved.
    """
    _require_city(actor)
    reason = (reason or "").strip()
    if action not in (Resolution.DISMISS, Resolution.CONFIRM):
        raise DomainError("请选择处理方式：排除疑点或确认问题。", code="invalid_resolution", field="action")
    if action == Resolution.DISMISS and not reason:
        raise DomainError("排除疑点须填写理由。", code="dismiss_reason_required", field="reason")
    # The person first, as the certificate services lock: two resolutions never wait on each other crosswise.
    Professional.objects.select_for_update().get(pk=flag.professional_id)
    flag = ScreeningFlag.objects.select_for_update().get(pk=flag.pk)
    if flag.status != ScreeningFlag.Status.OPEN:
        raise DomainError(f"该疑点已于此前处理（{flag.get_status_display()}）。", code="flag_already_resolved")
    before = {"status": flag.status}
    flag.status = ScreeningFlag.Status.DISMISSED if action == Resolution.DISMISS else ScreeningFlag.Status.CONFIRMED
    flag.resolution_reason, flag.resolved_by, flag.resolved_at = reason, actor, now
    flag.save(update_fields=["status", "resolution_reason", "resolved_by", "resolved_at"])
    after = {"status": flag.status, "rule": flag.rule, "reason": reason, "claim": flag.claim_id,
             "platform_record": flag.platform_record_id}
    if action == Resolution.CONFIRM:
        after.update(_confirm(flag, reason=reason, actor=actor, now=now))
    record_event(actor=actor, action=f"screening.flag_{action}", target=flag, before=before, after=after, at=now)
    return flag


def _confirm(flag: ScreeningFlag, *, reason: str, actor, now: dt.datetime) -> dict:
    if flag.claim_id:
        source, subject = "claim", Claim.objects.select_for_update().get(pk=flag.claim_id)
    else:
        source, subject = "platform", PlatformRecord.objects.select_for_update().get(pk=flag.platform_record_id)
    revoked = _revoke_credit(subject, now=now)
    if revoked:
        record_event(actor=actor, action=f"{source}.credit_revoke", target=subject, at=now, after={
            "flag": flag.pk, "rule": flag.rule, "year": subject.year, "category": subject.category,
            "hours": str(subject.hours),
        })
    why = f"市人社局筛查确认：{flag.get_rule_display()}（疑点 #{flag.pk}）" + (f"。{reason}" if reason else "")
    revoked_certificates = []
    for certificate in certificates_at_stake(flag):
        certificate_revoke(certificate=certificate, reason=why, actor=actor, now=now)
        revoked_certificates.append(certificate.serial)
    successor = certificates_supersede_for(subject.professional_id, subject.year, actor=actor, now=now)
    return {"credit_revoked": revoked, "revoked_certificates": revoked_certificates,
            "valid_certificate": successor.serial if successor else None}
