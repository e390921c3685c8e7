"""The portal under mixed load on the city's data (issue 11, "Load"): locust users on loopback, bounded in time.

    .venv/bin/python bench/load.py                                   # fresh ce_bench_load: 50 users, 120 s
    .venv/bin/python bench/load.py --reuse --users 5 --duration 15   # a smoke run on the loaded database

Not timed: a fresh PostgreSQL database (default ce_bench_load on 127.0.0.1, dropped first), migrated and
seeded with `seed_demo --size city` (3,000 units, 200,000 people, ≈ 2.5 min), or with --reuse the one a
previous run loaded (migrated again). Then the bench's accounts (made on the first run, new sessions each
run): in the county with the most units after the demo county (which holds the demo's log-ins and its
screening examples), one unit per reviewing user, each unit with no claim waiting but the bench's own, and
a few dozen of those units' staff given log-ins with the professional role (the city's people have none);
each unit's reviewer; the county's HR bureau; a token for one approved platform per pushing user. The city
seed has no review backlog (its month of review traffic is the demo size's): the queues hold the run's own
claims, and the queue and monitor at 300,000 claims are review_bench.py's. Sessions and tokens go to the plan file that
bench/load_users.py (the locustfile) reads. gunicorn (-c python:ce_portal.server, --workers sync workers,
DEBUG off, persistent connections) and a Celery worker (solo) run on loopback with a Redis database of the
bench's own (--redis, flushed at the start); every page is fetched a few times to warm the workers.

Timed: locust, headless, --users users (about 60 % professionals viewing their year and filing claims, 24 %
unit reviewers working their queues, 6 % platforms pushing batches of --batch records, 10 % the county
bureau on its monitor and compliance list; each kind at least one), spawned in about 5 s, for --duration
seconds, then --stop-timeout for the users to finish the task they are in (a filing is never cut between
the server's commit and the user's log line). The per-page figures are locust's after spawning completed
(--reset-stats); locust rounds response times above 100 ms to 2 significant digits.

Checked and printed: per page requests, requests/s, p50, p99, max and failures (a request fails on a wrong
status or when the page lacks its marker); every failure with its reason; responses by status class and any
5xx, and tracebacks in the server's log; then the counts: the claims the users filed, submitted and had
approved, and the records the platforms had created (each logged by the user once the server confirmed
it), against the database's new claims of the bench's people, decisions by the bench's reviewers and
records under the run's external-id prefix: none lost, none duplicated, none unreported; the hours the
platforms sent against the growth of the people's year totals; the audit trail's events of the run (one
per submission, approval and evidence view) and their hash chain. Also the machine's load average (the
machine may be shared: read the figures with it). Everything it starts (gunicorn, the worker, locust) is
stopped at the end, also on error. Exit status 1 when any check fails.
"""
import argparse
import datetime as dt
import http.client
import itertools
import json
import math
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

from common import bench_login, city_database, log

ROOT = Path(__file__).resolve().parent.parent
PORT = 8767  # not review_bench's 8765 nor compliance_bench's 8766: they may run on this machine at once
MIX = {"reviewer": 0.24, "platform": 0.06, "county": 0.10}  # the rest are professionals
MIN_PROFESSIONALS = 36
USERNAME = "bench_load"


def user_mix(users: int) -> dict[str, int]:
    if users < 4:
        raise SystemExit("--users: at least 4 (one of each kind)")
    mix = {kind: max(1, round(users * share)) for kind, share in MIX.items()}
    mix["professional"] = users - sum(mix.values())
    return mix


# --- accounts --------------------------------------------------------------------------------------------

def bench_county():
    from django.db.models import Count

    from ce_portal.demo.registry import DEMO_COUNTY
    from records.people.models import Region

    return (Region.objects.filter(level=Region.Level.COUNTY).exclude(name=DEMO_COUNTY)
            .annotate(n=Count("units")).order_by("-n", "pk").first())


def bench_accounts(mix: dict[str, int], *, today: dt.date) -> dict:
    """The plan's people: professionals, reviewers (one unit each), the county bureau, platform tokens."""
    from django.db.models import Count, Exists, OuterRef, Q

    from audits.review.services import waiting_statuses
    from platforms.ingest.services import platform_token_issue
    from platforms.registry.models import LearningPlatform
    from records.compliance.selectors import year_employments
    from records.compliance.views import PAGE_SIZE
    from records.hours.models import Claim
    from records.people.models import Professional, Role, Unit

    county = bench_county()
    units_needed = mix["reviewer"]
    people_needed = max(MIN_PROFESSIONALS, mix["professional"])
    per_unit = math.ceil(people_needed / units_needed)
    free = Q(employments__professional__user__isnull=True) | Q(
        employments__professional__user__username__startswith=f"{USERNAME}_p")
    # Units whose queue the bench's users fill alone: no claim waiting there but the bench's own (the demo's
    # review backlog is in another county; a rerun leaves some of its claims waiting).
    waiting_others = Claim.objects.filter(unit=OuterRef("pk"), status__in=waiting_statuses()).exclude(
        professional__user__username__startswith=f"{USERNAME}_p")
    units = list(
        Unit.objects.filter(region=county).exclude(Exists(waiting_others))
        .annotate(staff=Count("employments", filter=Q(employments__ended_on__isnull=True) & free))
        .filter(staff__gte=per_unit).order_by("pk")[:units_needed]
    )
    if len(units) < units_needed:
        raise SystemExit(f"only {len(units)} units of {county.name} fit; {units_needed} needed")

    professionals, reviewers = [], []
    for unit in units:
        staff = (Professional.objects.filter(employments__unit=unit, employments__ended_on__isnull=True)
                 .filter(Q(user__isnull=True) | Q(user__username__startswith=f"{USERNAME}_p"))
                 .order_by("pk")[:per_unit])
        for person in staff:
            user, session = bench_login(f"{USERNAME}_p{person.pk}", person.name, Role.PROFESSIONAL, professional=person)
            if person.user_id is None:
                Professional.objects.filter(pk=person.pk).update(user=user)
            professionals.append({"user": user.pk, "professional": person.pk, "name": person.name,
                                  "id_number": person.id_number, "unit": unit.pk, "session": session})
        user, session = bench_login(f"{USERNAME}_u{unit.pk}", f"{unit.name}审核员", Role.UNIT_REVIEWER, unit=unit)
        reviewers.append({"user": user.pk, "unit": unit.pk, "unit_name": unit.name, "session": session})
    professionals = professionals[:people_needed]

    county_user, county_session = bench_login(f"{USERNAME}_county", f"{county.name}人社局", Role.COUNTY_HR,
                                              region=county)
    platforms = []
    approved = [p for p in LearningPlatform.objects.filter(active=True).order_by("pk") if today.year in p.years_approved]
    public = [p for p in approved if p.category == "public"]
    professional = [p for p in approved if p.category == "professional"]
    alternating = [p for pair in itertools.zip_longest(public, professional) for p in pair if p is not None]
    for platform in alternating[:mix["platform"]]:
        _, token = platform_token_issue(platform=platform, label=f"{USERNAME} {today}", actor=None, ip=None)
        platforms.append({"platform": platform.pk, "name": platform.name, "category": platform.category,
                          "token": token})
    if len(platforms) < mix["platform"]:
        raise SystemExit(f"only {len(platforms)} platforms approved for {today.year}")
    people = year_employments(today.year).filter(unit__region=county).count()
    log(f"{county.name}: {len(units)} units, {len(professionals)} professionals with log-ins, "
        f"{len(platforms)} platform tokens; the county's compliance list: {people:,} people")
    return {
        "professionals": professionals, "reviewers": reviewers, "platforms": platforms,
        "learners": [{"id_number": p["id_number"], "name": p["name"]} for p in professionals],
        "county": {"user": county_user.pk, "region": county.pk, "name": county.name, "session": county_session,
                   "pages": max(2, math.ceil(people / PAGE_SIZE))},
    }


# --- before and after ------------------------------------------------------------------------------------

def snapshot(plan: dict, year: int) -> dict:
    from django.db import connection
    from django.db.models import Sum

    from audits.trail.models import AuditEvent
    from records.hours.models import PersonYearTotal

    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        now = cursor.fetchone()[0]
    totals = PersonYearTotal.objects.filter(
        professional_id__in=[p["professional"] for p in plan["professionals"]], year=year,
    ).aggregate(public=Sum("public_hours"), professional=Sum("professional_hours"))
    return {"at": now, "last_event": AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0,
            "totals": {k: v or Decimal(0) for k, v in totals.items()}}


def read_actions(path: Path) -> dict:
    acts = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    by_kind: dict[str, list] = {}
    for act in acts:
        by_kind.setdefault(act["kind"], []).append(act)
    return by_kind


def _set_line(what: str, reported, stored) -> tuple[str, bool]:
    """Reported by the users against stored in the database, both as lists of ids (duplicates count)."""
    reported_n, stored_n = Counter(reported), Counter(stored)
    lost = sorted(set(reported_n) - set(stored_n))
    unreported = sorted(set(stored_n) - set(reported_n))
    doubled = sorted(k for k, n in stored_n.items() if n > 1) + sorted(k for k, n in reported_n.items() if n > 1)
    ok = not (lost or unreported or doubled)
    line = (f"{what}: users {len(reported):,}, database {len(stored):,}; lost {len(lost)}, "
            f"not reported {len(unreported)}, duplicated {len(doubled)}")
    if not ok:
        line += f"  ← lost {lost[:5]}, not reported {unreported[:5]}, duplicated {doubled[:5]}"
    return line, ok


def count_checks(plan: dict, acts: dict, before: dict, year: int) -> tuple[list[str], bool]:
    from django.db.models import Count, Sum

    from audits.review.models import EvidenceView, ReviewDecision
    from audits.trail.models import AuditEvent
    from audits.trail.services import GENESIS_HASH, event_hash
    from records.hours.models import Claim, EvidenceFile, PersonYearTotal, PlatformRecord

    lines, good = [], True
    people = [p["professional"] for p in plan["professionals"]]
    reviewers = [r["user"] for r in plan["reviewers"]]

    claims = list(Claim.objects.filter(professional_id__in=people, created_at__gte=before["at"])
                  .values_list("pk", "title", "status"))
    line, ok = _set_line("claims filed (saved with their PDF)", [a["claim"] for a in acts.get("drafted", [])],
                         [pk for pk, _, _ in claims])
    lines.append(line)
    good &= ok
    titles = Counter(title for _, title, _ in claims)
    twice = [t for t, n in titles.items() if n > 1]
    if twice:
        lines.append(f"  the same filing stored twice: {twice[:5]}")
        good = False
    submitted = [a["claim"] for a in acts.get("submitted", [])]
    stored_sent = [pk for pk, _, status in claims if status != Claim.Status.DRAFT]
    line, ok = _set_line("claims submitted", submitted, stored_sent)
    lines.append(line)
    good &= ok
    evidence = Counter(EvidenceFile.objects.filter(claim_id__in=[pk for pk, _, _ in claims])
                       .values_list("claim_id", flat=True))
    off = {pk: evidence.get(pk, 0) for pk, _, _ in claims if evidence.get(pk, 0) != 1}
    lines.append(f"evidence files: {sum(evidence.values()):,} for {len(claims):,} claims"
                 + (f"  ← claims without exactly one: {dict(list(off.items())[:5])}" if off else " (one each)"))
    good &= not off
    drafts = Counter(status for _, _, status in claims)
    lines.append(f"  the run's claims now: {dict(drafts)}")

    decisions = list(ReviewDecision.objects.filter(reviewer_id__in=reviewers, at__gte=before["at"])
                     .values_list("claim_id", "action", "level"))
    approved = [a["claim"] for a in acts.get("approved", [])]
    line, ok = _set_line("approvals by the bench's reviewers", approved, [c for c, _, _ in decisions])
    lines.append(line)
    good &= ok
    wrong = [d for d in decisions if d[1] != "approve" or d[2] != 1]
    moved = Claim.objects.filter(pk__in=approved).exclude(status__in=["unit_approved", "approved"]).count()
    if wrong or moved:
        lines.append(f"  ← decisions not level-1 approvals: {wrong[:5]}; approved claims not past level 1: {moved}")
        good = False
    views = EvidenceView.objects.filter(reviewer_id__in=reviewers, at__gte=before["at"])
    unviewed = (ReviewDecision.objects.filter(reviewer_id__in=reviewers, at__gte=before["at"])
                .exclude(claim__evidence__views__reviewer_id__in=reviewers).count())
    lines.append(f"evidence views by the bench's reviewers: {views.count():,}; approvals without one: {unviewed}")
    good &= not unviewed

    pushed = [external_id for a in acts.get("pushed", []) for external_id in a["ids"]]
    stored = list(PlatformRecord.objects.filter(external_id__startswith=plan["external_id_prefix"])
                  .values_list("external_id", flat=True))
    line, ok = _set_line("platform records created", pushed, stored)
    lines.append(line)
    good &= ok

    sent = {"public": Decimal(0), "professional": Decimal(0)}
    for act in acts.get("pushed", []):
        for category, hours in act["hours"].items():
            sent[category] += Decimal(hours)
    now = PersonYearTotal.objects.filter(professional_id__in=people, year=year).aggregate(
        public=Sum("public_hours"), professional=Sum("professional_hours"))
    grown = {k: (now[k] or Decimal(0)) - before["totals"][k] for k in sent}
    # Claims credit only on their final approval (level 2), which no bench user gives.
    credited = Claim.objects.filter(professional_id__in=people, decided_at__gte=before["at"],
                                    status=Claim.Status.APPROVED).aggregate(h=Sum("hours"))["h"] or 0
    ok = grown == sent and not credited
    lines.append(f"year totals of the bench's people grew by public {grown['public']}, professional "
                 f"{grown['professional']} h; the platforms sent {sent['public']}, {sent['professional']} h"
                 + ("" if ok else f"  ← differs (claims finally approved: {credited} h)"))
    good &= ok

    events = AuditEvent.objects.filter(id__gt=before["last_event"]).order_by("id")
    by_action = dict(events.values_list("action").annotate(n=Count("id")).order_by())
    expected = {"claim.submit": len(stored_sent), "claim.approve": len(decisions), "evidence.view": views.count()}
    mismatch = {a: (by_action.get(a, 0), n) for a, n in expected.items() if by_action.get(a, 0) != n}
    previous = (AuditEvent.objects.filter(id__lte=before["last_event"]).order_by("-id")
                .values_list("hash", flat=True).first() or GENESIS_HASH)
    broken = None
    for event in events.iterator():
        if event.prev_hash != previous or event.hash != event_hash(
                prev_hash=event.prev_hash, at=event.at, actor_id=event.actor_id, actor_label=event.actor_label,
                action=event.action, object_type=event.object_type, object_id=event.object_id,
                before=event.before, after=event.after, ip=event.ip):
            broken = event.id
            break
        previous = event.hash
    lines.append(f"audit trail: {sum(by_action.values()):,} events in the run {dict(sorted(by_action.items()))}; "
                 f"hash chain {'intact' if broken is None else f'BROKEN at event {broken}'}"
                 + (f"  ← events ≠ acts (events, acts): {mismatch}" if mismatch else ""))
    good &= broken is None and not mismatch
    return lines, good


# --- processes -------------------------------------------------------------------------------------------

def start(command: list[str], log_path: Path, env: dict) -> subprocess.Popen:
    handle = open(log_path, "w")  # noqa: SIM115 (the child keeps it)
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop(process: subprocess.Popen | None, *, grace: float = 30) -> None:
    """SIGTERM to a process this bench started (gunicorn's master lets its workers finish their requests,
    Celery's worker its task); if it lingers, SIGKILL to its process group (its own session: it and its
    children, nothing else), while it still exists to name the group."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def get(path: str, cookie: str = "") -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    try:
        conn.request("GET", path, headers={"Cookie": f"sessionid={cookie}"} if cookie else {})
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        conn.close()


def wait_until_up(server: subprocess.Popen, deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited at start (see its log)")
        try:
            if get("/login/")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("gunicorn did not answer in time")


def warm_up(plan: dict, workers: int, year: int) -> None:
    """Each read page a few times per worker: the figures start from warm processes and caches."""
    me, reviewer, county = plan["professionals"][0], plan["reviewers"][0], plan["county"]
    pages = [("/me/", me["session"]), (f"/me/years/{year - 1}/", me["session"]), ("/review/", reviewer["session"]),
             (f"/monitor/region/{county['region']}/", county["session"]), ("/compliance/", county["session"]),
             ("/compliance/?compliant=no", county["session"]), ("/county/", county["session"])]
    for path, cookie in pages:
        for _ in range(2 * workers):
            status, _ = get(path, cookie)
            if status != 200:
                raise RuntimeError(f"warm-up: {path} answered {status}")


# --- the report ------------------------------------------------------------------------------------------

def page_table(figures: dict) -> list[str]:
    header = f"{'page':<52} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'failures':>8}"

    def line(name: str, row: dict) -> str:
        if not row["requests"]:
            return f"{name:<52} {0:>8} {'—':>7} {'—':>7} {'—':>7} {'—':>7} {0:>8}"
        return (f"{name:<52} {row['requests']:>8,} {row['rps']:>7.1f} {row['p50']:>7.0f} {row['p99']:>7.0f} "
                f"{row['max']:>7.0f} {row['failures']:>8,}")

    return [header, "-" * len(header),
            *(line(row["name"], row) for row in sorted(figures["pages"], key=lambda r: r["name"])),
            "-" * len(header), line("all pages", figures["total"])]


def failure_lines(figures: dict) -> list[str]:
    return [f"  {e['occurrences']:>5} × {e['method']} {e['name']}: {e['error'][:300]}"
            for e in sorted(figures["errors"], key=lambda e: -e["occurrences"])]


def server_problems(log_path: Path) -> list[str]:
    """Lines of the server's log that say something went wrong: Django's "Internal Server Error", a
    traceback, gunicorn's errors (a worker timed out, crashed or was killed)."""
    text = log_path.read_text(errors="replace") if log_path.exists() else ""
    signs = ("Traceback", "Internal Server Error", "[ERROR]", "[CRITICAL]", "WORKER TIMEOUT")
    return [line for line in text.splitlines() if any(sign in line for sign in signs)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/ce_bench_load")
    parser.add_argument("--reuse", action="store_true", help="keep the database a previous run loaded")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=int, default=120, help="seconds of load")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (the machine has 2 cores)")
    parser.add_argument("--think", default="0.5,2", help="each user's pause between tasks, MIN,MAX seconds")
    parser.add_argument("--batch", type=int, default=100, help="records in a platform's batch")
    parser.add_argument("--stop-timeout", type=int, default=30,
                        help="seconds the users get to finish their task after --duration")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/11",
                        help="a Redis database of this bench's own: flushed at the start")
    parser.add_argument("--dir", default=str(ROOT / "bench" / "out" / "load"),
                        help="locust's CSV, the plan, the actions and the servers' logs go under it")
    parser.add_argument("--out", help="write the report to this file too")
    args = parser.parse_args()
    for url in (args.database, args.redis):
        assert urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1"), "loopback only"
    think = [float(s) for s in args.think.split(",")]
    mix = user_mix(args.users)

    run_id = time.strftime("%Y%m%d-%H%M%S")
    work = Path(args.dir) / run_id
    work.mkdir(parents=True)
    os.environ.update(DATABASE_URL=args.database, REDIS_URL=args.redis, CONN_MAX_AGE="600", DEBUG="false",
                      ALLOWED_HOSTS="127.0.0.1,localhost", LOG_LEVEL="WARNING",
                      MEDIA_ROOT=str(ROOT / "var" / "bench_load_media"), CELERY_TASK_ALWAYS_EAGER="false",
                      DJANGO_SETTINGS_MODULE="ce_portal.settings")
    city_database(args.database, reuse=args.reuse)
    from django.core.cache import cache
    from django.db import connections

    from ce_portal.clock import business_today

    cache.clear()  # the --redis database: stale figures of an earlier database, queued tasks of an earlier run
    today = business_today()
    plan = bench_accounts(mix, today=today)
    plan.update(mix=mix, think_seconds=think, batch=args.batch, actions=str(work / "actions.jsonl"),
                figures=str(work / "figures.json"),
                external_id_prefix=f"LOAD{uuid.uuid4().hex[:8]}-")
    (work / "plan.json").write_text(json.dumps(plan, ensure_ascii=False, indent=1), encoding="utf-8")
    (work / "actions.jsonl").touch()
    before = snapshot(plan, today.year)
    connections.close_all()

    env = dict(os.environ)
    bin_dir = Path(sys.executable).parent
    server = worker = swarm = None
    load_before = load_after = None
    try:
        server = start([str(bin_dir / "gunicorn"), "ce_portal.wsgi:application", "-c", "python:ce_portal.server",
                        "-w", str(args.workers), "-b", f"127.0.0.1:{PORT}", "--timeout", "60",
                        "--access-logfile", "/dev/null", "--error-logfile", "-", "--log-level", "warning"],
                       work / "gunicorn.log", env)
        worker = start([sys.executable, "-m", "celery", "-A", "ce_portal", "worker", "-P", "solo",
                        "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"],
                       work / "celery.log", env)
        wait_until_up(server, time.monotonic() + 90)
        warm_up(plan, args.workers, today.year)
        if worker.poll() is not None:
            raise RuntimeError("the Celery worker exited at start (see its log)")
        load_before = os.getloadavg()
        log(f"locust: {args.users} users {mix} for {args.duration} s against 127.0.0.1:{PORT} "
            f"({args.workers} gunicorn workers); load average {load_before[0]:.1f}")
        swarm = start([str(bin_dir / "locust"), "-f", str(ROOT / "bench" / "load_users.py"), "--headless",
                       "-u", str(args.users), "-r", str(max(1, args.users // 5)), "-t", f"{args.duration}s",
                       "--stop-timeout", str(args.stop_timeout), "--reset-stats", "--only-summary",
                       "--host", f"http://127.0.0.1:{PORT}", "--csv", str(work / "locust"),
                       "--loglevel", "WARNING"],
                      work / "locust.log", {**env, "CE_LOAD_PLAN": str(work / "plan.json")})
        try:
            swarm.wait(timeout=args.duration + args.stop_timeout + 120)
        except subprocess.TimeoutExpired:
            raise RuntimeError("locust did not stop in time") from None
        load_after = os.getloadavg()
        if not (work / "figures.json").exists():
            raise RuntimeError(f"locust wrote no figures:\n{(work / 'locust.log').read_text()[-3000:]}")
    finally:
        stop(swarm)
        stop(server)  # graceful: requests in flight finish before the counts are read
        stop(worker)

    acts = read_actions(work / "actions.jsonl")
    figures = json.loads((work / "figures.json").read_text(encoding="utf-8"))
    table, failures = page_table(figures), failure_lines(figures)
    statuses = {}
    for act in acts.get("status_counts", []):
        statuses = act["counts"]
    server_errors = acts.get("server_error", [])
    problems_logged = server_problems(work / "gunicorn.log")
    checks, counts_ok = count_checks(plan, acts, before, today.year)

    failed = figures["total"]["failures"]
    ok = counts_ok and not failed and not server_errors and not problems_logged
    report = [
        (f"# load: {args.users} users ({', '.join(f'{n} {kind}' for kind, n in mix.items())}), "
         f"{args.duration} s, {args.workers} gunicorn sync workers, {os.cpu_count()} cores, think "
         f"{think[0]:g}–{think[1]:g} s, platform batches of {args.batch} ({today}, run {run_id})"),
        (f"{plan['county']['name']}: {len(plan['reviewers'])} units with a reviewer each, "
         f"{len(plan['professionals'])} professionals with log-ins; the county's list has "
         f"{plan['county']['pages']} pages"),
        "",
        "## per page (locust, after spawning; response times in ms)",
        *table,
        "(locust keeps times above 100 ms to 2 significant digits: a p99 may read a little above the max)",
        "",
        f"failures: {failed}" + (":" if failures else ""),
        *failures,
        f"responses by status (whole run, spawning included): {json.dumps(statuses, sort_keys=True)}; "
        f"5xx: {len(server_errors)}"
        + (f" ({Counter(e['page'] for e in server_errors).most_common()})" if server_errors else ""),
        f"server log: {len(problems_logged)} error lines" + (f", first: {problems_logged[0][:300]}"
                                                              if problems_logged else ""),
        "",
        "## counts after the run (what the users saw confirmed, against the database)",
        *checks,
        "",
        "machine load average (1, 5, 15 min): before " + (", ".join(f"{v:.2f}" for v in load_before or ()))
        + "; after " + ", ".join(f"{v:.2f}" for v in load_after or ()),
        f"files: {work}",
        "",
        "OK: no failure, no 5xx, nothing lost or duplicated" if ok else "PROBLEMS: see above",
    ]
    text = "\n".join(report)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
