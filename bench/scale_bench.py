"""The portal at the city's size and at ten times its platform records and claims, both partitioned by year
(issue 15, "Scale, measured"; docs/scaling.md).

    .venv/bin/python bench/scale_bench.py [--database postgres://postgres@127.0.0.1:5432/ce_bench_scale]
                                          [--duration 20] [--out bench/results/scale.md]

One database, grown in place between the two measurements:

1. the city: `seed_demo --size city` (3,000 units, 200,000 people, 6.4M platform records over three years,
   each year in its partition) and 300,000 claims COPYed as bench/review_bench.py does (20,000 falling overdue
   tonight, 3 % waiting, 1 % overdue and flagged, the rest decided);
2. measured;
3. ten times: every platform record copied nine times under new external ids (64M, the same people and
   years: each year's partition ten times larger) and every decided claim nine times (3M): ten times the
   history under the same people and units. The work that does not grow with history stays as it was —
   tonight's 20,000 claims falling overdue, the reviewers' waiting claims — so the figures show what ten
   times the data costs the same work;
4. measured again, and both printed side by side with the ratio.

Measured at each size: platform ingestion through the real endpoint (bench/ingest_bench.py: 100,000 new
records in batches of 1,000, gunicorn with 2 workers, 3 client threads), the level-1 queue of the largest
unit and the county monitor of 新华区 under 8 connections for --duration seconds (p50/p99), the mark-overdue
run (median of 5), disk used per million platform records (table, indexes and the external-id key table),
and EXPLAIN ANALYZE of a person's year of platform records and of the pages' slowest queries.
"""
import argparse
import datetime as dt
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from common import ROOT, city_database, log
from review_bench import (
    _python_load, bench_users, check_page, load, load_claims, measured_pages, page_plans, snapshot_history,
    start_gunicorn, time_mark_overdue, time_snapshot_refresh,
)

CITY_CLAIMS = 300_000
GROWTH = 10
RECORDS = "records_platformrecord"


def sql(statement: str, params=None) -> list:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def grow_tenfold() -> None:
    """Nine copies of every platform record (new external ids) and of every decided claim, in bulk: the
    indexes dropped and built again, the key table filled in one statement."""
    from django.db import transaction

    from ce_portal.demo.registry import bulk_load

    started = time.perf_counter()
    columns = ("platform_id, professional_id, course_title, category, hours, completed_at, year, content_hash, "
               "received_at, credit_revoked_at")
    with transaction.atomic():
        sql("SET LOCAL maintenance_work_mem = '1GB'")
        sql(f"ALTER TABLE {RECORDS} DISABLE TRIGGER records_platformrecord_keep_keys")
        sql(f"ALTER TABLE {RECORDS} DROP CONSTRAINT platform_record_unique_external_id_year")
        sql(f"ALTER TABLE {RECORDS} DROP CONSTRAINT records_platformrecord_pkey")
        sql("ALTER TABLE records_platformrecordkey DROP CONSTRAINT records_platformrecordkey_pkey")
        with bulk_load((RECORDS,)):
            sql(f"INSERT INTO {RECORDS} (external_id, {columns}) SELECT external_id || '~' || k, {columns} "
                f"FROM {RECORDS} CROSS JOIN generate_series(1, %s) AS k", [GROWTH - 1])
            log(f"platform records ×{GROWTH}: {time.perf_counter() - started:.0f} s")
            sql(f"ALTER TABLE {RECORDS} ADD CONSTRAINT records_platformrecord_pkey PRIMARY KEY (id, year)")
            sql(f"ALTER TABLE {RECORDS} ADD CONSTRAINT platform_record_unique_external_id_year "
                "UNIQUE (platform_id, external_id, year)")
        sql(f"INSERT INTO records_platformrecordkey SELECT platform_id, external_id FROM {RECORDS} "
            "WHERE external_id LIKE '%%~%%'")
        sql("ALTER TABLE records_platformrecordkey ADD PRIMARY KEY (platform_id, external_id)")
        sql(f"ALTER TABLE {RECORDS} ENABLE TRIGGER records_platformrecord_keep_keys")
    log(f"platform records and keys with their indexes: {time.perf_counter() - started:.0f} s")

    started = time.perf_counter()
    from records.hours.models import Claim

    fields = [f.column for f in Claim._meta.concrete_fields if not f.primary_key]
    with transaction.atomic(), bulk_load(("records_claim",)):
        sql(f"INSERT INTO records_claim ({', '.join(fields)}) SELECT {', '.join(fields)} FROM records_claim "
            "CROSS JOIN generate_series(1, %s) WHERE status NOT IN ('submitted', 'unit_approved')", [GROWTH - 1])
    log(f"claims ×{GROWTH}: {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    sql("VACUUM ANALYZE")
    log(f"VACUUM ANALYZE: {time.perf_counter() - started:.0f} s")


def disk_per_million() -> dict:
    rows = sql(f"SELECT count(*) FROM {RECORDS}")[0][0]
    table = sql(
        "SELECT sum(pg_table_size(inhrelid))::bigint, sum(pg_indexes_size(inhrelid))::bigint FROM pg_inherits "
        "WHERE inhparent = %s::regclass", [RECORDS])[0]
    keys = sql("SELECT pg_total_relation_size('records_platformrecordkey')")[0][0]
    mib = 2 ** 20
    return {"records": rows, "table_mib": table[0] / mib, "indexes_mib": table[1] / mib, "keys_mib": keys / mib,
            "mib_per_million": (table[0] + table[1] + keys) / mib / (rows / 1e6)}


def person_year_plan(model, year: int) -> str:
    """A person's platform records or claims of one year, as their year page reads them: one partition."""
    from django.db import connection

    table = model._meta.db_table
    person = sql(f"SELECT professional_id FROM {table} WHERE year = %s LIMIT 1", [year])[0][0]
    query = model.objects.filter(professional_id=person, year=year).order_by("-id")
    with connection.cursor() as cursor:
        compiled, params = query.query.sql_with_params()
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def ingestion(database: str) -> dict:
    """bench/ingest_bench.py against this database: 100,000 new records through the endpoint."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "ingest_bench.py"), "--db", database, "--reuse-db", "--records", "100000"],
        cwd=ROOT, check=True, capture_output=True, text=True, env={k: v for k, v in os.environ.items()
                                                                  if k != "DJANGO_SETTINGS_MODULE"},
    ).stdout
    rate = float(re.search(r"throughput\s+([\d,]+) records/s", out).group(1).replace(",", ""))
    p50, p95 = map(int, re.search(r"batch latency\s+p50 (\d+) ms, p95 (\d+) ms", out).groups())
    return {"records_per_s": rate, "batch_p50_ms": p50, "batch_p95_ms": p95, "load_avg": os.getloadavg()[0]}


def measure(label: str, database: str, today: dt.date, duration: int) -> dict:
    log(f"measuring: {label}")
    figures = {"label": label, "disk": disk_per_million(),
               "claims": sql("SELECT count(*) FROM records_claim")[0][0]}
    figures["ingest"] = ingestion(database)
    log(f"ingestion: {figures['ingest']}")
    sql("VACUUM ANALYZE records_platformrecord")

    who = bench_users()
    time_snapshot_refresh(today)
    mark_s, flagged, mark_plans = time_mark_overdue(today)
    figures["mark_overdue"] = {"median_ms": statistics.median(mark_s) * 1000, "best_ms": min(mark_s) * 1000,
                               "flagged": flagged, "load_avg": os.getloadavg()[0]}
    time_snapshot_refresh(today)
    pages = measured_pages(who)
    plans = {name: page_plans(user, path) for name, (path, user, _, _) in pages.items()}
    server = start_gunicorn(dict(os.environ))
    try:
        for name, (path, _, cookie, expect) in pages.items():
            check_page(path, cookie, expect)
            load(path, cookie, seconds=3)
            serial = _python_load(path, cookie, seconds=5, connections=1)
            figures[name] = load(path, cookie, seconds=duration)
            figures[name].update(serial_p50_ms=serial["p50_ms"], load_avg=os.getloadavg()[0])
            log(f"{name}: {figures[name]}")
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
    from records.hours.models import Claim, PlatformRecord

    figures["plans"] = {
        "person_year_records": person_year_plan(PlatformRecord, today.year),
        "person_year_claims": person_year_plan(Claim, today.year),
        "mark_overdue": mark_plans,
        **{name: f"HTTP {status}\n{text}" for name, (status, text) in plans.items()},
    }
    return figures


def side_by_side(city: dict, tenfold: dict) -> list[str]:
    rows = [
        ("ingestion, records/s (higher is better)", lambda f: f["ingest"]["records_per_s"], "{:,.0f}", True),
        ("ingestion batch of 1,000, p95 ms", lambda f: f["ingest"]["batch_p95_ms"], "{:,.0f}", False),
        ("level-1 queue, p99 ms (8 connections)", lambda f: f["queue"]["p99_ms"], "{:.1f}", False),
        ("county monitor, p99 ms (8 connections)", lambda f: f["county_monitor"]["p99_ms"], "{:.1f}", False),
        ("mark-overdue, 20,000 claims, median ms", lambda f: f["mark_overdue"]["median_ms"], "{:.0f}", False),
        ("disk per million platform records, MiB", lambda f: f["disk"]["mib_per_million"], "{:.0f}", False),
    ]
    lines = [f"| figure | city ({city['disk']['records']:,} records, {city['claims']:,} claims) "
             f"| 10× ({tenfold['disk']['records']:,} records, {tenfold['claims']:,} claims) | 10× / city | within 1.5× |",
             "|---|---|---|---|---|"]
    for name, value, fmt, higher_better in rows:
        a, b = value(city), value(tenfold)
        cost = a / b if higher_better else b / a  # how much dearer the 10× figure is
        lines.append(f"| {name} | {fmt.format(a)} | {fmt.format(b)} | {b / a:.2f} | {'yes' if cost <= 1.5 else 'NO'} |")
    return lines


def report(city: dict, tenfold: dict, duration: int) -> str:
    def loads(f):
        return (f"load average: ingestion {f['ingest']['load_avg']:.1f}, mark-overdue {f['mark_overdue']['load_avg']:.1f}, "
                f"queue {f['queue']['load_avg']:.1f}, monitor {f['county_monitor']['load_avg']:.1f}")

    out = [f"# scale bench ({dt.date.today()}, {os.cpu_count()} cores, PostgreSQL 15, platform records and claims partitioned by year)",
           "", *side_by_side(city, tenfold), ""]
    for f in (city, tenfold):
        disk = f["disk"]
        out += [f"## {f['label']}", "",
                f"- {loads(f)}",
                f"- ingestion: {f['ingest']['records_per_s']:,.0f} records/s, batch p50 {f['ingest']['batch_p50_ms']} ms, "
                f"p95 {f['ingest']['batch_p95_ms']} ms",
                *(f"- {name}: p50 {f[name]['p50_ms']:.1f} ms, p99 {f[name]['p99_ms']:.1f} ms, {f[name]['rps']:.0f} req/s "
                  f"({f[name]['requests']} requests, {duration} s, {f[name]['tool']}); one connection alone p50 "
                  f"{f[name]['serial_p50_ms']:.1f} ms" for name in ("queue", "county_monitor")),
                f"- mark-overdue: {f['mark_overdue']['flagged']:,} flagged, median {f['mark_overdue']['median_ms']:.0f} ms, "
                f"best {f['mark_overdue']['best_ms']:.0f} ms",
                f"- disk: {disk['records']:,} platform records: table {disk['table_mib']:,.0f} MiB, indexes "
                f"{disk['indexes_mib']:,.0f} MiB, external-id keys {disk['keys_mib']:,.0f} MiB = "
                f"{disk['mib_per_million']:.0f} MiB per million records", ""]
        for name, plan in f["plans"].items():
            out += [f"### plan: {name}", "", "```", plan, "```", ""]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/ce_bench_scale")
    parser.add_argument("--duration", type=int, default=20, help="seconds of load per page")
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/8"))
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "scale.md"))
    parser.add_argument("--smoke", action="store_true",
                        help="a quick run of every step on the demo's data and 3,000 claims, to try the script")
    args = parser.parse_args()
    assert urlsplit(args.database).hostname in ("127.0.0.1", "localhost", "::1"), "loopback only"
    os.environ.update(DATABASE_URL=args.database, REDIS_URL=args.redis, CONN_MAX_AGE="600", DEBUG="false",
                      ALLOWED_HOSTS="127.0.0.1,localhost,testserver", DJANGO_SETTINGS_MODULE="ce_portal.settings")
    city_database(args.database, reuse=False, size="demo" if args.smoke else "city")
    from django.utils import timezone

    from ce_portal.clock import business_now

    today = timezone.localdate(business_now())
    load_claims(3_000 if args.smoke else CITY_CLAIMS, today=today)
    snapshot_history(today)
    city = measure("city", args.database, today, args.duration)
    Path(args.out).with_suffix(".city.json").write_text(json.dumps(city, ensure_ascii=False, indent=1))

    grow_tenfold()
    tenfold = measure(f"{GROWTH}× the records and claims", args.database, today, args.duration)
    text = report(city, tenfold, args.duration)
    Path(args.out).write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
