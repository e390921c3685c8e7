"""Credited hours: the one place that keeps PersonYearTotal in step with what is credited.

Credited = platform records not revoked + claims approved and not revoked. Services that credit or revoke
call `add_to_year_totals` in the same transaction; `recompute_year_totals` rebuilds from the source rows
(used after screening revocations and by consistency checks).
"""
from collections import defaultdict
from decimal import Decimal

from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from .choices import SubjectCategory
from .models import Claim, PersonYearTotal, PlatformRecord

ZERO = Decimal("0")
Key = tuple[int, int]  # (professional_id, year)


def year_deltas(items) -> dict[Key, tuple[Decimal, Decimal]]:
    """Sum (professional_id, year, category, hours) items into per-person-year (public, professional)."""
    sums: dict[Key, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for professional_id, year, category, hours in items:
        sums[(professional_id, year)][0 if category == SubjectCategory.PUBLIC else 1] += hours
    return {key: (pub, pro) for key, (pub, pro) in sums.items()}


def add_to_year_totals(deltas: dict[Key, tuple[Decimal, Decimal]]) -> None:
    """Add (or, with negative hours, subtract) in one upsert; concurrent callers never lose an update."""
    if not deltas:
        return
    table = PersonYearTotal._meta.db_table
    now = timezone.now()
    rows = sorted(deltas.items())  # a fixed order: two batches lock the same rows in the same order
    if connection.vendor == "postgresql":
        # One array per column: a short statement that psycopg and PostgreSQL parse the same way whatever
        # the number of rows (a 1,000-row VALUES list costs ≈ 5× more, mostly in parsing its 5,000 parameters).
        source = "SELECT u.*, %s FROM unnest(%s::bigint[], %s::smallint[], %s::numeric[], %s::numeric[]) AS u"
        params = [now, [pid for (pid, _), _ in rows], [year for (_, year), _ in rows],
                  [pub for _, (pub, _) in rows], [pro for _, (_, pro) in rows]]
    else:  # the SQLite demo
        source = "VALUES " + ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
        params = [p for (pid, year), (pub, pro) in rows for p in (pid, year, pub, pro, now)]
    sql = (
        f"INSERT INTO {table} (professional_id, year, public_hours, professional_hours, updated_at) "
        f"{source} ON CONFLICT (professional_id, year) DO UPDATE SET "
        f"public_hours = {table}.public_hours + excluded.public_hours, "
        f"professional_hours = {table}.professional_hours + excluded.professional_hours, "
        f"updated_at = excluded.updated_at"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def credited_hours(professional_id: int, year: int) -> tuple[Decimal, Decimal]:
    """(public, professional) credited in the year, from the kept totals."""
    total = PersonYearTotal.objects.filter(professional_id=professional_id, year=year).first()
    return (total.public_hours, total.professional_hours) if total else (ZERO, ZERO)


def recompute_year_totals(keys: list[Key]) -> None:
    """Rebuild the totals of these person-years from the credited source rows."""
    for professional_id, year in keys:
        sums = {SubjectCategory.PUBLIC: ZERO, SubjectCategory.PROFESSIONAL: ZERO}
        for source in (
            PlatformRecord.objects.filter(credit_revoked_at__isnull=True),
            Claim.objects.filter(status=Claim.Status.APPROVED, credit_revoked_at__isnull=True),
        ):
            rows = source.filter(professional_id=professional_id, year=year).values("category").annotate(h=Sum("hours"))
            for row in rows:
                sums[row["category"]] += row["h"]
        PersonYearTotal.objects.update_or_create(
            professional_id=professional_id, year=year,
            defaults={"public_hours": sums[SubjectCategory.PUBLIC],
                      "professional_hours": sums[SubjectCategory.PROFESSIONAL]},
        )
