"""Writes of the platform API: its tokens, and registering the records a platform pushes (自动登记学时)."""
import datetime as dt

from django.db import IntegrityError, connection, transaction
from django.db.models.expressions import RawSQL

from audits.calendar.selectors import current_calendar
from audits.trail.services import record_event
from ce_portal.crypto import keyed_content_hash, lookup_digest
from platforms.ingest import rules as ingest
from platforms.ingest.models import PlatformToken
from platforms.ingest.rules import CleanRecord, Learner, Outcome, Rejection, generate_token
from platforms.registry.models import LearningPlatform
from records.hours.models import MakeUpExemption, PlatformRecord, RequirementPolicy
from records.hours.rules import default_year_closes, platform_record_year_refusal
from records.hours.services import add_to_year_totals, year_deltas
from records.people.models import Professional


def _token_state(token: PlatformToken) -> dict:
    return {"platform": token.platform_id, "label": token.label, "prefix": token.prefix,
            "revoked_at": token.revoked_at}


@transaction.atomic
def platform_token_issue(*, platform: LearningPlatform, label: str, actor, ip: str | None) -> tuple[PlatformToken, str]:
    """A new token for the platform; returns the row and the token itself, which exists nowhere else and
    must be shown to city_hr now (only its SHA-256 is kept)."""
    token, prefix, digest = generate_token()
    row = PlatformToken.objects.create(platform=platform, label=label, prefix=prefix, token_hash=digest)
    record_event(actor=actor, action="platform_token.issue", target=row, after=_token_state(row), ip=ip)
    return row, token


@transaction.atomic
def platform_token_revoke(*, token: PlatformToken, actor, ip: str | None, now: dt.datetime) -> bool:
    """Revoke at once (the next request with it gets 401 token_revoked). False if it already was."""
    token = PlatformToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return False
    before = _token_state(token)
    token.revoked_at = now
    token.save(update_fields=["revoked_at"])
    record_event(actor=actor, action="platform_token.revoke", target=token, before=before,
                 after=_token_state(token), ip=ip)
    return True


_TABLE = PlatformRecord._meta.db_table


_COLUMNS = ("external_id", "professional_id", "course_title", "category", "hours", "completed_at", "year",
            "content_hash")


# The batch's rows are staged here by COPY; the session keeps the table, each commit empties it.
_STAGING = "platform_record_staging"


_STAGING_DDL = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGING} (external_id text, professional_id bigint, course_title text, "
    "category text, hours numeric, completed_at timestamptz, year smallint, content_hash text) ON COMMIT DELETE ROWS"
)


_KEY_RACE_ATTEMPTS = 3


def _lost_key_race(error: IntegrityError) -> bool:
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) == "records_platformrecordkey_pkey"


def _insert_new(platform_id: int, rows: list[tuple], received_at: dt.datetime) -> set[str]:
    """Insert the rows whose external_id the platform has not used yet; return their external_ids.

    On PostgreSQL the rows go in by COPY to a staging table and then one INSERT … SELECT … ON CONFLICT DO
    NOTHING: COPY costs the client ≈ 4 ms per 1,000 rows where binding them as arrays or VALUES costs ≈ 20
    (bench/ingest_bench.py). Rows go in ordered by external_id, so two concurrent batches wait on each
    other's unique-index entries in the same order and cannot deadlock; a concurrent batch that inserted
    the same external_id first makes ours skip it (ON CONFLICT waits for that batch's commit).
    """
    if not rows:
        return set()
    columns = ", ".join(("platform_id", "received_at", *_COLUMNS))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_STAGING_DDL)
            with cursor.cursor.copy(f"COPY {_STAGING} ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            sent = f"SELECT %s, %s, {', '.join(_COLUMNS)} FROM {_STAGING}"
            params = [platform_id, received_at]
        else:  # the SQLite demo (one writer at a time: the order does not matter there)
            sent = "VALUES " + ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(rows))
            params = [value for row in rows for value in (platform_id, received_at, *row)]
        # The table's unique index holds the year (it is partitioned by year on PostgreSQL): an id the
        # platform used in any year is looked for first.
        insert = (
            f"WITH sent ({columns}) AS ({sent}) "
            f"INSERT INTO {_TABLE} ({columns}) SELECT {columns} FROM sent "
            f"WHERE NOT EXISTS (SELECT 1 FROM {_TABLE} AS kept "
            "WHERE kept.platform_id = sent.platform_id AND kept.external_id = sent.external_id) "
            "ORDER BY external_id ON CONFLICT (platform_id, external_id, year) DO NOTHING RETURNING external_id"
        )
        # Two concurrent batches sending one id under two years both pass that look; the key table's trigger
        # (records migration 0033) makes the later wait for the earlier's commit and then refuse the id. Run
        # again, the look sees the earlier's record and leaves the id out: a conflict, as any resend with
        # other content. A retry follows another batch's commit; should three not settle it, the error stands
        # and the platform's retry of the batch will.
        for attempt in range(_KEY_RACE_ATTEMPTS):
            try:
                with transaction.atomic():
                    cursor.execute(insert, params)
                    return {external_id for (external_id,) in cursor.fetchall()}
            except IntegrityError as error:
                if attempt == _KEY_RACE_ATTEMPTS - 1 or not _lost_key_race(error):
                    raise


def _any_of(values) -> list[str] | RawSQL:
    """The right-hand side of a batch-sized `__in`. On PostgreSQL one array parameter, unnested in a
    subquery: planned as a join of index probes, it runs ≈ 3× faster than `IN` with 1,000 parameters (or
    `= ANY(array)`), and the client binds one parameter instead of 1,000 (bench/ingest_bench.py)."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::text[])", [list(values)])
    return list(values)


def _stored_hashes(platform_id: int, external_ids: list[str]) -> dict[str, str]:
    rows = PlatformRecord.objects.filter(platform_id=platform_id, external_id__in=_any_of(external_ids))
    return dict(rows.values_list("external_id", "content_hash"))


def _learners(id_numbers: set[str]) -> dict[str, Learner]:
    """The learners of a batch by their digests (`id_numbers_q`'s match, batched as `_any_of`): nothing to
    decrypt, one index probe per number."""
    number_of = {lookup_digest(number): number for number in id_numbers}
    rows = Professional.objects.filter(id_number_digest__in=_any_of(number_of))
    return {number_of[digest]: Learner(pk, name, status) for digest, pk, name, status in
            rows.values_list("id_number_digest", "id", "name", "status")}


def _year_policies(years: set[int]) -> dict[int, RequirementPolicy]:
    """The policies of these years, in one query. A year without a policy row is left out and gets the
    rule's defaults (closes, grace), which is what `RequirementPolicy.objects.for_year` would give it."""
    return {p.year: p for p in RequirementPolicy.objects.filter(year__in=years)}


def _year_refusal_of(record: CleanRecord, now: dt.datetime, policy: RequirementPolicy | None, exemption=None):
    if policy is None:
        closes = default_year_closes(record.year, current_calendar())
        return platform_record_year_refusal(record.year, record.completed_at, now, exemption,
                                            filing_close=closes.platform_records)
    return platform_record_year_refusal(record.year, record.completed_at, now, exemption,
                                        filing_close=policy.closes().platform_records,
                                        grace_days=policy.late_push_grace_days)


def _exemptions(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], list[MakeUpExemption]]:
    """Make-up exemptions of these (professional_id, year) pairs, valid or not, in one query."""
    found: dict[tuple[int, int], list[MakeUpExemption]] = {}
    rows = MakeUpExemption.objects.filter(
        professional_id__in={pid for pid, _ in pairs}, year__in={year for _, year in pairs}
    )
    for exemption in rows:
        found.setdefault((exemption.professional_id, exemption.year), []).append(exemption)
    return found


def _year_rejection(refusal) -> Rejection:
    return Rejection(refusal.code, refusal.message, "completed_at")


def _sent_external_id(raw) -> str | None:
    value = raw.get("external_id") if isinstance(raw, dict) else None
    return value.strip()[:64] if isinstance(value, str) else None


def _against_stored(record: CleanRecord, stored_hash: str | None) -> Outcome:
    """A record whose external_id is already registered: the same content is a harmless resend, other
    content a conflict that changes nothing."""
    if stored_hash == keyed_content_hash(record.content_hash):
        return Outcome("duplicate", record.external_id)
    return Outcome("rejected", record.external_id, ingest.CONFLICT)


def _admissible(candidates: list[CleanRecord], *, platform: LearningPlatform, now: dt.datetime
                ) -> tuple[list[tuple[CleanRecord, int]], list[tuple[CleanRecord, Rejection]]]:
    """Split clean records by what the database knows: (record, learner id) pairs to register, and
    (record, rejection) pairs refused for the platform's approved years, the learner or the filing year."""
    learners = _learners({c.id_number for c in candidates})
    policies = _year_policies({c.year for c in candidates})
    accepted: list[tuple[CleanRecord, int]] = []
    refused: list[tuple[CleanRecord, Rejection]] = []
    closed: list[tuple[CleanRecord, int, object]] = []  # refused by the year alone: an exemption may reopen it
    for record in candidates:
        learner = learners.get(record.id_number)
        refusal = (ingest.platform_year_refusal(record.year, platform.years_approved)
                   or ingest.learner_refusal(record, learner))
        if refusal is not None:
            refused.append((record, refusal))
            continue
        year_refusal = _year_refusal_of(record, now, policies.get(record.year))
        if year_refusal is None:
            accepted.append((record, learner.id))
        elif year_refusal.code == "year_closed":
            closed.append((record, learner.id, year_refusal))
        else:
            refused.append((record, _year_rejection(year_refusal)))
    if closed:
        exemptions = _exemptions({(pid, record.year) for record, pid, _ in closed})
        for record, pid, year_refusal in closed:
            if any(_year_refusal_of(record, now, policies.get(record.year), exemption) is None
                   for exemption in exemptions.get((pid, record.year), ())):
                accepted.append((record, pid))
            else:
                refused.append((record, _year_rejection(year_refusal)))
    return accepted, refused


@transaction.atomic
def platform_records_ingest(*, platform: LearningPlatform, records: list, now: dt.datetime) -> list[Outcome]:
    """Register a batch; one Outcome per record, in order. Credits exactly the rows this call inserted.

    A constant number of queries whatever the batch size: learners, policies, (exemptions), the staging
    table and its COPY, the insert, (the stored hashes of the records not inserted) and the year totals.
    """
    cleaned = ingest.clean_batch(records, category=platform.category, now=now)
    outcomes: list[Outcome | None] = [None] * len(cleaned)
    candidates = []
    for index, result in enumerate(cleaned):
        if isinstance(result, Rejection):
            outcomes[index] = Outcome("rejected", _sent_external_id(records[index]), result)
        else:
            candidates.append(result)
    accepted, refused = _admissible(candidates, platform=platform, now=now) if candidates else ([], [])

    inserted = _insert_new(platform.pk, [
        (r.external_id, pid, r.course_title, r.category, r.hours, r.completed_at, r.year,
         keyed_content_hash(r.content_hash))
        for r, pid in accepted
    ], now)
    add_to_year_totals(year_deltas(
        (pid, r.year, r.category, r.hours) for r, pid in accepted if r.external_id in inserted
    ))

    # Refused records are looked up too: a resend of a registered record is a duplicate even if it would be
    # refused today (the year closed since), so a platform retrying after a timeout learns its record is in.
    others = [r for r, _ in accepted if r.external_id not in inserted] + [r for r, _ in refused]
    stored = _stored_hashes(platform.pk, [r.external_id for r in others]) if others else {}
    for record, _ in accepted:
        if record.external_id in inserted:
            outcomes[record.index] = Outcome("created", record.external_id)
        else:
            outcomes[record.index] = _against_stored(record, stored.get(record.external_id))
    for record, refusal in refused:
        if record.external_id in stored:
            outcomes[record.index] = _against_stored(record, stored[record.external_id])
        else:
            outcomes[record.index] = Outcome("rejected", record.external_id, refusal)
    return outcomes
