"""Where one page's time goes: request it in-process as a given user and print the profile and the queries.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ce_bench_review REDIS_URL=redis://127.0.0.1:6379/8 \
        .venv/bin/python bench/profile_page.py /review/ --user bench_unit

Run it against a database a benchmark loaded (bench/review_bench.py, bench/compliance_bench.py). It warms
the page up, then times --repeat requests through Django's test client (the whole middleware stack, DEBUG
off), prints the median wall time, the SQL statements of one request with their times, and the functions
with the most cumulative time under cProfile.
"""
import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path")
    parser.add_argument("--user", required=True, help="username to log in as")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--top", type=int, default=35, help="functions to list")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ce_portal.settings")
    os.environ.update(DEBUG="false", ALLOWED_HOSTS="testserver", CONN_MAX_AGE="600")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(get_user_model().objects.get(username=args.user))

    def get():
        response = client.get(args.path)
        assert response.status_code == 200, f"HTTP {response.status_code}"
        return response

    for _ in range(5):
        get()
    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        get()
        times.append((time.perf_counter() - started) * 1000)
    print(f"{args.path} as {args.user}: median {statistics.median(times):.1f} ms, "
          f"best {min(times):.1f} ms over {args.repeat} requests ({len(get().content):,} bytes)")

    with CaptureQueriesContext(connection) as queries:
        get()
    print(f"\n{len(queries)} queries, {sum(float(q['time']) for q in queries) * 1000:.1f} ms in all:")
    for q in queries:
        print(f"  {float(q['time']) * 1000:6.1f} ms  {q['sql'][:160]}")

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.repeat):
        get()
    profiler.disable()
    print()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
