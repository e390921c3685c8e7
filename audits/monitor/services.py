"""The monitors' figures and the HR bureaus' daily digest of overdue reviews (rule 5 in docs/rules.md).

Each function takes the clock from its caller and keeps no state outside the database, so it may run late,
twice, or twice at once: figures are upserts a second run overwrites, notices carry a deterministic key.
"""
import datetime as dt
from collections import Counter, defaultdict

from django.db import connection, transaction
from django.db.models import Count, Min, Q
from django.urls import reverse

from audits.monitor.models import OverdueSnapshot
from audits.review.models import Notification, ReviewDecision
from audits.review.rules import LEVELS
from audits.monitor.selectors import NO_BACKLOG, backlog_by
from audits.review.selectors import held_by_screening
from audits.review.services import create_and_email, level_counts_text, overdue_q
from ce_portal.clock import SHANGHAI
from records.hours.models import Claim
from records.people.access import scope_holders
from records.people.models import Unit

DIGEST_TOP_UNITS = 10


def send_overdue_digests(*, today: dt.date, now: dt.datetime) -> int:
    """Each HR bureau's daily list of overdue reviews in its region (the escalation of rule 5).

    One GROUP BY over the overdue claims, through the (status, due date) indexes; nothing is sent to a
    bureau with nothing overdue. Returns how many notices were new.
    """
    per_region = defaultdict(list)  # region id → [(unit id, overdue claims by level, oldest due)]
    rows = (Claim.objects.filter(overdue_q(today), ~held_by_screening()).values_list("region_id", "unit_id")
            .annotate(oldest=Min("due_on"),
                      **{f"l{level.number}": Count("id", filter=Q(status=level.waiting_status)) for level in LEVELS})
            .order_by())
    for region_id, unit_id, oldest, *by_level in rows:
        counts = Counter({level.number: n for level, n in zip(LEVELS, by_level)})
        per_region[region_id].append((unit_id, counts, oldest))
    if not per_region:
        return 0
    unit_names = dict(Unit.objects.filter(
        pk__in={unit_id for units in per_region.values() for unit_id, *_ in units}).values_list("pk", "name"))
    # The HR bureau of a region receives its digest.
    bureaus = scope_holders("hr_region_ids")
    notices = []
    for region_id, units in sorted(per_region.items()):
        text = _digest_text(units, unit_names, today=today)
        link = reverse("monitor:region", args=[region_id])
        notices.extend(
            Notification(user_id=user_id, kind="overdue_digest", text=text, link=link, created_at=now,
                         dedupe_key=f"digest:{user_id}:{region_id}:{today.isoformat()}")
            for user_id in bureaus.get(region_id, ())
        )
    return create_and_email(notices, now=now, subject=f"【继续教育】{today:%Y-%m-%d} 逾期未审核学时申报汇总")


def _digest_text(units, unit_names, *, today: dt.date) -> str:
    by_level = sum((counts for _, counts, _ in units), Counter())
    oldest = min(u[2] for u in units)
    lines = [
        f"截至 {today:%Y-%m-%d}，本辖区共有 {by_level.total()} 条学时申报逾期未审核"
        f"（{level_counts_text(by_level)}），涉及 {len(units)} 家单位，最早的审核期限为 {oldest:%Y-%m-%d}。"
        "逾期申报不会自动通过，请督促相关单位尽快审核。"
    ]
    worst = sorted(units, key=lambda u: (-u[1].total(), u[2], unit_names.get(u[0], "")))[:DIGEST_TOP_UNITS]
    lines += [f"· {unit_names.get(u[0], '（单位已删除）')}：{u[1].total()} 条，最早期限 {u[2]:%Y-%m-%d}" for u in worst]
    if len(units) > DIGEST_TOP_UNITS:
        lines.append(f"……另有 {len(units) - DIGEST_TOP_UNITS} 家单位，详见监控页面。")
    return "\n".join(lines)


def snapshot_refresh(*, today: dt.date, now: dt.datetime) -> int:
    """Write today's backlog figures per unit, per authority and per region (upsert: reruns overwrite).

    Units with nothing pending and no decision this year get no row (the monitors show them as zeros),
    so the table grows with activity, not with the registry. Returns how many rows were written.
    """
    backlog = backlog_by(Claim.objects.all(), "unit_id", today)
    year_start = dt.datetime.combine(dt.date(today.year, 1, 1), dt.time(), tzinfo=SHANGHAI)
    decisions = {
        unit_id: (decided, on_time)
        for unit_id, decided, on_time in (
            ReviewDecision.objects.filter(at__gte=year_start, claim__unit__isnull=False)
            .values_list("claim__unit_id").annotate(decided=Count("id"), on_time=Count("id", filter=Q(on_time=True)))
            .order_by()
        )
    }
    unit_ids = backlog.keys() | decisions.keys()
    units = Unit.objects.filter(pk__in=unit_ids).values_list("pk", "region_id", "authority_id").order_by("pk")
    rows = {}
    for unit_id, region_id, authority_id in units:
        pending, overdue, oldest, flagged = backlog.get(unit_id, NO_BACKLOG)
        decided, on_time = decisions.get(unit_id, (0, 0))
        figures = (pending, overdue, oldest, decided, on_time, flagged)
        rows[region_id, unit_id, authority_id] = figures
        _add_to_total(rows, (region_id, None, None), figures)
        if authority_id:
            _add_to_total(rows, (region_id, None, authority_id), figures)
    snapshots = [
        OverdueSnapshot(date=today, region_id=region_id, unit_id=unit_id, authority_id=authority_id,
                        pending=f[0], overdue=f[1], oldest_overdue_due_on=f[2], decided=f[3], decided_on_time=f[4],
                        flagged=f[5], computed_at=now)
        # Sorted, so that two refreshes at once lock the rows in the same order and cannot deadlock.
        for (region_id, unit_id, authority_id), f in sorted(rows.items(), key=lambda r: [k or 0 for k in r[0]])
    ]
    with transaction.atomic():
        # Today's rows are replaced whole, so a unit that cleared its backlog since the last refresh loses
        # its row; the upsert (not a plain insert) lets a concurrent refresh's rows be overwritten, not fail.
        OverdueSnapshot.objects.filter(date=today).delete()
        upsert = {}
        if connection.vendor == "postgresql":
            # The conflict target is a NULLS NOT DISTINCT constraint, which only PostgreSQL has; SQLite (the
            # demo) runs one writer at a time, so there the plain insert after the delete cannot collide.
            upsert = {"update_conflicts": True, "unique_fields": ["date", "region", "unit", "authority"],
                      "update_fields": ["pending", "overdue", "oldest_overdue_due_on", "decided",
                                        "decided_on_time", "flagged", "computed_at"]}
        OverdueSnapshot.objects.bulk_create(snapshots, batch_size=2000, **upsert)
    return len(snapshots)


def _add_to_total(rows: dict, key: tuple, figures: tuple) -> None:
    total = rows.get(key)
    if total is None:
        rows[key] = figures
        return
    oldest = min((d for d in (total[2], figures[2]) if d is not None), default=None)
    rows[key] = (total[0] + figures[0], total[1] + figures[1], oldest, total[3] + figures[3], total[4] + figures[4],
                 total[5] + figures[5])
