"""Queue and monitor latency and the mark-overdue wall time at city scale (issue 5, "Speed").

    .venv/bin/python bench/review_bench.py --claims 300000
    .venv/bin/python bench/review_bench.py --claims 3000000 --duration 30

Builds a fresh PostgreSQL database (default ce_bench_review on 127.0.0.1, dropped first), migrates it,
writes the city's registry with `seed_demo --size city` (3,000 units, 200,000 people), then COPYs in N
claims with their evidence rows and review decisions:

- 20,000 claims waiting for a decision that fell due yesterday and are not flagged yet: what the
  mark-overdue run after midnight has to flag (15,000 at level 1, 5,000 at level 2);
- 3 % of N waiting and not yet due (due within the next 7 days), 1 % of N waiting, overdue and flagged
  (due 2–60 days ago): the backlog that the queues and monitors show;
- the rest decided over the past year (approved with two decisions, rejected, returned, withdrawn) or drafts.

Claims go to people drawn at random, so a unit's share follows its size; the queue measured is the level-1
queue of the city's largest unit, the monitor the county monitor of 新华区. It then runs gunicorn (2 sync
workers, persistent database connections, DEBUG off) on loopback and drives each page with 8 concurrent
connections (wrk if installed, else a small Python client), and prints p50/p99, the mark-overdue wall time
(median and best of 5, the 20,000 reset between runs), the monitor refresh time, and EXPLAIN ANALYZE of the queries
that matter. Everything talks to 127.0.0.1 only, and every load loop stops after --duration seconds.
"""
import argparse
import datetime as dt
import http.client
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from common import bench_login, city_database, log

ROOT = Path(__file__).resolve().parent.parent
BECOMING_OVERDUE = (15_000, 5_000)  # level 1, level 2
PORT = 8765


# --- data ----------------------------------------------------------------------------------------------

def load_claims(n: int, *, today: dt.date, seed: int = 20251015) -> dict:
    """COPY n claims, one evidence row per submitted claim, and the decisions; returns what was written."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from audits.review.models import ReviewDecision
    from ce_portal.clock import SHANGHAI
    from ce_portal.demo.registry import bulk_load
    from records.hours.models import Claim, EvidenceFile
    from records.people.models import Employment

    rng = random.Random(seed)
    people = list(Employment.objects.filter(ended_on__isnull=True).values_list(
        "professional_id", "unit_id", "unit__region_id", "unit__authority_id"))
    reviewer = get_user_model().objects.create(username="bench_system", first_name="压测审核人")
    yesterday = today - dt.timedelta(days=1)

    claim_fields = [f for f in Claim._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: (f.get_default() if f.has_default() else None) for f in claim_fields}
    columns = [f.column for f in claim_fields]

    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('records_claim_id_seq')")
        first_id = cursor.fetchone()[0]
        cursor.execute("SELECT setval('records_claim_id_seq', %s)", [first_id + n])

    decisions, evidence = [], []
    counts = {}

    def at(day: dt.date, hour: int = 10) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)

    def claim_rows():
        waiting_new = sum(BECOMING_OVERDUE)
        waiting_due, waiting_overdue = int(n * 0.03), int(n * 0.01)
        for k in range(n):
            pk = first_id + k
            professional_id, unit_id, region_id, authority_id = rng.choice(people)
            row = dict(defaults)
            if k < waiting_new:
                kind = "new_l1" if k < BECOMING_OVERDUE[0] else "new_l2"
                due, flagged = yesterday, None
            elif k < waiting_new + waiting_due:
                kind, due, flagged = rng.choice(("due_l1", "due_l1", "due_l2")), today + dt.timedelta(
                    days=rng.randrange(8)), None
            elif k < waiting_new + waiting_due + waiting_overdue:
                kind = rng.choice(("late_l1", "late_l1", "late_l2"))
                due = today - dt.timedelta(days=rng.randrange(2, 61))
                flagged = at(due + dt.timedelta(days=1), 0)
            else:
                kind = rng.choices(("approved", "rejected", "returned", "withdrawn", "draft"), (85, 5, 4, 3, 3))[0]
                due, flagged = today - dt.timedelta(days=rng.randrange(10, 365)), None
            group = kind.split("_")[0]
            counts[group] = counts.get(group, 0) + 1
            level2 = kind.endswith("_l2")
            filed = due - dt.timedelta(days=7 if not level2 else 14)
            start = filed - dt.timedelta(days=rng.randrange(1, 60))
            row.update(
                professional_id=professional_id, unit_id=unit_id, region_id=region_id,
                level2_authority_id=authority_id, level2_region_id=None if authority_id else region_id,
                year=start.year, category=rng.choice(("public", "professional")), kind="face_to_face",
                title=f"专题培训班第{k % 997}期", content="", provider_name="平顶山学院", start_date=start,
                end_date=start, hours=rng.choice((4, 8, 16)), result="", external_certificate_no="",
                version=1, created_at=at(filed), updated_at=at(filed), submitted_at=at(filed), filed_on=filed,
                overdue_since=flagged,
            )
            if kind.endswith("_l1"):
                row.update(status="submitted", review_started_on=filed, due_on=due)
            elif level2:
                row.update(status="unit_approved", review_started_on=filed + dt.timedelta(days=6), due_on=due)
                decisions.append((pk, 1, "approve", at(filed + dt.timedelta(days=6)), True))
            elif kind == "draft":
                row.update(status="draft", version=0, submitted_at=None, filed_on=None)
            else:
                on_time = rng.random() < 0.9
                decided = at(due - dt.timedelta(days=0 if on_time else -2), 15)
                row.update(status=kind, review_started_on=filed, due_on=due, decided_at=decided)
                if kind in ("approved", "rejected", "returned"):
                    decisions.append((pk, 1, "approve" if kind == "approved" else "return", decided, on_time))
                if kind == "approved":
                    row.update(review_started_on=decided.date(), due_on=due + dt.timedelta(days=7))
                    decisions.append((pk, 2, "approve", decided + dt.timedelta(days=5), rng.random() < 0.9))
            if row["filed_on"]:
                evidence.append((pk, row["submitted_at"]))
            yield [row[f.attname] for f in claim_fields]

    # The city seed has a month of review traffic of its own: count what this load adds.
    before = ReviewDecision.objects.count(), EvidenceFile.objects.count()
    with transaction.atomic(), bulk_load(("records_claim", "records_evidencefile", "audits_reviewdecision")):
        _copy_all(n, columns, first_id, claim_rows, evidence, decisions, reviewer)
        started = time.perf_counter()
    log(f"indexes and foreign keys rebuilt in {time.perf_counter() - started:.1f} s")
    added = ReviewDecision.objects.count() - before[0], EvidenceFile.objects.count() - before[1]
    assert added == (len(decisions), len(evidence)), (added, len(decisions), len(evidence))
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    log(f"VACUUM ANALYZE: {time.perf_counter() - started:.1f} s")
    return {"claims": n, "evidence": len(evidence), "decisions": len(decisions), **counts}


def _copy_all(n, columns, first_id, claim_rows, evidence, decisions, reviewer):
    started = time.perf_counter()
    copy_rows(f"COPY records_claim (id, {', '.join(columns)}) FROM STDIN",
              ((first_id + k, *values) for k, values in enumerate(claim_rows())))
    log(f"claims: {n:,} in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    copy_rows(
        "COPY records_evidencefile (claim_id, file, original_name, content_type, size, sha256, uploaded_by_id,"
        " uploaded_at, submitted_at) FROM STDIN",
        ((pk, f"evidence/bench/{pk}", "证书.pdf", "application/pdf", 1000, f"{pk:064x}", reviewer.pk, when, when)
         for pk, when in evidence),
    )
    log(f"evidence: {len(evidence):,} in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    copy_rows(
        "COPY audits_reviewdecision (claim_id, level, action, reason, reviewer_id, at, on_time) FROM STDIN",
        ((pk, level, action, "" if action == "approve" else "材料不全", reviewer.pk, when, on_time)
         for pk, level, action, when, on_time in decisions),
    )
    log(f"decisions: {len(decisions):,} in {time.perf_counter() - started:.1f} s")


def copy_rows(statement: str, rows) -> None:
    from django.db import connection

    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def bench_users() -> dict:
    """The level-1 reviewer of the largest unit and the county bureau of 新华区, with session cookies."""
    from django.db.models import Count, Q

    from records.hours.models import Claim
    from records.people.models import Region, Role, Unit

    unit = Unit.objects.annotate(n=Count("employments", filter=Q(employments__ended_on__isnull=True))).order_by(
        "-n").first()
    county = Region.objects.get(name="新华区")
    users = {
        "bench_unit": bench_login("bench_unit", "bench_unit", Role.UNIT_REVIEWER, unit=unit),
        "bench_county": bench_login("bench_county", "bench_county", Role.COUNTY_HR, region=county),
    }
    pending = Claim.objects.filter(unit=unit, status="submitted").count()
    log(f"queue of {unit.name} ({unit.n} staff): {pending} claims at level 1; county {county.name}")
    return {"users": users, "unit": unit, "county": county, "queue_rows": pending}


def measured_pages(who: dict) -> dict:
    """The two pages measured under load, by name: (path, user, session cookie, text the page must show)."""
    from django.urls import reverse

    unit_user, unit_cookie = who["users"]["bench_unit"]
    county_user, county_cookie = who["users"]["bench_county"]
    return {
        "queue": (reverse("review:queue"), unit_user, unit_cookie, "审核"),
        "county_monitor": (reverse("monitor:region", args=[who["county"].pk]), county_user, county_cookie,
                           "新华区逾期审核监控"),
    }


def snapshot_history(today: dt.date, days: int = 90) -> None:
    """Earlier days' monitor figures, so that the chart reads a realistic 90 days of rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audits_overduesnapshot WHERE date <> %s", [today])
        cursor.execute(
            """
            INSERT INTO audits_overduesnapshot (date, region_id, unit_id, authority_id, pending, overdue,
                oldest_overdue_due_on, decided, decided_on_time, flagged, computed_at)
            SELECT s.date - k, s.region_id, s.unit_id, s.authority_id, s.pending, (s.overdue * (80 + k %% 40)) / 100,
                   s.oldest_overdue_due_on, s.decided, s.decided_on_time, s.flagged,
                   s.computed_at - make_interval(days => k)
            FROM audits_overduesnapshot s CROSS JOIN generate_series(1, %s) AS k
            WHERE s.date = %s
            """,
            [days - 1, today],
        )
        cursor.execute("ANALYZE audits_overduesnapshot")


# --- timers ------------------------------------------------------------------------------------------------

def time_mark_overdue(today: dt.date, runs: int = 5) -> tuple[list[float], int, str]:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from audits.review.services import mark_overdue
    from ce_portal.clock import business_now
    from records.hours.models import Claim

    yesterday = today - dt.timedelta(days=1)

    def reset():
        Claim.objects.filter(status__in=["submitted", "unit_approved"], due_on=yesterday).update(overdue_since=None)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE records_claim")

    reset()
    # The statements mark_overdue really sends, each then EXPLAIN ANALYZEd; all of it rolled back.
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        mark_overdue(today=today, now=business_now())
        transaction.set_rollback(True)
    plans = []
    for query in captured.captured_queries:
        if query["sql"].startswith("UPDATE"):
            with transaction.atomic():
                plans.append(f"-- {query['sql']}\n{explain(query['sql'])}")
                transaction.set_rollback(True)
    seconds, flagged = [], 0
    for _ in range(runs):  # the best of several is the figure least disturbed by the machine's other work
        # Every run from the same state, as the night's run finds it: the rows not flagged, and no dead row
        # versions left on their pages by the rolled-back runs above or by the run before.
        reset()
        started = time.perf_counter()
        flagged = mark_overdue(today=today, now=business_now()).total
        seconds.append(time.perf_counter() - started)
    return seconds, flagged, "\n\n".join(plans)


@contextmanager
def without_redundant_indexes(table: str):
    """For the what-if: the single-column indexes whose column leads a composite index, and LIKE-only
    twins, dropped for the block and built again after it (the database keeps the project's schema)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, i.indkey::int2[], pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass"
            " AND NOT i.indisprimary AND NOT i.indisunique", [table])
        indexes = cursor.fetchall()
        leading = {tuple(keys[:1]) for _, keys, _ in indexes if len(keys) > 1}
        dropped = [(name, definition) for name, keys, definition in indexes
                   if (len(keys) == 1 and tuple(keys) in leading) or "varchar_pattern_ops" in definition]
        for name, _ in dropped:
            cursor.execute(f'DROP INDEX "{name}"')
    yield [name for name, _ in dropped]
    with connection.cursor() as cursor:
        for _, definition in dropped:
            cursor.execute(definition)


def time_snapshot_refresh(today: dt.date) -> float:
    from audits.monitor.services import snapshot_refresh
    from ce_portal.clock import business_now

    started = time.perf_counter()
    snapshot_refresh(today=today, now=business_now())
    return time.perf_counter() - started


def explain(sql: str) -> str:
    """`sql` as Django captured it, values already in (no placeholders left to fill)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def page_plans(user, path: str, top: int = 3) -> tuple[int, str]:
    """Fetch the page in-process, then EXPLAIN ANALYZE its slowest SELECTs (the plans that matter)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user)
    client.get(path)  # warm the caches (scope, calendar) as a live worker would have them
    # but show the plans of a monitor's first view after a refresh: a query string no view had yet is a body
    # the cache does not hold (audits/monitor/views.py); the other pages ignore the unknown parameter.
    first_view = f"{path}{'&' if '?' in path else '?'}first-view={time.time_ns()}"
    with CaptureQueriesContext(connection) as captured:
        status = client.get(first_view).status_code
    timed = []
    for query in captured.captured_queries:
        if query["sql"].lstrip().upper().startswith("SELECT") and "django_session" not in query["sql"]:
            plan = explain(query["sql"])
            total = float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1))
            timed.append((total, query["sql"], plan))
    timed.sort(reverse=True)
    lines = [f"{len(captured.captured_queries)} queries; slowest {min(top, len(timed))}:"]
    for total, sql, plan in timed[:top]:
        lines += [f"-- {total:.2f} ms: {sql[:600]}{' …' if len(sql) > 600 else ''}", plan, ""]
    return status, "\n".join(lines)


# --- load ------------------------------------------------------------------------------------------------

def start_gunicorn(env: dict) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "ce_portal.wsgi:application", "-c", "python:ce_portal.server",
         "-w", "2", "-b", f"127.0.0.1:{PORT}",
         "--access-logfile", "/dev/null", "--error-logfile", "-", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    for _ in range(120):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            conn.request("GET", "/login/")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("gunicorn did not start")


def check_page(path: str, cookie: str, expect: str) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    conn.request("GET", path, headers={"Cookie": f"sessionid={cookie}"})
    response = conn.getresponse()
    body = response.read().decode()
    if response.status != 200 or expect not in body:
        raise RuntimeError(f"{path}: HTTP {response.status}, expected text {expect!r} missing")


def load(path: str, cookie: str, *, seconds: int, connections: int = 8) -> dict:
    if shutil.which("wrk"):
        return _wrk(path, cookie, seconds=seconds, connections=connections)
    return _python_load(path, cookie, seconds=seconds, connections=connections)


def _wrk(path: str, cookie: str, *, seconds: int, connections: int) -> dict:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s",
         "-H", f"Cookie: sessionid={cookie}", f"http://127.0.0.1:{PORT}{path}"],
        check=True, capture_output=True, text=True,
    ).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"wrk saw errors on {path}:\n{out}")

    def ms(label: str) -> float:
        value, unit = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return {"tool": "wrk", "requests": requests, "rps": requests / seconds, "p50_ms": ms("50"), "p99_ms": ms("99")}


def _python_load(path: str, cookie: str, *, seconds: int, connections: int) -> dict:
    latencies, stop = [], time.monotonic() + seconds
    lock = threading.Lock()

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        mine = []
        while time.monotonic() < stop:
            started = time.perf_counter()
            conn.request("GET", path, headers={"Cookie": f"sessionid={cookie}"})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{path}: HTTP {response.status}")
            mine.append((time.perf_counter() - started) * 1000)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    return {"tool": "python", "requests": len(latencies), "rps": len(latencies) / seconds,
            "p50_ms": statistics.median(latencies), "p99_ms": latencies[int(len(latencies) * 0.99) - 1]}


# --- main ------------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=300_000)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/ce_bench_review")
    parser.add_argument("--duration", type=int, default=20, help="seconds of load per page")
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/8"))
    parser.add_argument("--out", help="write the figures and plans to this file too")
    parser.add_argument("--reuse", action="store_true", help="keep the database a previous run loaded")
    parser.add_argument("--lean-indexes", action="store_true",
                        help="what-if at the end: drop the redundant claim indexes and time mark-overdue again")
    args = parser.parse_args()
    assert urlsplit(args.database).hostname in ("127.0.0.1", "localhost", "::1"), "loopback only"

    os.environ.update(DATABASE_URL=args.database, REDIS_URL=args.redis, CONN_MAX_AGE="600", DEBUG="false",
                      ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
                      DJANGO_SETTINGS_MODULE="ce_portal.settings")
    city_database(args.database, reuse=args.reuse)
    from django.utils import timezone

    from ce_portal.clock import business_now

    today = timezone.localdate(business_now())
    if args.reuse:
        from records.hours.models import Claim

        written = {"claims": Claim.objects.count(), "reused": True}
    else:
        written = load_claims(args.claims, today=today)
    who = bench_users()

    refresh_s = time_snapshot_refresh(today)
    snapshot_history(today)
    mark_s, flagged, mark_plans = time_mark_overdue(today)
    refresh_again_s = time_snapshot_refresh(today)  # a rerun: today's rows replaced
    log(f"mark-overdue: {flagged:,} flagged; runs {', '.join(f'{s * 1000:.0f} ms' for s in mark_s)}")
    mark_load = os.getloadavg()[0]

    pages = measured_pages(who)
    plans = {name: page_plans(user, path) for name, (path, user, _, _) in pages.items()}

    server = start_gunicorn(dict(os.environ))
    results = {}
    try:
        for name, (path, _, cookie, expect) in pages.items():
            check_page(path, cookie, expect)
            load(path, cookie, seconds=3)  # warm both workers
            serial = _python_load(path, cookie, seconds=5, connections=1)
            results[name] = load(path, cookie, seconds=args.duration)
            results[name].update(serial_p50_ms=serial["p50_ms"], load_avg=os.getloadavg()[0])
            log(f"{name} {path}: {results[name]}")
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)

    report = [
        f"# review bench: {args.claims:,} claims, 3,000 units ({today}, {os.cpu_count()} cores)",
        f"data: {json.dumps(written, ensure_ascii=False)}",
        f"queue rows of the measured reviewer: {who['queue_rows']} (page of 50)",
        *(f"{name}: p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, {r['rps']:.0f} req/s "
          f"({r['requests']} requests, 8 connections, {r['tool']}); one connection alone: p50 "
          f"{r['serial_p50_ms']:.1f} ms; machine load average {r['load_avg']:.1f}" for name, r in results.items()),
        f"mark-overdue: {flagged:,} claims flagged; wall {', '.join(f'{s * 1000:.0f}' for s in mark_s)} ms "
        f"(median {statistics.median(mark_s) * 1000:.0f} ms, best {min(mark_s) * 1000:.0f} ms; "
        f"load average {mark_load:.1f})",
        f"monitor refresh (snapshot of every unit): {refresh_s * 1000:.0f} ms, again {refresh_again_s * 1000:.0f} ms",
        "",
        "## mark-overdue plans (UPDATE, rolled back)", mark_plans, "",
        *(f"## {name} (HTTP {status})\n{text}" for name, (status, text) in plans.items()),
    ]
    if args.lean_indexes:
        with without_redundant_indexes("records_claim") as dropped:
            lean_s, _, _ = time_mark_overdue(today)
        report[6:6] = [f"what-if, without the {len(dropped)} claim indexes that a composite index already leads "
                       f"with ({', '.join(dropped)}): mark-overdue {', '.join(f'{s * 1000:.0f}' for s in lean_s)} ms "
                       f"(median {statistics.median(lean_s) * 1000:.0f} ms)"]
    text = "\n".join(report)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
