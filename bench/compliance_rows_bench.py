"""What building the compliance list's rows costs in Python, the database left out (issue 10).

    .venv/bin/python bench/compliance_rows_bench.py [--page-runs 2000] [--export-runs 7]

The list's two hot paths, fed with the value tuples the database would hand over (random but realistic
hours: one decimal place, a quarter of the people short of something):
- a page: 50 `ComplianceRow`s built and every figure the row's HTML reads (public, professional, total,
  compliant, shortfall), as a county HR bureau's page does;
- the city's export: the 200,000 rows of `table_rows`, as the XLSX and CSV writers read them (the writing
  itself left out).
Medians of many runs, in this one process, with the load average beside them: the machine is shared.
"""
import argparse
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CITY_PEOPLE = 200_000
PAGE_SIZE = 50


def values(n: int, *, seed: int = 10) -> list[tuple]:
    """n rows as `ComplianceList.queryset` gives them (COLUMNS), in 3,000 units of 6 counties."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        unit_id = i * 3_000 // n + 1
        public = Decimal(rng.choice([0, 12, 24, 30, 30, 32, 36, 45])).quantize(Decimal("0.1"))
        professional = Decimal(rng.choice([0, 30, 58.5, 60, 60, 64, 72, 90])).quantize(Decimal("0.1"))
        rows.append((i + 1, f"姓名{i}", f"41040219800101{i % 10_000:04d}", unit_id, f"单位{unit_id}",
                     unit_id % 6 + 1, f"县区{unit_id % 6 + 1}", "卫健委" if unit_id % 3 else None, public, professional))
    return rows


def listing_of(rows: list[tuple], scope):
    from records.compliance.selectors import ComplianceList, Filters
    from records.hours.models import RequirementPolicy

    policy = RequirementPolicy(year=2025, total_hours=Decimal("90"), public_hours=Decimal("30"),
                               professional_hours=Decimal("60"))
    listing = ComplianceList(filters=Filters(year=2025), policy=policy, scope=scope, base=None)
    # What `iterator` yields, read from the tuples instead of the database.
    listing.iterator = lambda: (listing._row(value) for value in rows)
    return listing


def median_ms(run, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--page-runs", type=int, default=2000)
    parser.add_argument("--export-runs", type=int, default=7)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ce_portal.settings")
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/unused")  # never connected to
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from records.compliance.services import table_rows
    from records.people.access import Scope

    county = Scope(roles=frozenset({"county_hr"}), region_ids=frozenset({1}))  # masks five counties of six
    page_values = values(PAGE_SIZE)
    page = listing_of(page_values, county)

    def one_page():
        for row in (page._row(value) for value in page_values):
            row.public, row.professional, row.total, row.compliant, row.shortfall

    city = listing_of(values(CITY_PEOPLE), Scope(city_region_ids=frozenset({99})))
    page_ms, page_best = median_ms(one_page, args.page_runs)
    export_ms, export_best = median_ms(lambda: sum(1 for _ in table_rows(city)), args.export_runs)
    print(f"page of {PAGE_SIZE} rows: median {page_ms * 1000:.0f} µs (best {page_best * 1000:.0f}) of {args.page_runs} runs")
    print(f"export's {CITY_PEOPLE:,} rows: median {export_ms:.0f} ms (best {export_best:.0f}) of {args.export_runs} runs")
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
