"""补学豁免: city_hr grants one closed year to one person, with a reason and an expiry, always audited."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from audits.trail.models import AuditEvent
from ce_portal.errors import DomainError
from records.hours.models import MakeUpExemption, RequirementPolicy
from records.hours.rules import claim_year_open
from records.hours.services import makeup_exemption_grant, makeup_exemption_revoke
from records.people.services import sync_staff_access

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2025, 3, 1, 9, 0, tzinfo=SHANGHAI)
EXPIRES = dt.datetime(2025, 3, 31, 23, 59, 59, tzinfo=SHANGHAI)
CLOSE_2024 = dt.datetime(2024, 12, 31, 23, 59, 59, tzinfo=SHANGHAI)


def grant(professional, granted_by, **overrides):
    arguments = {"professional": professional, "year": 2024, "reason": "因长期驻外援疆，经单位申请补学", "expires_at": EXPIRES,
                 "granted_by": granted_by, "now": NOW, "ip": "10.0.0.8"} | overrides
    return makeup_exemption_grant(**arguments)


def test_city_hr_grants_and_it_is_audited(alice, cheng):
    exemption = grant(alice, cheng)
    assert (exemption.professional, exemption.year, exemption.granted_by) == (alice, 2024, cheng)
    event = AuditEvent.objects.get(action="makeup_exemption.grant")
    assert (event.actor, event.object_type, event.object_id, event.ip) == (
        cheng, "records.makeupexemption", str(exemption.pk), "10.0.0.8")
    assert event.after == {"professional": alice.pk, "year": 2024, "reason": "因长期驻外援疆，经单位申请补学",
                           "expires_at": EXPIRES.isoformat()}


def test_a_grant_opens_its_year_until_it_expires(alice, cheng):
    exemption = grant(alice, cheng)
    assert not claim_year_open(2024, NOW, filing_close=CLOSE_2024)
    assert claim_year_open(2024, NOW, exemption, filing_close=CLOSE_2024)
    assert claim_year_open(2024, EXPIRES - dt.timedelta(seconds=1), exemption, filing_close=CLOSE_2024)
    assert not claim_year_open(2024, EXPIRES, exemption, filing_close=CLOSE_2024)
    assert not claim_year_open(2023, NOW, exemption, filing_close=CLOSE_2024.replace(year=2023))


@pytest.mark.parametrize(
    ("who", "overrides", "code", "field"),
    [
        ("xin", {}, "not_city_hr", None),  # county HR may not grant
        ("alice_user", {}, "not_city_hr", None),
        ("cheng", {"reason": "  \n"}, "reason_required", "reason"),
        ("cheng", {"expires_at": NOW}, "expiry_in_past", "expires_at"),
        ("cheng", {"expires_at": NOW - dt.timedelta(days=1)}, "expiry_in_past", "expires_at"),
        ("cheng", {"year": 2025}, "year_not_closed", "year"),
        ("cheng", {"year": 2026}, "year_in_future", "year"),
    ],
)
def test_refusals_change_nothing(request, alice, who, overrides, code, field):
    actor = alice.user if who == "alice_user" else request.getfixturevalue(who)
    with pytest.raises(DomainError) as refused:
        grant(alice, actor, **overrides)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert refused.value.message  # Chinese text for a person
    assert not MakeUpExemption.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_second_valid_grant_for_the_same_year_is_refused(alice, bob, cheng):
    first = grant(alice, cheng)
    with pytest.raises(DomainError) as refused:
        grant(alice, cheng, reason="重复申请")
    assert refused.value.code == "exemption_exists" and "2025-03-31 23:59" in refused.value.message
    grant(bob, cheng)  # another person
    grant(alice, cheng, year=2023)  # another year
    makeup_exemption_revoke(exemption=first, reason="材料不实", revoked_by=cheng, now=NOW)
    grant(alice, cheng, reason="重新核实后批准")  # after revocation
    assert MakeUpExemption.objects.filter(professional=alice, year=2024).count() == 2


def test_the_policy_close_decides_whether_the_year_is_closed(alice, cheng):
    policy = RequirementPolicy.objects.for_year(2024)
    policy.filing_closes_at = dt.datetime(2025, 3, 15, 18, 0, tzinfo=SHANGHAI)
    policy.save()
    with pytest.raises(DomainError) as refused:
        grant(alice, cheng)
    assert refused.value.code == "year_not_closed"
    assert grant(alice, cheng, now=dt.datetime(2025, 3, 15, 18, 0, 1, tzinfo=SHANGHAI))


def test_revocation_closes_the_year_again_and_is_audited(alice, cheng, xin):
    exemption = grant(alice, cheng)
    with pytest.raises(DomainError) as refused:
        makeup_exemption_revoke(exemption=exemption, reason="材料不实", revoked_by=xin, now=NOW)
    assert refused.value.code == "not_city_hr"
    with pytest.raises(DomainError) as refused:
        makeup_exemption_revoke(exemption=exemption, reason=" ", revoked_by=cheng, now=NOW)
    assert refused.value.code == "reason_required"
    later = NOW + dt.timedelta(days=2)
    makeup_exemption_revoke(exemption=exemption, reason="材料不实", revoked_by=cheng, now=later, ip="10.0.0.9")
    exemption.refresh_from_db()
    assert exemption.revoked_at == later
    assert not claim_year_open(2024, later, exemption, filing_close=CLOSE_2024)
    event = AuditEvent.objects.get(action="makeup_exemption.revoke")
    assert (event.actor, event.before, event.after) == (
        cheng, {"revoked_at": None}, {"revoked_at": later.isoformat(), "reason": "材料不实"})
    with pytest.raises(DomainError) as refused:
        makeup_exemption_revoke(exemption=exemption, reason="再次撤销", revoked_by=cheng, now=later)
    assert refused.value.code == "already_revoked"


# --- the admin ----------------------------------------------------------------------------------------------


@pytest.fixture
def at_now():
    with time_machine.travel(NOW, tick=False):
        yield


def _grant_form(professional, **overrides):
    return {"professional": professional.pk, "year": "2024", "reason": "因公出国一年，补学 2024 年度学时",
            "expires_at_0": "2025-03-31", "expires_at_1": "23:59:59", "_save": "保存"} | overrides


def test_city_hr_grants_in_the_admin_through_the_service(client, alice, cheng, at_now):
    sync_staff_access(user=cheng)
    client.force_login(cheng)
    assert client.get(reverse("admin:records_makeupexemption_add")).status_code == 200
    response = client.post(reverse("admin:records_makeupexemption_add"), _grant_form(alice))
    assert response.status_code == 302
    exemption = MakeUpExemption.objects.get()
    assert (exemption.professional, exemption.year, exemption.granted_by, exemption.expires_at) == (
        alice, 2024, cheng, EXPIRES)
    assert AuditEvent.objects.filter(action="makeup_exemption.grant", object_id=str(exemption.pk)).exists()


def test_the_admin_shows_a_refusal_on_its_field_and_saves_nothing(client, alice, cheng, at_now):
    sync_staff_access(user=cheng)
    client.force_login(cheng)
    response = client.post(reverse("admin:records_makeupexemption_add"),
                           _grant_form(alice, expires_at_0="2025-02-01"))
    assert response.status_code == 200
    assert "有效期须晚于当前时间。" in response.content.decode()
    response = client.post(reverse("admin:records_makeupexemption_add"), _grant_form(alice, year="2025"))
    assert "2025 年度尚在申报期内" in response.content.decode()
    assert not MakeUpExemption.objects.exists() and not AuditEvent.objects.exists()


def test_city_hr_revokes_in_the_admin(client, alice, cheng, at_now):
    sync_staff_access(user=cheng)
    exemption = grant(alice, cheng)
    client.force_login(cheng)
    url = reverse("admin:records_makeupexemption_change", args=[exemption.pk])
    response = client.post(url, {"revoke_reason": "经复核不符合条件", "_save": "保存"})
    assert response.status_code == 302
    exemption.refresh_from_db()
    assert exemption.revoked_at == NOW
    assert AuditEvent.objects.get(action="makeup_exemption.revoke").after["reason"] == "经复核不符合条件"
    # A revoked grant is read-only, and no grant is ever deleted.
    assert client.post(url, {"revoke_reason": "再次撤销"}).status_code == 403
    delete = reverse("admin:records_makeupexemption_delete", args=[exemption.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403


def test_only_city_hr_may_use_the_exemption_admin(client, alice, cheng, xin, at_now):
    from django.contrib.auth.models import Permission

    # A county HR user who somehow has staff status and the model permissions is still kept out.
    xin.is_staff = True
    xin.save()
    xin.user_permissions.set(Permission.objects.filter(codename__endswith="_makeupexemption"))
    client.force_login(xin)
    assert client.get(reverse("admin:records_makeupexemption_changelist")).status_code == 403
    assert client.post(reverse("admin:records_makeupexemption_add"), _grant_form(alice)).status_code == 403
    assert not MakeUpExemption.objects.exists()
