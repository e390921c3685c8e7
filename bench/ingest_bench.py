"""Platform ingestion throughput through the real endpoint: gunicorn on loopback, PostgreSQL.

    .venv/bin/python bench/ingest_bench.py [--records 200000] [--batch 1000] [--threads 3] [--workers 2]
                                           [--db postgres://postgres@127.0.0.1:5432/ce_bench_ingest] [--py-spy]

Not timed: drop and recreate the database, migrate, `seed_demo --size city` (200,000 professionals),
issue a token for a 附件1 platform, build every request body, start gunicorn (--workers sync workers,
persistent database connections, DEBUG off) and send two warm-up batches.

Timed: --records records in batches of --batch, POSTed by --threads client threads over loopback. Every
response must be a 200 with every record `created`; the database must then hold exactly those rows and
the year totals must add up to the hours sent.

Printed: records per second, request latency, peak RSS (VmHWM) of each gunicorn worker, the CPU seconds
the workers, the database's PostgreSQL backends and this client used during the run (all share the
machine's cores; a shared machine's other load shows as the difference to the wall time), and,
with --py-spy, where the workers' time goes by phase of the request.
"""
import argparse
import datetime as dt
import http.client
import json
import os
import queue
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from common import fresh_database

ROOT = Path(__file__).resolve().parent.parent
URL_PATH = "/api/v1/platform/records/"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# py-spy frames → phase of the request, first match from the innermost frame outwards.
PHASES = [
    ("JSON parse", ("IngestJSONParser.parse (",)),
    ("authenticate", ("PlatformTokenAuthentication.authenticate (",)),
    ("validate (clean_batch)", ("clean_batch",)),
    ("learners query", ("_learners",)),
    ("policies query", ("_filing_closes",)),
    ("insert … ON CONFLICT", ("_insert_new",)),
    ("stored hashes query", ("_stored_hashes",)),
    ("year totals upsert", ("add_to_year_totals",)),
    ("commit", ("Atomic.__exit__ (",)),
    ("service, other", ("platform_records_ingest",)),
    ("response body", ("outcomes_summary", "JSONRenderer.render (")),
]


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True, env=env)


def prepare(env: dict) -> tuple[str, int, list[tuple[str, str]]]:
    """Issue a token for an approved public platform; return it, the platform id and (ID number, name) pairs."""
    script = (
        "import json;"
        "from platforms.registry.models import LearningPlatform;"
        "from platforms.ingest.services import platform_token_issue;"
        "from records.people.models import Professional;"
        "p = LearningPlatform.objects.filter(category='public', active=True).order_by('id').first();"
        "_, token = platform_token_issue(platform=p, label='bench', actor=None, ip=None);"
        "print(json.dumps({'token': token, 'platform': p.pk, 'years': p.years_approved,"
        " 'people': list(Professional.objects.values_list('id_number', 'name'))}))"
    )
    out = subprocess.run([sys.executable, "manage.py", "shell", "-c", script], cwd=ROOT, check=True, env=env,
                         capture_output=True, text=True).stdout
    data = json.loads(out.strip().splitlines()[-1])
    return data["token"], data["platform"], [tuple(p) for p in data["people"]]


def build_bodies(people, *, records: int, batch: int, prefix: str, now: dt.datetime, seed: int = 7):
    """Request bodies of `batch` records each; returns (bodies, total hours sent)."""
    rng = random.Random(seed)
    start = dt.datetime(now.year, 1, 1, 8, tzinfo=now.tzinfo)
    span = int((now - start).total_seconds()) - 3600
    bodies, total = [], Decimal("0")
    for b in range(0, records, batch):
        rows = []
        for i in range(b, min(b + batch, records)):
            id_number, name = people[rng.randrange(len(people))]
            hours = Decimal(rng.randrange(1, 9)) / 2
            total += hours
            rows.append({
                "external_id": f"{prefix}-{i:07d}",
                "id_number": id_number,
                "name": name,
                "course_title": f"公需科目：专业技术人员创新能力与职业道德建设（第{i % 40 + 1}讲）",
                "category": "public",
                "hours": str(hours),
                "completed_at": (start + dt.timedelta(seconds=rng.randrange(span))).isoformat(timespec="seconds"),
            })
        bodies.append(json.dumps({"records": rows}, ensure_ascii=False).encode())
    return bodies, total


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(port: int, token: str, body: bytes) -> tuple[int, dict, float]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("POST", URL_PATH, body, {"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        payload = json.loads(response.read())
        return response.status, payload, time.perf_counter() - started
    finally:
        conn.close()


def wait_until_up(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            status, _, _ = post(port, "warming-up", b"{}")
            if status == 401:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer in time")


def children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


def proc_status(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])  # kB
    raise KeyError(key)


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def postgres_cpu(database: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving `database` (other databases on the server are not ours)."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    title = f.read().decode(errors="replace")
                if title.startswith("postgres:") and f" {database} " in title:
                    found[int(entry)] = cpu_seconds(int(entry))
            except OSError:
                continue
    return found


def run(port: int, token: str, bodies: list[bytes], threads: int) -> tuple[float, list[float], Counter]:
    work: queue.Queue = queue.Queue()
    for body in bodies:
        work.put(body)
    latencies: list[float] = []
    statuses: Counter = Counter()
    failures: list[str] = []
    lock = threading.Lock()

    def client():
        while True:
            try:
                body = work.get_nowait()
            except queue.Empty:
                return
            status, payload, seconds = post(port, token, body)
            with lock:
                latencies.append(seconds)
                if status != 200:
                    failures.append(f"{status} {payload}")
                else:
                    statuses.update(r["status"] for r in payload["results"])

    started = time.perf_counter()
    pool = [threading.Thread(target=client) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} batches failed, first: {failures[0][:500]}")
    return elapsed, latencies, statuses


def phase_of(stack: str) -> str:
    frames = stack.split(";")
    for frame in reversed(frames):
        for phase, markers in PHASES:
            if any(marker in frame for marker in markers):
                return phase
    return "WSGI, Django and DRF request handling"


def summarise_profile(path: Path) -> list[tuple[str, float]]:
    samples: Counter = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack:
            samples[phase_of(stack)] += int(count)
    total = sum(samples.values()) or 1
    return [(phase, count / total) for phase, count in samples.most_common()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/ce_bench_ingest")
    parser.add_argument("--reuse-db", action="store_true", help="skip drop/migrate/seed (a previous run's DB)")
    parser.add_argument("--py-spy", action="store_true", help="sample the workers with py-spy (pip install py-spy)")
    parser.add_argument("--gunicorn-arg", action="append", default=[], metavar="ARG",
                        help="extra gunicorn argument for experiments, e.g. --gunicorn-arg=--config=tuning.py")
    args = parser.parse_args()

    env = {**os.environ, "DATABASE_URL": args.db, "DEBUG": "false", "CONN_MAX_AGE": "600", "LOG_LEVEL": "WARNING",
           "DJANGO_SETTINGS_MODULE": "ce_portal.settings"}
    env.pop("REDIS_URL", None)  # the endpoint does not use the cache or the queue
    if not args.reuse_db:
        t = time.perf_counter()
        fresh_database(args.db)
        manage(env, "migrate", "-v0")
        manage(env, "seed_demo", "--size", "city")
        print(f"setup: fresh database, migrate, seed_demo --size city in {time.perf_counter() - t:.0f} s")
    token, platform_id, people = prepare(env)
    now = dt.datetime.now(dt.timezone(dt.timedelta(hours=8)))
    run_id = f"{int(time.time()):x}"
    bodies, hours_sent = build_bodies(people, records=args.records, batch=args.batch, prefix=f"B{run_id}", now=now)
    warmup, _ = build_bodies(people, records=2 * args.batch, batch=args.batch, prefix=f"W{run_id}", now=now, seed=1)
    print(f"{len(people):,} professionals; {len(bodies)} bodies of {args.batch} records, "
          f"{sum(map(len, bodies)) / len(bodies) / 1024:.0f} KiB each")

    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "ce_portal.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.workers), "--worker-class", "sync", "--timeout", "120", *args.gunicorn_arg],
        cwd=ROOT, env=env,
    )
    spies: list[subprocess.Popen] = []
    try:
        wait_until_up(port, time.monotonic() + 60)
        run(port, token, warmup, args.threads)
        workers = children(server.pid)
        with psycopg.connect(args.db) as conn:
            rows_before = conn.execute("SELECT count(*) FROM records_platformrecord").fetchone()[0]
            hours_before = conn.execute(
                "SELECT coalesce(sum(public_hours), 0) FROM records_personyeartotal").fetchone()[0]

        profile_paths = []
        if args.py_spy:
            spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
            for pid in workers:
                path = Path(f"/tmp/ingest_bench_pyspy_{pid}.txt")
                profile_paths.append(path)
                spies.append(subprocess.Popen([spy, "record", "--pid", str(pid), "--format", "raw", "--rate", "250",
                                               "--nonblocking", "--output", str(path)],
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            time.sleep(1.0)

        cpu_before = {pid: cpu_seconds(pid) for pid in workers}
        database = urlsplit(args.db).path.lstrip("/")
        pg_before = postgres_cpu(database)
        me_before = time.process_time()
        elapsed, latencies, statuses = run(port, token, bodies, args.threads)
        worker_cpu = sum(cpu_seconds(pid) - cpu_before[pid] for pid in workers)
        pg_cpu = sum(seconds - pg_before.get(pid, 0.0) for pid, seconds in postgres_cpu(database).items())
        client_cpu = time.process_time() - me_before
        peaks = [proc_status(pid, "VmHWM") / 1024 for pid in workers]
        for spy in spies:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=30)

        with psycopg.connect(args.db) as conn:
            rows = conn.execute("SELECT count(*) FROM records_platformrecord").fetchone()[0] - rows_before
            hours = conn.execute("SELECT sum(public_hours) FROM records_personyeartotal").fetchone()[0] - hours_before
    finally:
        for spy in spies:
            if spy.poll() is None:
                spy.kill()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    assert statuses == Counter(created=args.records), statuses
    assert rows == args.records, (rows, args.records)
    assert hours == hours_sent, (hours, hours_sent)
    latencies.sort()
    print(f"\n{args.records:,} records in {len(bodies)} batches of {args.batch}, {args.threads} client threads, "
          f"{args.workers} gunicorn sync workers")
    print(f"  throughput      {args.records / elapsed:,.0f} records/s ({elapsed:.1f} s)")
    print(f"  batch latency   p50 {statistics.median(latencies) * 1000:.0f} ms, "
          f"p95 {latencies[int(len(latencies) * 0.95)] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")
    print(f"  peak RSS        {', '.join(f'{p:.0f} MiB' for p in peaks)} (gunicorn workers, VmHWM)")
    print(f"  CPU during run  workers {worker_cpu:.1f} s, PostgreSQL {pg_cpu:.1f} s, client {client_cpu:.1f} s "
          f"of {elapsed * os.cpu_count():.1f} core-seconds; "
          f"per 1,000 records: workers {worker_cpu / args.records * 1e6:.0f} ms, "
          f"PostgreSQL {pg_cpu / args.records * 1e6:.0f} ms")
    used = worker_cpu + pg_cpu + client_cpu
    print(f"  CPU-bound limit {args.records / used * os.cpu_count():,.0f} records/s if this were all the machine did "
          f"({os.cpu_count()} cores / {used / args.records * 1e6:.0f} ms of CPU per 1,000 records)")
    print(f"  verified        {rows:,} rows inserted, {hours:,} public hours credited = hours sent")
    if profile_paths:
        print("\nwhere the workers' time goes (py-spy samples, both workers):")
        merged = Path("/tmp/ingest_bench_pyspy_all.txt")
        merged.write_text("".join(p.read_text() for p in profile_paths if p.exists()))
        for phase, share in summarise_profile(merged):
            print(f"  {share:6.1%}  {phase}")


if __name__ == "__main__":
    main()
