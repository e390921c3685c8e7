"""Fraud screening at city scale: a full run over 2,000,000 records, then an incremental run after 1,000 new claims.

    .venv/bin/python bench/screening_bench.py [--claims 1000000] [--platform-records 1000000] [--people 200000]
                                              [--new-claims 1000] [--repeat 3]
                                              [--db postgres://postgres@127.0.0.1:5432/ce_bench_screen]
                                              [--out bench/results/screening_2m.txt]

Not timed: drop and recreate the database, migrate, then COPY 3,000 units, --people professionals with
their employments, --claims claims (one evidence file each; mostly approved, some in review, some drafts,
rejected or withdrawn; last changed during the past year) and --platform-records platform records, and
ANALYZE. Planted among them: files and certificate numbers shared by two people, days over 10 hours,
overlapping multi-day sessions and unknown providers.

Timed (each --repeat times, median reported; every repeat starts from the same rows):
- full run: `screening_run(kind=full)` on the loaded tables, then its phases one by one (targets by
  GROUP BY, loading and applying the rules, storing the flags);
- incremental run: COPY --new-claims claims (with files; some reuse an old file or certificate number or
  overload an old day), then `screening_run()` — it must flag the planted reuses.

The machine is shared: the load average before each step is printed with the figures.
"""
import argparse
import datetime as dt
import hashlib
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from common import fresh_database
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHANGHAI = ZoneInfo("Asia/Shanghai")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
FIRST_DAY = dt.date(2024, 1, 8)
SLOT_DAYS = 146  # five claims a person over two years, one in each slot, so that only planted ones collide
STATUSES = ["approved"] * 70 + ["submitted"] * 10 + ["unit_approved"] * 5 + ["rejected"] * 5 + ["draft"] * 4 + [
    "returned"] * 3 + ["withdrawn"] * 3
PLANTED = {"shared_files": 500, "shared_certificate_nos": 300, "long_days": 300, "overlaps": 200,
           "unknown_providers": 2_000}


def load() -> float:
    return os.getloadavg()[0]


def cpu_seconds(backend_pid: int) -> float:
    """CPU used so far by this process and by its PostgreSQL backend (parallel workers not included)."""
    fields = Path(f"/proc/{backend_pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = os.times()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS + own.user + own.system


def migrated_database(url: str) -> None:
    fresh_database(url)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True,
                   env={**os.environ, "DATABASE_URL": url})


def copy(conn, table: str, columns: list[str], rows) -> int:
    n = 0
    with conn.cursor() as cursor, cursor.copy(
        sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns)))
    ) as writer:
        for row in rows:
            writer.write_row(row)
            n += 1
    return n


def ids(conn, query: str) -> list:
    return [row[0] for row in conn.execute(query).fetchall()]


def sha(*parts) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def seed(url: str, *, people: int, claims: int, platform_records: int, now: dt.datetime) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ce_portal.settings")
    django.setup()  # for the keys: ID numbers are written as the model writes them (ce_portal/crypto.py)
    from ce_portal.crypto import encrypt, lookup_digest
    from ce_portal.demo.fakes import fake_credit_code, fake_id_number

    rng = random.Random(20251021)
    with psycopg.connect(url) as conn:
        regions = ids(conn, "SELECT id FROM records_region WHERE level = 'county' ORDER BY id")
        bases = conn.execute("SELECT id, name FROM platforms_trainingbase ORDER BY id").fetchall()
        platforms = conn.execute("SELECT id, name, category FROM platforms_learningplatform ORDER BY id").fetchall()
        conn.execute("UPDATE platforms_learningplatform SET years_approved = '[2023, 2024, 2025, 2026]'")
        user = conn.execute(
            "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, "
            "is_active, date_joined) VALUES ('!', false, 'bench', '', '', '', false, true, now()) RETURNING id"
        ).fetchone()[0]

        units = 3_000
        copy(conn, "records_unit", ["name", "credit_code", "region_id", "kind"],
             ((f"压测单位{i}", fake_credit_code(i), regions[i % len(regions)], "enterprise") for i in range(units)))
        unit_ids = ids(conn, "SELECT id FROM records_unit ORDER BY id")
        copy(conn, "records_professional",
             ["name", "id_number", "id_number_digest", "specialty", "title_level", "phone", "status", "created_at"],
             ((f"压测人员{i}", encrypt(fake_id_number(i)), lookup_digest(fake_id_number(i)), "临床医学", "intermediate",
               "", "active", now) for i in range(people)))
        person_ids = ids(conn, "SELECT id FROM records_professional ORDER BY id")
        unit_of = {p: unit_ids[i % units] for i, p in enumerate(person_ids)}
        region_of_unit = dict(conn.execute("SELECT id, region_id FROM records_unit").fetchall())
        copy(conn, "records_employment", ["professional_id", "unit_id", "started_on"],
             ((p, unit_of[p], dt.date(2015, 1, 1)) for p in person_ids))

        def claim_dates(person_index: int, slot: int) -> tuple[dt.date, int]:
            start = FIRST_DAY + dt.timedelta(days=slot * SLOT_DAYS + (person_index * 7) % 120)
            return start, 1 + (person_index + slot) % 3

        per_person = max(1, claims // people)
        # A planted copy takes the file or certificate number of the same slot's claim of the previous person.
        shared_files = set(rng.sample(range(per_person, claims), PLANTED["shared_files"]))
        shared_nos = set(rng.sample(range(per_person, claims), PLANTED["shared_certificate_nos"]))
        number_sources = {i - per_person for i in shared_nos}
        unknown = set(rng.sample(range(claims), PLANTED["unknown_providers"]))
        long_day_people = set(rng.sample(range(people), PLANTED["long_days"]))
        overlap_people = set(rng.sample(range(people), PLANTED["overlaps"])) - long_day_people
        year_ago = now - dt.timedelta(days=365)

        def number(i: int) -> str:
            if i in shared_nos:
                return f"PDS{i - per_person:08d}"
            return f"PDS{i:08d}" if i % 3 == 0 or i in number_sources else ""

        def claim_rows():
            for i in range(claims):
                person_index, slot = (i // per_person) % people, i % per_person
                person = person_ids[person_index]
                start, days = claim_dates(person_index, slot)
                long_day = person_index in long_day_people and slot == 0
                if long_day:
                    days = 1
                if person_index in overlap_people and slot == 1:
                    start, days = claim_dates(person_index, 0)[0] + dt.timedelta(days=1), 3
                hours = 6 if long_day else 4 * days
                end = start + dt.timedelta(days=days - 1)
                status = STATUSES[i % len(STATUSES)]
                if i in unknown:
                    base_id, provider = None, f"某某培训中心{i % 97}"
                elif i % 2:
                    base_id, provider = bases[i % len(bases)][0], ""
                else:
                    base_id, provider = None, bases[i % len(bases)][1]
                unit = unit_of[person]
                changed = year_ago + dt.timedelta(seconds=rng.randrange(360 * 86_400))
                decided = changed if status in ("approved", "rejected") else None
                yield (person, unit, region_of_unit[unit], None, region_of_unit[unit], start.year, "professional",
                       "face_to_face", f"面授培训第{i % 500}期", "", base_id, provider, start, end, hours, "合格",
                       number(i), status, 1, changed, changed, changed, start + dt.timedelta(days=days + 1),
                       None, None, False, decided, None, None)

        copy(conn, "records_claim", CLAIM_COLUMNS, claim_rows())
        claim_ids = ids(conn, "SELECT id FROM records_claim ORDER BY id")
        copy(conn, "records_evidencefile", EVIDENCE_COLUMNS,
             ((claim_id, f"evidence/bench/{i}", "证书.pdf", "application/pdf", 1000,
               sha("file", i - per_person if i in shared_files else i), user, now - dt.timedelta(days=200), None, None)
              for i, claim_id in enumerate(claim_ids)))

        per_person_online = max(1, platform_records // people)

        def platform_rows():
            for i in range(platform_records):
                person_index, slot = (i // per_person_online) % people, i % per_person_online
                if person_index in long_day_people and slot == 0:
                    day, hours = claim_dates(person_index, 0)[0], 6  # on the day of a 6-hour claim: 12 hours
                else:
                    day, hours = claim_dates(person_index, slot)[0] + dt.timedelta(days=60), 1 + i % 4
                platform_id, _, category = platforms[i % len(platforms)]
                yield (platform_id, f"bench-{i}", person_ids[person_index], f"在线课程第{i % 300}讲", category, hours,
                       dt.datetime.combine(day, dt.time(20), tzinfo=SHANGHAI), day.year, "0" * 64,
                       year_ago + dt.timedelta(seconds=rng.randrange(360 * 86_400)), None)

        copy(conn, "records_platformrecord", PLATFORM_COLUMNS, platform_rows())
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
        return {"people": people, "claims": claims, "evidence files": claims, "platform records": platform_records,
                "uploader": user, **{f"planted {k}": v for k, v in PLANTED.items()}}


CLAIM_COLUMNS = [
    "professional_id", "unit_id", "region_id", "level2_authority_id", "level2_region_id", "year", "category", "kind",
    "title", "content", "provider_base_id", "provider_name", "start_date", "end_date", "hours", "result",
    "external_certificate_no", "status", "version", "created_at", "updated_at", "submitted_at", "filed_on",
    "review_started_on", "due_on", "due_provisional",
    "decided_at", "overdue_since", "credit_revoked_at",
]
EVIDENCE_COLUMNS = ["claim_id", "file", "original_name", "content_type", "size", "sha256", "uploaded_by_id",
                    "uploaded_at", "submitted_at", "removed_at"]
PLATFORM_COLUMNS = ["platform_id", "external_id", "professional_id", "course_title", "category", "hours",
                    "completed_at", "year", "content_hash", "received_at", "credit_revoked_at"]


def add_new_claims(url: str, *, count: int, uploader: int, now: dt.datetime, seed_: int) -> dict:
    """`count` submitted claims filed just now; some reuse an old file, an old certificate number or an old day."""
    rng = random.Random(seed_)
    with psycopg.connect(url) as conn:
        people = conn.execute("SELECT professional_id, unit_id FROM records_employment ORDER BY random() LIMIT %s",
                              [count]).fetchall()
        old_files = [row[0] for row in conn.execute(
            "SELECT e.sha256 FROM records_evidencefile e JOIN records_claim c ON c.id = e.claim_id "
            "WHERE c.status = 'approved' ORDER BY random() LIMIT 50").fetchall()]
        old_nos = [row[0] for row in conn.execute(
            "SELECT external_certificate_no FROM records_claim "
            "WHERE status = 'approved' AND external_certificate_no <> '' "
            "ORDER BY random() LIMIT 20").fetchall()]
        old_days = conn.execute(
            "SELECT professional_id, unit_id, start_date FROM records_claim WHERE status = 'approved' AND "
            "start_date = end_date ORDER BY random() LIMIT 20").fetchall()
        regions = dict(conn.execute("SELECT id, region_id FROM records_unit").fetchall())
        rows, files = [], []
        for i, (person, unit) in enumerate(people):
            start = dt.date(2025, 12, 1) + dt.timedelta(days=rng.randrange(25))
            hours, number = 4, ""
            if i < len(old_days):  # 8 more hours on a day that already has 4
                person, unit, start = old_days[i]
                hours = 8
            if 20 <= i < 20 + len(old_nos):
                number = old_nos[i - 20]
            rows.append((person, unit, regions[unit], None, regions[unit], start.year, "professional", "workshop",
                         f"新申报{i}", "", None, "平顶山学院", start, start, hours, "合格", number, "submitted", 1, now,
                         now, now, now.date(), now.date(), now.date() + dt.timedelta(days=7), False, None, None,
                         None))
        copy(conn, "records_claim", CLAIM_COLUMNS, rows)
        new_ids = ids(conn, f"SELECT id FROM records_claim ORDER BY id DESC LIMIT {count}")[::-1]
        for i, claim_id in enumerate(new_ids):
            digest = old_files[i - 40] if 40 <= i < 40 + len(old_files) else sha("new", seed_, i)
            files.append((claim_id, f"evidence/bench/new{i}", "证书.pdf", "application/pdf", 1000, digest, uploader,
                          now, now, None))
        copy(conn, "records_evidencefile", EVIDENCE_COLUMNS, files)
        conn.commit()
        return {"claims": new_ids, "reused files": len(old_files), "reused numbers": len(old_nos),
                "overloaded days": len(old_days)}


def timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def timed_with_cpu(fn, backend_pid: int) -> tuple[float, float, object]:
    cpu = cpu_seconds(backend_pid)
    seconds, result = timed(fn)
    return seconds, cpu_seconds(backend_pid) - cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/ce_bench_screen")
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--platform-records", type=int, default=1_000_000)
    parser.add_argument("--new-claims", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "screening_2m.txt"))
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = args.db
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ce_portal.settings")
    migrated_database(args.db)
    now = dt.datetime.now(SHANGHAI)
    started = time.perf_counter()
    data = seed(args.db, people=args.people, claims=args.claims, platform_records=args.platform_records, now=now)
    seeding = time.perf_counter() - started

    import django

    django.setup()
    from django.db import connection, transaction
    from django.db.models import Count

    from audits.screening import services as s
    from audits.screening.models import ScreeningFlag, ScreeningRun

    lines = [f"# screening bench: {args.claims:,} claims + {args.platform_records:,} platform records "
             f"({args.claims + args.platform_records:,} records), {args.people:,} people "
             f"({dt.date.today()}, {os.cpu_count()} cores, shared machine)",
             f"data: {data}", f"seeding (COPY + VACUUM ANALYZE, not timed): {seeding:.0f} s"]

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    def reset() -> None:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE audits_screeningflag, audits_screeningrun")

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]

    def figures(walls: list[float], cpus: list[float], loads: list[float]) -> str:
        return (f"{', '.join(f'{x:.2f}' for x in walls)} s (median {statistics.median(walls):.2f} s; CPU of this "
                f"process and its backend {', '.join(f'{x:.2f}' for x in cpus)} s; 1-min load before each: "
                f"{', '.join(f'{x:.1f}' for x in loads)})")

    full, cpus, loads, flags = [], [], [], None
    for _ in range(args.repeat):
        reset()
        loads.append(load())
        seconds, cpu, run = timed_with_cpu(lambda: s.screening_run(now=now, kind=ScreeningRun.Kind.FULL), backend)
        full.append(seconds)
        cpus.append(cpu)
        flags = dict(ScreeningFlag.objects.values_list("rule").annotate(n=Count("id")))
    say(f"full run: {figures(full, cpus, loads)}")
    say(f"  claims screened {run.claims_screened:,}, platform records {run.platform_records_screened:,}, "
        f"flags {run.flags_created:,}: {flags}")

    # The same run phase by phase (the flags are already there, so the store only finds them).
    known = s.known_providers()
    with transaction.atomic():
        s._run_lock()  # as in the run: its advisory lock and its settings
        t_targets, targets = timed(lambda: s.full_targets(known))
        t_overload, _ = timed(s._overloaded_people)
        t_overlap, _ = timed(s._people_with_overlapping_sessions)
        t_rules, findings = timed(lambda: s.findings_for(targets, known))
        t_store, _ = timed(lambda: s.flags_store(findings, now=now))
    say(f"  phases: targets {t_targets:.2f} s (of which days over 10 hours {t_overload:.2f} s, overlapping sessions "
        f"{t_overlap:.2f} s), load + rules {t_rules:.2f} s ({len(findings):,} findings over "
        f"{len(targets.people):,} people, {len(targets.sha256s):,} files, {len(targets.certificate_nos):,} numbers), "
        f"store (all known) {t_store:.2f} s")

    incremental, cpus, loads = [], [], []
    for i in range(args.repeat):
        reset()
        s.screening_run(now=now, kind=ScreeningRun.Kind.FULL)
        later = now + dt.timedelta(hours=24 * (i + 1))
        new = add_new_claims(args.db, count=args.new_claims, uploader=data["uploader"], now=later, seed_=i)
        loads.append(load())
        seconds, cpu, run = timed_with_cpu(lambda: s.screening_run(now=later + dt.timedelta(hours=1)), backend)
        incremental.append(seconds)
        cpus.append(cpu)
        assert run.kind == ScreeningRun.Kind.INCREMENTAL and run.claims_screened == args.new_claims, run
        new_flags = ScreeningFlag.objects.filter(claim_id__in=new["claims"])
        by_rule = dict(new_flags.values_list("rule").annotate(n=Count("id")))
        assert by_rule.get("same_evidence", 0) >= new["reused files"], by_rule
        assert by_rule.get("same_certificate_no", 0) >= new["reused numbers"], by_rule
        assert by_rule.get("daily_hours", 0) >= new["overloaded days"], by_rule
        with connection.cursor() as cursor:  # the next repeat starts from the seeded rows again
            cursor.execute("DELETE FROM records_evidencefile WHERE claim_id = ANY(%s)", [new["claims"]])
            cursor.execute("DELETE FROM audits_screeningflag")
            cursor.execute("DELETE FROM records_claim WHERE id = ANY(%s)", [new["claims"]])
    say(f"incremental run after {args.new_claims:,} new claims: {figures(incremental, cpus, loads)}")
    say(f"  new claims' flags: {by_rule}; "
        f"flags of older records found through them: {run.flags_created - new_flags.count()}")

    since = now
    with connection.cursor() as cursor:
        for label, query in [
            ("changed claims", f"SELECT id FROM records_claim WHERE status IN ('submitted','unit_approved','approved') "
                               f"AND updated_at >= '{since.isoformat()}'"),
            ("received platform records", f"SELECT id, professional_id FROM records_platformrecord "
                                          f"WHERE received_at >= '{since.isoformat()}'"),
        ]:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query)
            say(f"\n## incremental: {label}\n-- {query}\n" + "\n".join(row[0] for row in cursor.fetchall()))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines) + "\n")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
