"""Compliance lists at city scale (issue 6, "Speed"): one county's page and the whole city's XLSX.

    .venv/bin/python bench/compliance_bench.py                 # fresh ce_bench_compl, then measure
    .venv/bin/python bench/compliance_bench.py --reuse         # measure again on the loaded database

Builds a fresh PostgreSQL database (default ce_bench_compl on 127.0.0.1, dropped first), migrates it and
runs `seed_demo --size city`: 3,000 units, 200,000 people and, through the demo's hours stage, about
ten platform records per person and year for the last three years (credited into PersonYearTotal).
The list's figures and page index (one GROUP BY unit) are cached until a row that can move them appears;
the bench times that query uncached too.

Then, for the last finished year:
- the county page: gunicorn (2 sync workers, persistent database connections, DEBUG off) on loopback,
  8 concurrent connections for --duration seconds each on the county HR bureau's first page, a deep page
  and the non-compliant filter, and the county desk for reference (p50/p99 by wrk, else a Python client;
  CPU per request of the workers and PostgreSQL); the county is the one whose list is closest to 20,000
  people; EXPLAIN ANALYZE of the page's slowest queries;
- the whole city's XLSX: city_hr asks for it, a real Celery worker (solo pool, a queue of its own) builds
  it; wall time from the request to the file, the worker's peak RSS (VmHWM) against its RSS before the
  job, and the file's size and rows;
- the whole city's CSV streamed through gunicorn: time to the last byte.
Everything talks to 127.0.0.1 only. The machine is shared: the load average is printed with the figures.
"""
import argparse
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import review_bench  # noqa: E402  (its gunicorn, load and EXPLAIN helpers)
from common import bench_login, city_database, log  # noqa: E402
from review_bench import load, page_plans, start_gunicorn  # noqa: E402

review_bench.PORT = PORT = 8766  # not the review bench's port: both may run on this machine at once
TARGET_COUNTY_PEOPLE = 20_000


def bench_users(year: int) -> dict:
    """The county HR bureau whose list of `year` is closest to 20,000 people, and city_hr; with sessions."""
    from django.db.models import Count

    from records.compliance.selectors import year_employments
    from records.people.models import Region, Role

    sizes = dict(year_employments(year).values_list("unit__region_id").annotate(n=Count("pk")))
    county_id = min(sizes, key=lambda pk: abs(sizes[pk] - TARGET_COUNTY_PEOPLE))
    county = Region.objects.get(pk=county_id)
    city = Region.objects.get(level=Region.Level.CITY)
    users = {username: bench_login(username, f"{region.name}人社局", role, region=region)
             for username, role, region in (("bench_county", Role.COUNTY_HR, county),
                                            ("bench_city", Role.CITY_HR, city))}
    largest = max(sizes.values())
    log(f"county {county.name}: {sizes[county_id]:,} people in {year} (largest county {largest:,})")
    return {"users": users, "county": county, "county_people": sizes[county_id]}


def cold_counts(user, year: int) -> str:
    """What the figures on top (and the page index) cost when they are not cached: the first page after any
    new credit or staff change."""
    import statistics

    from records.compliance.selectors import compliance_list

    listing = compliance_list(user, year=year)
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        listing.unit_figures()
        runs.append((time.perf_counter() - started) * 1000)
    line = (f"county figures uncached (the first page after a change): median {statistics.median(runs):.0f} ms "
            f"of {', '.join(f'{ms:.0f}' for ms in runs)} (load average {os.getloadavg()[0]:.1f})")
    log(line)
    return line


# --- the city's XLSX by a real worker --------------------------------------------------------------------

def _vm(pid: int, field: str) -> int:
    """A /proc/<pid>/status figure in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def city_xlsx(user, year: int) -> dict:
    from django.core.files.storage import default_storage
    from django.utils import timezone
    from openpyxl import load_workbook

    from ce_portal.celery import app as celery_app
    from records.compliance.models import ExportJob
    from records.compliance.selectors import Filters
    from records.compliance.services import compliance_export_request
    from records.compliance.tasks import compliance_export_task

    queue = f"ce_bench_compl_{uuid.uuid4().hex[:8]}"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "ce_portal", "worker", "-Q", queue, "-P", "solo",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"],
        cwd=ROOT, env={**os.environ, "CELERY_TASK_ALWAYS_EAGER": "false"}, start_new_session=True,
    )
    try:
        time.sleep(8)  # the worker imports Django and connects to Redis
        rss_before = _vm(worker.pid, "VmRSS")
        # The view's service as it is; only the task goes to the bench's own worker.
        celery_app.conf.task_routes = {compliance_export_task.name: {"queue": queue}}
        started = time.perf_counter()
        job = compliance_export_request(actor=user, filters=Filters(year=year), now=timezone.now())
        progress = []
        while True:
            job.refresh_from_db()
            progress.append((round(time.perf_counter() - started, 1), job.done))
            if job.status in (ExportJob.Status.READY, ExportJob.Status.FAILED):
                break
            if time.perf_counter() - started > 600:
                raise RuntimeError("the city's XLSX took more than 10 minutes")
            time.sleep(0.5)
        wall = time.perf_counter() - started
        peak = _vm(worker.pid, "VmHWM")
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
    if job.status != ExportJob.Status.READY:
        raise RuntimeError(f"export failed: {job.error}")
    size = default_storage.size(job.file.name)
    with job.file.open("rb") as handle:
        rows = sum(1 for _ in load_workbook(handle, read_only=True).active.iter_rows(values_only=True))
    return {"rows_listed": job.total, "sheet_rows": rows, "wall_s": wall, "file_mb": size / 1e6,
            "worker_rss_before_mb": rss_before / 1024, "worker_peak_rss_mb": peak / 1024,
            "progress": progress[:: max(1, len(progress) // 8)]}


def stream_csv(path: str, cookie: str) -> tuple[float, int, int]:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=600)
    started = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": f"sessionid={cookie}"})
    response = conn.getresponse()
    first_byte = None
    size = 0
    while chunk := response.read(1 << 16):
        first_byte = first_byte or time.perf_counter() - started
        size += len(chunk)
    if response.status != 200:
        raise RuntimeError(f"{path}: HTTP {response.status}")
    return time.perf_counter() - started, first_byte, size


def cpu_seconds(server_pid: int, database: str) -> float:
    """User + system CPU so far of the gunicorn workers and of the database's PostgreSQL backends: what the
    requests cost, whatever share of the machine the other sessions left them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [database])
        pids = [pid for (pid,) in cursor.fetchall()]
    pids += [int(pid) for pid in Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()]
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # a backend that has just gone
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


# --- main ------------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/ce_bench_compl")
    parser.add_argument("--duration", type=int, default=20, help="seconds of load per page")
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/5"))
    parser.add_argument("--media", default="/tmp/ce_bench_compl_media")
    parser.add_argument("--out", help="write the figures and plans to this file too")
    parser.add_argument("--reuse", action="store_true", help="keep the database a previous run loaded")
    args = parser.parse_args()
    assert urlsplit(args.database).hostname in ("127.0.0.1", "localhost", "::1"), "loopback only"

    os.environ.update(DATABASE_URL=args.database, REDIS_URL=args.redis, CONN_MAX_AGE="600", DEBUG="false",
                      ALLOWED_HOSTS="127.0.0.1,localhost,testserver", MEDIA_ROOT=args.media,
                      DJANGO_SETTINGS_MODULE="ce_portal.settings")
    city_database(args.database, reuse=args.reuse)
    from django.db import connection
    from django.urls import reverse

    from ce_portal.clock import business_today
    from records.hours.models import PersonYearTotal, PlatformRecord

    if not args.reuse:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        log(f"VACUUM ANALYZE: {time.perf_counter() - started:.1f} s")
    year = business_today().year - 1
    log(f"{PlatformRecord.objects.count():,} platform records, {PersonYearTotal.objects.count():,} person-years")
    who = bench_users(year)
    county_user, county_cookie = who["users"]["bench_county"]
    city_user, city_cookie = who["users"]["bench_city"]

    base = reverse("records:compliance")
    pages = {
        "county page 1": f"{base}?year={year}",
        "county page 200": f"{base}?year={year}&page=200",
        "county non-compliant": f"{base}?year={year}&compliant=no",
        # Not ours: the county desk's first page of units, for what this machine gives any page right now.
        "reference: county desk": reverse("records:county_home"),
    }
    report = [f"# compliance bench, {time.strftime('%Y-%m-%d %H:%M')}, year {year}, "
              f"county {who['county'].name} ({who['county_people']:,} people)"]
    status, plans = page_plans(county_user, pages["county page 1"])
    assert status == 200, status
    report.append(plans)
    report.append(cold_counts(county_user, year))

    database = urlsplit(args.database).path.lstrip("/")
    server = start_gunicorn({**os.environ})
    try:
        for name, path in pages.items():
            review_bench.check_page(path, county_cookie, "工作台" if "desk" in name else "达标")
            load(path, county_cookie, seconds=3)  # warm up both workers
            cpu_before = cpu_seconds(server.pid, database)
            figures = load(path, county_cookie, seconds=args.duration)
            cpu_ms = (cpu_seconds(server.pid, database) - cpu_before) * 1000 / figures["requests"]
            line = (f"{name}: p50 {figures['p50_ms']:.0f} ms, p99 {figures['p99_ms']:.0f} ms, "
                    f"{figures['rps']:.1f} req/s ({figures['tool']}, 8 connections, {args.duration} s; "
                    f"load average {os.getloadavg()[0]:.1f}); {cpu_ms:.1f} ms CPU a request (gunicorn + "
                    f"PostgreSQL), so at most {2000 / cpu_ms:.0f} req/s on two idle cores")
            log(line)
            report.append(line)
        for name, user_cookie in (("county", county_cookie), ("city", city_cookie)):
            seconds, first, size = stream_csv(f"{reverse('records:compliance_csv')}?year={year}", user_cookie)
            line = f"{name} CSV streamed: first byte {first * 1000:.0f} ms, all {size / 1e6:.1f} MB in {seconds:.1f} s"
            log(line)
            report.append(line)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    xlsx = city_xlsx(city_user, year)
    line = (f"city XLSX ({xlsx['rows_listed']:,} people, {xlsx['sheet_rows']:,} sheet rows, {xlsx['file_mb']:.1f} MB): "
            f"{xlsx['wall_s']:.1f} s from request to file by a Celery worker; worker RSS "
            f"{xlsx['worker_rss_before_mb']:.0f} MB before, peak {xlsx['worker_peak_rss_mb']:.0f} MB "
            f"(load average {os.getloadavg()[0]:.1f}); progress (s, rows) {xlsx['progress']}")
    log(line)
    report.append(line)

    text = "\n\n".join(report)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
