"""Calls per second of `audits.calendar.selectors.review_due` over 100,000 random filing dates in 2023–2027.

    DJANGO_SETTINGS_MODULE=ce_portal.settings .venv/bin/python bench/workdays_bench.py

Uses the module-level function as every caller does (process calendar, version check at most once a
second), against whatever database the settings name (migrated). Goal: ≥ 200,000 calls/s on one core.
Prints the median of five passes.
"""
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ce_portal.settings")

import django  # noqa: E402

django.setup()

from audits.calendar.selectors import review_due
from audits.review.rules import REVIEW_WORKING_DAYS

CALLS = 100_000
GOAL = 200_000


def main() -> None:
    rng = random.Random(20250926)
    first, last = dt.date(2023, 1, 1).toordinal(), dt.date(2027, 12, 31).toordinal()
    dates = [dt.date.fromordinal(rng.randint(first, last)) for _ in range(CALLS)]
    review_due(dates[0], REVIEW_WORKING_DAYS)  # loads the calendar from the database: not part of the per-call cost
    rates = []
    for _ in range(5):
        started = time.perf_counter()
        for day in dates:
            review_due(day, REVIEW_WORKING_DAYS)
        rates.append(CALLS / (time.perf_counter() - started))
    rate = statistics.median(rates)
    print(f"review_due: {rate:,.0f} calls/s (median of 5 passes over {CALLS:,} dates, 2023–2027; "
          f"goal {GOAL:,}) {'OK' if rate >= GOAL else 'BELOW GOAL'}")


if __name__ == "__main__":
    main()
