import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from audits.trail.models import AuditEvent
from audits.trail.services import GENESIS_HASH, record_event


def _three_events(actor):
    return [
        record_event(actor=actor, action="test.one", target=("test", 1), after={"hours": "1.5"}, ip="127.0.0.1"),
        record_event(actor=actor, action="test.two", target=("test", 2), before={"a": 1}, after={"a": 2}),
        record_event(actor=None, action="test.three", target=("test", 3)),
    ]


def test_events_are_chained(cheng):
    first, second, third = _three_events(cheng)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    assert third.actor_label == "系统"
    call_command("verify_audit_chain")


def test_updates_and_deletes_are_refused_by_the_database(cheng):
    event = record_event(actor=cheng, action="test.one", target=("test", 1))
    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="test.changed")
    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.one"


def _tamper(sql, params):
    """What an attacker with database rights would do: switch the guard off, change a row."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # skips ordinary triggers
        cursor.execute(sql, params)
        cursor.execute("SET session_replication_role = DEFAULT")


def test_verify_reports_the_first_edited_event(cheng):
    first, second, third = _three_events(cheng)
    _tamper("UPDATE audits_auditevent SET after = %s WHERE id = %s", ['{"hours": "9.5"}', first.pk])
    with pytest.raises(CommandError, match=f"第 {first.pk} 条断开"):
        call_command("verify_audit_chain")


def test_verify_reports_a_removed_event(cheng):
    first, second, third = _three_events(cheng)
    _tamper("DELETE FROM audits_auditevent WHERE id = %s", [second.pk])
    with pytest.raises(CommandError, match=f"第 {third.pk} 条断开"):
        call_command("verify_audit_chain")
