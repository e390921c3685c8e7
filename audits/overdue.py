"""The review timers (DESIGN.md §2 rule 5): flag overdue claims, remind reviewers, digest for HR bureaus,
and the daily backlog figures the monitors read.

Every function takes the clock as `today`/`now` from its caller (a Celery task reads it once) and keeps
no state outside the database, so each may run late, twice, or twice at once:
- flags and figures are conditional UPDATEs / upserts that a second run finds already done;
- notifications carry a deterministic `dedupe_key` (unique in the database), so a second run adds none;
- a mail is sent only for a notification this worker has locked and that has no `emailed_at` yet.
An overdue claim is never decided here: it is flagged and stays in its reviewer's queue.
"""
import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Case, Count, DateField, F, Min, Q, When
from django.urls import reverse

from records.choices import Role
from records.models import SHANGHAI, Claim, RoleMembership, Unit

from .models import Notification, OverdueSnapshot, ReviewDecision
from .trail import record_event
from .workdays import add_working_days

logger = logging.getLogger(__name__)

SUBMITTED, UNIT_APPROVED = Claim.Status.SUBMITTED, Claim.Status.UNIT_APPROVED
PENDING = (SUBMITTED, UNIT_APPROVED)
# The due date of the level a pending claim waits on.
CURRENT_DUE = Case(
    When(status=SUBMITTED, then=F("level1_due_on")), When(status=UNIT_APPROVED, then=F("level2_due_on")),
    output_field=DateField(),
)


def overdue_q(today: dt.date, prefix: str = "") -> Q:
    """Claims waiting for a decision whose current level's due date has passed (a decision on the due
    date itself is on time). Each branch is a range on one of the (status, due date) indexes."""
    return (Q(**{f"{prefix}status": SUBMITTED, f"{prefix}level1_due_on__lt": today})
            | Q(**{f"{prefix}status": UNIT_APPROVED, f"{prefix}level2_due_on__lt": today}))


# --- mark overdue ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Marked:
    level1: int
    level2: int

    @property
    def total(self) -> int:
        return self.level1 + self.level2


def mark_overdue(*, today: dt.date, now: dt.datetime) -> Marked:
    """Flag every claim that is overdue and not flagged yet, however long the timers were down.

    One UPDATE per level through its (status, due date) index. Two runs at once are safe: PostgreSQL
    re-checks `overdue_since IS NULL` on a row the other run just flagged, and skips it.
    """
    level1 = Claim.objects.filter(
        status=SUBMITTED, level1_due_on__lt=today, overdue_since__isnull=True
    ).update(overdue_since=now)
    level2 = Claim.objects.filter(
        status=UNIT_APPROVED, level2_due_on__lt=today, overdue_since__isnull=True
    ).update(overdue_since=now)
    marked = Marked(level1, level2)
    if marked.total:
        record_event(actor=None, action="claim.mark_overdue", target=("task", "mark_overdue"), at=now,
                     after={"today": today, "level1": level1, "level2": level2})
    return marked


# --- who reviews what --------------------------------------------------------------------------------------

def _reviewers_by_scope() -> dict:
    """Look-up of reviewer user ids: ("unit", id), ("authority", id), ("region", id) → [user ids]."""
    reviewers = defaultdict(list)
    rows = RoleMembership.objects.filter(
        role__in=[Role.UNIT_REVIEWER, Role.AUTHORITY_REVIEWER, Role.COUNTY_HR, Role.CITY_HR], user__is_active=True
    ).values_list("role", "unit_id", "authority_id", "region_id", "user_id")
    for role, unit_id, authority_id, region_id, user_id in rows:
        if role == Role.UNIT_REVIEWER:
            reviewers["unit", unit_id].append(user_id)
        elif role == Role.AUTHORITY_REVIEWER:
            reviewers["authority", authority_id].append(user_id)
        else:
            # The HR bureau of a region reviews level 2 of its units without an authority (the city's
            # bureau for units registered at city level) and receives that region's digest.
            reviewers["region", region_id].append(user_id)
    return reviewers


def _level2_scope(authority_id, region_id) -> tuple[str, int]:
    return ("authority", authority_id) if authority_id else ("region", region_id)


# --- reminders ------------------------------------------------------------------------------------------

def send_due_reminders(*, today: dt.date, now: dt.datetime) -> int:
    """One working day before a due date, tell each responsible reviewer how many claims fall due.

    Claims due from today up to the next working day are covered, so a run missed yesterday is made up
    today (a reminder on the due date itself is still worth sending). One notice per reviewer and due
    date; its key makes any later run a no-op. Returns how many notices were new.
    """
    horizon = add_working_days(today, 1)
    counts = defaultdict(lambda: [0, 0])  # (user id, due date) → [level 1, level 2]
    reviewers = _reviewers_by_scope()
    level1 = (Claim.objects.filter(status=SUBMITTED, level1_due_on__range=(today, horizon))
              .values_list("unit_id", "level1_due_on").annotate(n=Count("id")).order_by())
    for unit_id, due_on, n in level1:
        for user_id in reviewers["unit", unit_id]:
            counts[user_id, due_on][0] += n
    level2 = (Claim.objects.filter(status=UNIT_APPROVED, level2_due_on__range=(today, horizon))
              .values_list("level2_authority_id", "level2_region_id", "level2_due_on").annotate(n=Count("id"))
              .order_by())
    for authority_id, region_id, due_on, n in level2:
        for user_id in reviewers[_level2_scope(authority_id, region_id)]:
            counts[user_id, due_on][1] += n

    link = reverse("audits:queue")
    notices = [
        Notification(
            user_id=user_id, kind="review_reminder", link=link, created_at=now,
            dedupe_key=f"remind:{user_id}:{due_on.isoformat()}",
            text=_reminder_text(due_on=due_on, today=today, level1=l1, level2=l2),
        )
        for (user_id, due_on), (l1, l2) in sorted(counts.items())
    ]
    return _create_and_email(notices, now=now, subject="【继续教育】学时申报审核即将到期提醒")


def _reminder_text(*, due_on: dt.date, today: dt.date, level1: int, level2: int) -> str:
    when = "今天" if due_on == today else f"{due_on.month}月{due_on.day}日"
    parts = [f"单位审核 {level1} 条" if level1 else "", f"二级审核 {level2} 条" if level2 else ""]
    return (f"您负责审核的 {level1 + level2} 条学时申报将于{when}（{due_on:%Y-%m-%d}）审核期满"
            f"（{'、'.join(p for p in parts if p)}），请在期限内完成审核。")


# --- digest ---------------------------------------------------------------------------------------------

DIGEST_TOP_UNITS = 10


def send_overdue_digests(*, today: dt.date, now: dt.datetime) -> int:
    """Each HR bureau's daily list of overdue reviews in its region (the escalation of rule 5).

    One GROUP BY over the overdue claims, through the (status, due date) indexes; nothing is sent to a
    bureau with nothing overdue. Returns how many notices were new.
    """
    per_region = defaultdict(list)  # region id → [(unit id, level 1, level 2, oldest due)]
    rows = (Claim.objects.filter(overdue_q(today)).values_list("region_id", "unit_id")
            .annotate(l1=Count("id", filter=Q(status=SUBMITTED)), l2=Count("id", filter=Q(status=UNIT_APPROVED)),
                      oldest=Min(CURRENT_DUE))
            .order_by())
    for region_id, unit_id, l1, l2, oldest in rows:
        per_region[region_id].append((unit_id, l1, l2, oldest))
    if not per_region:
        return 0
    unit_names = dict(Unit.objects.filter(
        pk__in={unit_id for units in per_region.values() for unit_id, *_ in units}).values_list("pk", "name"))
    reviewers = _reviewers_by_scope()
    notices = []
    for region_id, units in sorted(per_region.items()):
        text = _digest_text(units, unit_names, today=today)
        link = reverse("monitor:region", args=[region_id])
        notices.extend(
            Notification(user_id=user_id, kind="overdue_digest", text=text, link=link, created_at=now,
                         dedupe_key=f"digest:{user_id}:{region_id}:{today.isoformat()}")
            for user_id in reviewers["region", region_id]
        )
    return _create_and_email(notices, now=now, subject=f"【继续教育】{today:%Y-%m-%d} 逾期未审核学时申报汇总")


def _digest_text(units, unit_names, *, today: dt.date) -> str:
    level1, level2 = sum(u[1] for u in units), sum(u[2] for u in units)
    oldest = min(u[3] for u in units)
    lines = [
        f"截至 {today:%Y-%m-%d}，本辖区共有 {level1 + level2} 条学时申报逾期未审核"
        f"（单位审核 {level1} 条、二级审核 {level2} 条），涉及 {len(units)} 家单位，最早的审核期限为 {oldest:%Y-%m-%d}。"
        "逾期申报不会自动通过，请督促相关单位尽快审核。"
    ]
    worst = sorted(units, key=lambda u: (-(u[1] + u[2]), u[3], unit_names.get(u[0], "")))[:DIGEST_TOP_UNITS]
    lines += [f"· {unit_names.get(u[0], '（单位已删除）')}：{u[1] + u[2]} 条，最早期限 {u[3]:%Y-%m-%d}" for u in worst]
    if len(units) > DIGEST_TOP_UNITS:
        lines.append(f"……另有 {len(units) - DIGEST_TOP_UNITS} 家单位，详见监控页面。")
    return "\n".join(lines)


# --- notices and mail -----------------------------------------------------------------------------------

def _create_and_email(notices: list[Notification], *, now: dt.datetime, subject: str) -> int:
    if not notices:
        return 0
    keys = [n.dedupe_key for n in notices]
    before = Notification.objects.filter(dedupe_key__in=keys).count()
    Notification.objects.bulk_create(notices, ignore_conflicts=True, batch_size=1000)
    created = Notification.objects.filter(dedupe_key__in=keys).count() - before
    email_notifications(keys=keys, now=now, subject=subject)
    return created


def email_notifications(*, keys: list[str], now: dt.datetime, subject: str) -> int:
    """Mail the notices among `keys` that have not been mailed yet; returns how many were sent.

    The rows are locked with SKIP LOCKED for the length of the sending, so a second worker passes over
    them rather than mailing them again; a mail that fails stays unmarked and goes out on the next run.
    """
    sent = []
    with transaction.atomic():
        pending = (Notification.objects.select_for_update(skip_locked=True, of=("self",))
                   .filter(dedupe_key__in=keys, emailed_at__isnull=True).exclude(user__email="")
                   .select_related("user").order_by("pk"))
        for notice in pending:
            body = notice.text
            if notice.link:
                body += f"\n\n详情：{settings.SITE_URL.rstrip('/')}{notice.link}"
            try:
                send_mail(subject, body, None, [notice.user.email])
            except Exception:  # one bad address or a mail server hiccup must not stop the others
                logger.exception("notification %s: mail to %s failed", notice.pk, notice.user.email)
                continue
            sent.append(notice.pk)
        Notification.objects.filter(pk__in=sent).update(emailed_at=now)
    return len(sent)


# --- monitor figures --------------------------------------------------------------------------------------

def snapshot_refresh(*, today: dt.date, now: dt.datetime) -> int:
    """Write today's backlog figures per unit, per authority and per region (upsert: reruns overwrite).

    Units with nothing pending and no decision this year get no row (the monitors show them as zeros),
    so the table grows with activity, not with the registry. Returns how many rows were written.
    """
    backlog = {
        unit_id: (pending, overdue, oldest)
        for unit_id, pending, overdue, oldest in (
            Claim.objects.filter(status__in=PENDING).values_list("unit_id")
            .annotate(pending=Count("id"), overdue=Count("id", filter=overdue_q(today)),
                      oldest=Min(CURRENT_DUE, filter=overdue_q(today)))
            .order_by()
        )
    }
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
        pending, overdue, oldest = backlog.get(unit_id, (0, 0, None))
        decided, on_time = decisions.get(unit_id, (0, 0))
        figures = (pending, overdue, oldest, decided, on_time)
        rows[region_id, unit_id, authority_id] = figures
        _add_to_total(rows, (region_id, None, None), figures)
        if authority_id:
            _add_to_total(rows, (region_id, None, authority_id), figures)
    snapshots = [
        OverdueSnapshot(date=today, region_id=region_id, unit_id=unit_id, authority_id=authority_id,
                        pending=f[0], overdue=f[1], oldest_overdue_due_on=f[2], decided=f[3], decided_on_time=f[4],
                        computed_at=now)
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
                                        "decided_on_time", "computed_at"]}
        OverdueSnapshot.objects.bulk_create(snapshots, batch_size=2000, **upsert)
    return len(snapshots)


def _add_to_total(rows: dict, key: tuple, figures: tuple) -> None:
    total = rows.get(key)
    if total is None:
        rows[key] = figures
        return
    oldest = min((d for d in (total[2], figures[2]) if d is not None), default=None)
    rows[key] = (total[0] + figures[0], total[1] + figures[1], oldest, total[3] + figures[3], total[4] + figures[4])
