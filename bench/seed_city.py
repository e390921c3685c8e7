"""Times `seed_demo --size city` against a fresh PostgreSQL database and prints rows and seconds.

    .venv/bin/python bench/seed_city.py [postgres://postgres@127.0.0.1:5432/ce_bench_seed]

Drops and recreates the database, migrates it (not timed), then runs the command twice: the first run
writes the city, the second must find everything in place and change nothing.
"""
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from common import fresh_database
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
TABLES = ("records_industryauthority", "records_unit", "records_professional", "records_employment",
          "records_platformrecord", "records_personyeartotal")


def manage(url: str, *args: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, check=True, env={**os.environ, "DATABASE_URL": url},
    )
    return time.perf_counter() - started


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else "postgres://postgres@127.0.0.1:5432/ce_bench_seed"
    fresh_database(url)
    manage(url, "migrate", "-v0")

    first = manage(url, "seed_demo", "--size", "city")
    second = manage(url, "seed_demo", "--size", "city")

    with psycopg.connect(url) as conn:
        counts = {table: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()[0]
                  for table in TABLES}
    rows = sum(counts.values())
    print("\n".join(f"{table:28} {count:>9,}" for table, count in counts.items()))
    print(f"seed_demo --size city: {rows:,} rows in {first:.1f} s (whole command, incl. Django start-up) "
          f"= {rows / first:,.0f} rows/s; second run (no-op) {second:.1f} s")


if __name__ == "__main__":
    main()
