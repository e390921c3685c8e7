"""Races on the embedded default, in a process of its own: `python -m tests.processes.sqlite_race <file>`.

The test suite runs on PostgreSQL; this script sets up Django on a fresh SQLite file (as `scripts/demo`
does), then races, for several rounds each, two reviewers approving the same claim, a withdrawal against an
approval, and a platform pushing the same batch twice at once, every contender in its own thread and
connection. It prints, as JSON, what each contender got:
"ok", a DomainError's code, or the name of any other exception (what would have been an HTTP 500).
"""
import json
import os
import sys
import tempfile
import threading

os.environ["DATABASE_URL"] = f"sqlite:///{sys.argv[1]}"
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ce_portal.settings")
os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="ce_sqlite_race_")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402

ROUNDS = 8


def contend(*work) -> list[str]:
    """Run each callable in its own thread, released together; what each got."""
    start_line = threading.Barrier(len(work))
    outcomes = [None] * len(work)

    def run(i, job):
        from ce_portal.errors import DomainError

        try:
            start_line.wait(timeout=10)
            job()
            outcomes[i] = "ok"
        except DomainError as refusal:
            outcomes[i] = refusal.code
        except Exception as error:  # what a view would have turned into a 500
            outcomes[i] = type(error).__name__
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def main() -> None:
    call_command("migrate", verbosity=0)
    from audits.review.services import claim_withdraw, evidence_opened, review_decide
    from ce_portal.clock import business_now
    from records.people.models import Role
    from platforms.ingest.services import platform_records_ingest
    from tests.factories import ClaimFactory, EvidenceFileFactory, ProfessionalFactory, UnitFactory, UserFactory, grant
    from tests.platforms.helpers import make_platform, record_for

    unit = UnitFactory()
    reviewers = []
    for name in ("ada", "amy"):
        user = UserFactory(username=name)
        grant(user, Role.UNIT_REVIEWER, unit)
        reviewers.append(user)
    person_user = UserFactory(username="alice")
    person = ProfessionalFactory(unit=unit, user=person_user)
    grant(person_user, Role.PROFESSIONAL, person)
    now = business_now()

    def claim():
        filed = ClaimFactory(professional=person)
        evidence = EvidenceFileFactory(claim=filed)
        for reviewer in reviewers:
            evidence_opened(user=reviewer, evidence=evidence, now=now)
        return filed

    def approve(claim_id, reviewer):
        return lambda: review_decide(claim_id=claim_id, reviewer=reviewer, action="approve", now=now)

    platform = make_platform("public", years_approved=[now.year])
    pushed = []

    def push(batch):
        return lambda: pushed.append(sorted(o.status for o in platform_records_ingest(
            platform=platform, records=batch, now=now)))

    results = {"two_approvals": [], "withdraw_and_approve": [], "two_pushes": []}
    for _ in range(ROUNDS):
        pk = claim().pk
        results["two_approvals"].append(contend(approve(pk, reviewers[0]), approve(pk, reviewers[1])))
        pk = claim().pk
        results["withdraw_and_approve"].append(contend(
            lambda pk=pk: claim_withdraw(actor=person_user, claim_id=pk, now=now), approve(pk, reviewers[0])))
        batch = [record_for(person, n=len(pushed) * 10 + k, completed_at=now.isoformat()) for k in range(3)]
        results["two_pushes"].append(contend(push(batch), push(batch)))
    results["pushed"] = pushed
    print(json.dumps(results))


if __name__ == "__main__":
    main()
