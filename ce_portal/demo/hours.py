"""Demo stage (ce_portal/demo/seed.py STAGES): credited hours for the last three years, so the compliance lists, the
year pages and the certificates have something to show.

Most people meet a past year's requirement; some fall short in one category (public hours beyond 30 never
make up for professional ones), a few did almost nothing. The current year is still under way: fewer are
done. Hours arrive as platform records (自动登记学时) from the approved platforms and are credited through
`add_to_year_totals`, as the ingestion API does. Each record is at most 10 hours and each of a person's
records falls on a day of its own, so the screening rule "more than 10 hours a day" finds nothing; the
last 60 days stay free for the claims other stages plant.

Deterministic (one random stream per person and year) and idempotent: people who already have demo
records are left alone. The city size goes in by COPY, 5,000 people at a time.
"""
import datetime as dt
import multiprocessing
import random
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Min
from django.utils import timezone

from ce_portal.clock import SHANGHAI
from ce_portal.crypto import keyed_content_hash, lookup_digest
from ce_portal.demo.fakes import fake_id_number
from ce_portal.demo.registry import Batch, id_index, insert_rows
from ce_portal.partitions import year_partitions_ensure
from platforms.ingest.rules import content_hash
from platforms.registry.models import LearningPlatform
from records.hours.models import PlatformRecord, SubjectCategory
from records.hours.services import add_to_year_totals, year_deltas
from records.people.models import Professional

YEARS_BACK = 2  # this year and the two before it


CHUNK = 5_000


EXTERNAL_PREFIX = "DEMO-"


KEEP_FREE_DAYS = 60


PUBLIC, PROFESSIONAL = SubjectCategory.PUBLIC.value, SubjectCategory.PROFESSIONAL.value


H = Decimal


# (weight in a finished year, weight in the year under way, public hours, professional hours): the hours are
# drawn from the lists.
PROFILES = (
    ("compliant", 68, 42, (30, 30, 30, 32, 36, 40), (60, 60, 60, 64, 70, 80)),
    ("short_public", 10, 14, (20, 24, 25, 26, 28, H("29.5")), (60, 64, 70, 80)),
    ("short_professional", 12, 22, (30, 32, 36, 45), (40, 48, 50, 54, 56, H("59.5"))),
    ("little", 6, 14, (0, 5, 10, 12), (0, 10, 16, 20)),
    ("none", 4, 8, (0,), (0,)),
)


COURSE_HOURS = (10, 10, 10, 10, 8, 6, 5)


PUBLIC_TITLES = (
    "习近平新时代中国特色社会主义思想专题", "专业技术人员职业道德与诚信建设", "数字经济与数字化转型", "人工智能技术应用与发展",
    "知识产权保护与运用", "专业技术人员心理健康与压力管理", "安全生产法律法规解读", "乡村振兴战略专题", "生态文明建设专题",
    "网络安全与信息保密", "黄河流域生态保护和高质量发展", "法治政府建设与依法履职",
)


PROFESSIONAL_TITLES = ("{s}前沿进展", "{s}新技术新方法", "{s}规范与标准解读", "{s}典型案例分析", "{s}实务操作提升")


class PlannedRecord(NamedTuple):
    category: str
    hours: Decimal
    day: dt.date
    title: str
    platform: int  # index into the category's platforms


def _courses(rng: random.Random, target: Decimal) -> list[Decimal]:
    """Split a year's hours of one category into courses of at most 10 hours."""
    courses, left = [], Decimal(target)
    while left > 0:
        hours = min(left, Decimal(rng.choice(COURSE_HOURS)))
        courses.append(hours)
        left -= hours
    return courses


def plan_year(id_number: str, specialty: str, year: int, *, started_on: dt.date, today: dt.date) -> list[PlannedRecord]:
    """One person's records of one year: a profile, its hours split into courses, each on a day of its own
    between the start of the year (or of the job) and the end of the year (or 60 days before today)."""
    rng = random.Random(f"hours-{id_number}-{year}")
    first = max(dt.date(year, 1, 5), started_on)
    last = min(dt.date(year, 12, 20), today - dt.timedelta(days=KEEP_FREE_DAYS))
    if last < first:
        return []
    under_way = year == today.year
    weights = [profile[2] if under_way else profile[1] for profile in PROFILES]
    _, _, _, publics, professionals = rng.choices(PROFILES, weights=weights)[0]
    courses = [(PUBLIC, h) for h in _courses(rng, rng.choice(publics))]
    courses += [(PROFESSIONAL, h) for h in _courses(rng, rng.choice(professionals))]
    span = range(first.toordinal(), last.toordinal() + 1)
    days = sorted(rng.sample(span, min(len(courses), len(span))))
    records = []
    for (category, hours), day in zip(courses, days):
        title = (rng.choice(PUBLIC_TITLES) if category == PUBLIC
                 else rng.choice(PROFESSIONAL_TITLES).format(s=specialty or "专业技术"))
        records.append(PlannedRecord(category, hours, dt.date.fromordinal(day), title, rng.randrange(10)))
    return records


def _platforms() -> dict[str, list[int]]:
    ids = {PUBLIC: [], PROFESSIONAL: []}
    for pk, category in LearningPlatform.objects.filter(active=True).order_by("pk").values_list("pk", "category"):
        ids[category].append(pk)
    return ids


_FIELDS = ("platform_id", "external_id", "professional_id", "course_title", "category", "hours", "completed_at", "year",
           "content_hash", "received_at")


def plan_people(people, *, platforms: dict[str, list[int]], years: range, today: dt.date, now: dt.datetime
                ) -> tuple[list[tuple], dict]:
    """The platform-record rows (in `_FIELDS` order) of these people and the year totals they add; no I/O,
    so the city's 200,000 people can be planned in a helper process while the database takes the last chunk.
    `people` are (id, ID number, name, specialty, first day employed)."""
    rows, items = [], []
    for pk, id_number, name, specialty, started_on in people:
        for year in years:
            for k, record in enumerate(plan_year(id_number, specialty, year, started_on=started_on, today=today)):
                # Rising with the person's id: the (platform, external_id) index grows at its right edge
                # instead of taking 6 million inserts all over a tree bigger than shared_buffers.
                external_id = f"{EXTERNAL_PREFIX}{pk:09d}-{year}-{k:02d}"
                completed_at = dt.datetime.combine(record.day, dt.time(20, k), tzinfo=SHANGHAI)
                choices = platforms[record.category]
                rows.append((
                    choices[record.platform % len(choices)], external_id, pk, record.title, record.category,
                    record.hours, completed_at, year,
                    keyed_content_hash(content_hash(external_id, id_number, name, record.title, record.category,
                                                    record.hours, completed_at)),
                    now,
                ))
                items.append((pk, year, record.category, record.hours))
    return rows, year_deltas(items)


class _Planned:
    """What `Executor.submit` returns, for planning in this process."""

    def __init__(self, fn, *args, **kwargs):
        self._result = fn(*args, **kwargs)

    def result(self):
        return self._result


@contextmanager
def _planner(in_helper_process: bool):
    if not in_helper_process:
        yield _Planned
        return
    # fork: the helper inherits the loaded code and never touches the parent's database connection (it
    # plans only, and a forked multiprocessing child leaves by os._exit, without closing what it inherited).
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork")) as executor:
        yield executor.submit


def credit_people(id_numbers: Sequence[str], *, today: dt.date, copy: bool | None = None,
                  helper_process: bool = False) -> Counter:
    """Plan, insert and credit the records of these people (those who have no demo records yet).

    With `helper_process`, chunk n+1 is planned in a second process while chunk n goes to the database:
    planning and hashing 6.4 million records is as much CPU as the database's side of writing them."""
    platforms = _platforms()
    years = range(today.year - YEARS_BACK, today.year + 1)
    year_partitions_ensure(years)  # the years before this one have none on a freshly migrated database
    now = timezone.now()
    stats = Counter()

    def write(planned) -> None:
        rows, deltas = planned.result()
        insert_rows(PlatformRecord, _FIELDS, rows, copy=copy)
        if rows:
            add_to_year_totals(deltas)
            stats.update(platform_records=len(rows), year_totals=len(deltas))

    with _planner(helper_process) as submit:
        pending = None
        for start in range(0, len(id_numbers), CHUNK):
            # Matched by digest and given back their plain numbers from the list: decrypting 200,000 numbers
            # costs ≈ 5 times what their digests cost.
            number_of = {lookup_digest(number): number for number in id_numbers[start:start + CHUNK]}
            people = [(pk, number_of[digest], *rest) for pk, digest, *rest in Professional.objects.filter(
                id_number_digest__in=list(number_of)).annotate(started_on=Min("employments__started_on")
            ).order_by("pk").values_list("pk", "id_number_digest", "name", "specialty", "started_on")]
            # order_by(): the model's default ordering would otherwise join the DISTINCT and return every record.
            done = set(PlatformRecord.objects.filter(
                professional_id__in=[p[0] for p in people], external_id__startswith=EXTERNAL_PREFIX,
            ).order_by().values_list("professional_id", flat=True).distinct())
            todo = [person for person in people if person[0] not in done and person[4] is not None]
            planned = submit(plan_people, todo, platforms=platforms, years=years, today=today, now=now)
            if pending is not None:
                write(pending)
            pending = planned
        if pending is not None:
            write(pending)
    return stats


def batch_id_numbers(batch: Batch) -> list[str]:
    """The ID numbers `demo.seed_batch` gave the batch's people."""
    return [fake_id_number(id_index(batch.person_start + offset)) for offset in range(batch.professionals)]
