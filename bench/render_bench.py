"""CPU cost of the two hottest tables, in-process: the review queue and the compliance list, 50 rows each.

    .venv/bin/python bench/render_bench.py --prepare    # fresh ce_bench_render: demo data + 60 waiting claims
    .venv/bin/python bench/render_bench.py              # measure (again) on it

The machine is shared, so wall-clock load tests say more about the neighbours than about the code: this
counts CPU time of this process only (time.process_time; PostgreSQL's own time stays out), as the median
of --repeat runs. Requests go through Django's test client (the whole middleware stack, DEBUG off). For
each page it prints:

- request: one whole GET (access checks, SQL round trips, rendering);
- render: the view's `render(...)` call alone, replayed with the context the view gave it;
- rows: the 50 rows of the table body alone (the Jinja2 partial the page and the htmx fragment include);

and the same for the htmx request that swaps the table body (HX-Request: true). The queue is demo_unit's
(60 waiting claims, some opened, overdue, provisional or flagged, titles with characters to escape), the
list demo_city's (300 people of the demo city).
"""
import argparse
import datetime as dt
import os
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "postgres://postgres@127.0.0.1:5432/ce_bench_render"
WAITING = 60


def prepare(url: str) -> None:
    """Drop and create the database, migrate, write the demo, and give demo_unit a queue of WAITING claims."""
    import subprocess

    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        name = sql.Identifier(parts.path.lstrip("/"))
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
    for args in (("migrate", "-v0"), ("seed_demo",)):
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True, env=os.environ)
    setup()
    add_waiting_claims()


def add_waiting_claims() -> None:
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from audits.review.models import EvidenceView
    from audits.screening.models import ScreeningFlag
    from ce_portal.clock import SHANGHAI, business_today
    from records.hours.models import Claim, EvidenceFile
    from records.people.models import Employment

    reviewer = get_user_model().objects.get(username="demo_unit")
    unit = reviewer.role_memberships.get().unit
    staff = list(Employment.objects.filter(unit=unit, ended_on__isnull=True).values_list("professional_id", flat=True))
    today = business_today()
    now = dt.datetime.combine(today, dt.time(9), tzinfo=SHANGHAI)
    with transaction.atomic():
        for k in range(WAITING):
            start = today - dt.timedelta(days=10 + k % 20)
            claim = Claim.objects.create(
                professional_id=staff[k % len(staff)], unit=unit, region=unit.region,
                level2_authority=unit.authority, level2_region=None if unit.authority_id else unit.region,
                year=start.year, category="public" if k % 4 == 0 else "professional", kind="face_to_face",
                title=f"<临床> 急救 & 护理“新进展”研修班第{k}期", content="", provider_name="平顶山学院",
                start_date=start, end_date=start, hours=8 + k % 3, result="合格", status="submitted", version=1,
                submitted_at=now, filed_on=start + dt.timedelta(days=1),
                level1_due_on=today + dt.timedelta(days=k % 9 - 3), level1_due_provisional=k % 10 == 0,
            )
            evidence = EvidenceFile.objects.create(
                claim=claim, file=f"evidence/bench/{claim.pk}.pdf", original_name="证书.pdf",
                content_type="application/pdf", size=1000, sha256=f"{claim.pk:064x}", uploaded_by=reviewer,
                uploaded_at=now, submitted_at=now,
            )
            if k % 2:
                EvidenceView.objects.create(reviewer=reviewer, evidence=evidence, at=now)
            if k % 15 == 0:
                ScreeningFlag.objects.create(rule="same_evidence", claim=claim, professional_id=claim.professional_id,
                                             evidence={}, dedupe_key=f"bench:{claim.pk}", created_at=now)


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ce_portal.settings")
    os.environ.update(DEBUG="false", ALLOWED_HOSTS="testserver", CONN_MAX_AGE="600")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def cpu_ms(fn, repeat: int, inner: int = 1) -> float:
    """Median CPU milliseconds of one call of fn, over `repeat` samples of `inner` calls each."""
    samples = []
    for _ in range(repeat):
        started = time.process_time()
        for _ in range(inner):
            fn()
        samples.append((time.process_time() - started) * 1000 / inner)
    return statistics.median(samples)


@contextmanager
def captured_render(module):
    """Keep the (request, template, context, ...) of the view's render(...) call, to replay it alone."""
    calls = []
    original = module.render

    def render(*args, **kwargs):
        calls.append((args, kwargs))
        return original(*args, **kwargs)

    module.render = render
    try:
        yield calls
    finally:
        module.render = original


def measure(name: str, module, username: str, path: str, rows_template: str, repeat: int) -> None:
    from django.contrib.auth import get_user_model
    from django.template import engines
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    rows = engines["jinja2"].get_template(rows_template)
    for label, headers in (("page", {}), ("htmx", {"HTTP_HX_REQUEST": "true"})):
        def get():
            response = client.get(path, **headers)
            assert response.status_code == 200, response.status_code
            return response

        for _ in range(10):
            get()
        with captured_render(module) as calls:
            size = len(get().content)
        (args, kwargs), = calls
        context = args[2]
        page = context["page"]
        assert len(page.object_list) == 50, len(page.object_list)
        request_ms = cpu_ms(get, repeat)
        render_ms = cpu_ms(lambda: module.render(*args, **kwargs), repeat)
        rows_ms = cpu_ms(lambda: rows.render({"rows": page.object_list, "reviews_nothing": False}), repeat, inner=10)
        print(f"{name} {label:4}: request {request_ms:6.2f} ms CPU, render {render_ms:5.2f} ms, "
              f"rows {rows_ms:5.3f} ms ({size:,} bytes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL", DATABASE))
    parser.add_argument("--prepare", action="store_true", help="build the database first (drops it)")
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database
    if args.prepare:
        prepare(args.database)
    else:
        setup()
    from audits.review import views as review_views
    from records.compliance import views as compliance_views

    print(f"load average {os.getloadavg()[0]:.1f}; medians of {args.repeat} runs")
    measure("queue     ", review_views, "demo_unit", "/review/", "audits/queue_rows.html", args.repeat)
    measure("compliance", compliance_views, "demo_city", "/compliance/", "records/compliance_rows.html",
            args.repeat)


if __name__ == "__main__":
    main()
