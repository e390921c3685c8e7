"""The audit trail: append-only, hash-chained events.

Each event's hash covers its own content and the previous event's hash, so editing or deleting any row
(possible only by bypassing the database triggers) breaks every later link; `verify_audit_chain` finds the
first broken one.
"""
import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from audits.trail.models import AuditEvent

GENESIS_HASH = "0" * 64


# Any constant: serialises appends so two transactions never chain onto the same predecessor.
_CHAIN_LOCK_KEY = 7_240_601


def _json_safe(value):
    """What a JSONField would give back, so the hash computed now equals the one recomputed later."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def event_hash(*, prev_hash: str, at: dt.datetime, actor_id, actor_label: str, action: str, object_type: str,
               object_id: str, before, after, ip) -> str:
    payload = json.dumps(
        {
            "prev": prev_hash,
            "at": at.astimezone(dt.timezone.utc).isoformat(),
            "actor": actor_id,
            "actor_label": actor_label,
            "action": action,
            "object": [object_type, str(object_id)],
            "before": before,
            "after": after,
            "ip": ip,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _object_ref(target) -> tuple[str, str]:
    if isinstance(target, tuple):
        return target[0], str(target[1])
    return target._meta.label_lower, str(target.pk)


@transaction.atomic
def record_event(*, actor, action: str, target, before: dict | None = None, after: dict | None = None,
                 ip: str | None = None, at: dt.datetime | None = None) -> AuditEvent:
    """Append one event. `target` is a model instance or an (object_type, object_id) pair."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    object_type, object_id = _object_ref(target)
    at = at or timezone.now()
    actor_id = actor.pk if actor is not None else None
    actor_label = (actor.get_full_name() or actor.get_username()) if actor is not None else "系统"
    before, after = _json_safe(before), _json_safe(after)
    last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    prev_hash = last or GENESIS_HASH
    return AuditEvent.objects.create(
        at=at, actor_id=actor_id, actor_label=actor_label, action=action, object_type=object_type,
        object_id=object_id, before=before, after=after, ip=ip, prev_hash=prev_hash,
        hash=event_hash(prev_hash=prev_hash, at=at, actor_id=actor_id, actor_label=actor_label, action=action,
                        object_type=object_type, object_id=object_id, before=before, after=after, ip=ip),
    )


@dataclass(frozen=True)
class BrokenLink:
    event_id: int
    problem: str


def verify_chain(events) -> BrokenLink | None:
    """Walk events in id order; return the first one whose link or content does not check out."""
    expected_prev = GENESIS_HASH
    for event in events:
        if event.prev_hash != expected_prev:
            return BrokenLink(event.id, "prev_hash does not match the previous event (a row was removed or inserted)")
        recomputed = event_hash(
            prev_hash=event.prev_hash, at=event.at, actor_id=event.actor_id, actor_label=event.actor_label,
            action=event.action, object_type=event.object_type, object_id=event.object_id,
            before=event.before, after=event.after, ip=event.ip,
        )
        if recomputed != event.hash:
            return BrokenLink(event.id, "content does not match its hash (the row was edited)")
        expected_prev = event.hash
    return None
