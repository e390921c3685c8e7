"""city_hr in the admin: platform tokens issued (stored hashed) and revoked, platform changes — all audited."""
import re

import pytest

from audits.trail.models import AuditEvent
from platforms.ingest.models import PlatformToken
from platforms.ingest.rules import hash_token
from tests.platforms.helpers import client_for, issue, post, record_for

ADD_URL = "/admin/platforms/platformtoken/add/"
LIST_URL = "/admin/platforms/platformtoken/"

pytestmark = pytest.mark.usefixtures("frozen")


def issued_token(response) -> str:
    return re.search(r'<code class="issued-token">([^<]+)</code>', response.content.decode()).group(1)


def test_city_hr_issues_a_token_shown_once_and_stored_only_as_a_hash(client, cheng, alice, public_platform):
    client.force_login(cheng)

    response = client.post(ADD_URL, {"platform": public_platform.pk, "label": "河南专技在线 生产环境"}, follow=True)

    assert response.status_code == 200
    token = issued_token(response)
    row = PlatformToken.objects.get()
    assert (row.platform, row.label, row.prefix) == (public_platform, "河南专技在线 生产环境", token[:12])
    assert row.token_hash == hash_token(token)
    assert token not in str(PlatformToken.objects.values().get())
    event = AuditEvent.objects.get(action="platform_token.issue")
    assert (event.actor_id, event.object_id) == (cheng.pk, str(row.pk))
    assert token not in str(event.after)
    # The token works at once, and no page shows it again.
    assert post(client_for(token), {"records": [record_for(alice)]}).status_code == 200
    assert token not in client.get(f"{LIST_URL}{row.pk}/change/").content.decode()
    assert token not in client.get(LIST_URL).content.decode()


def test_city_hr_revokes_tokens_and_they_stop_working_at_once(client, cheng, alice, public_platform):
    token = issue(public_platform)
    kept = issue(public_platform)
    client.force_login(cheng)
    row = PlatformToken.objects.get(token_hash=hash_token(token))

    response = client.post(LIST_URL, {"action": "revoke", "_selected_action": [row.pk]})

    assert response.status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is not None
    event = AuditEvent.objects.get(action="platform_token.revoke")
    assert (event.before["revoked_at"], event.actor_id) == (None, cheng.pk)
    assert post(client_for(token), {"records": [record_for(alice)]}).json()["code"] == "token_revoked"
    assert post(client_for(kept), {"records": [record_for(alice)]}).status_code == 200


def test_revoking_twice_records_one_event(client, cheng, public_platform):
    issue(public_platform)
    client.force_login(cheng)
    row = PlatformToken.objects.get()
    for _ in range(2):
        client.post(LIST_URL, {"action": "revoke", "_selected_action": [row.pk]})
    assert AuditEvent.objects.filter(action="platform_token.revoke").count() == 1


def test_a_token_is_neither_edited_nor_deleted(client, cheng, public_platform):
    issue(public_platform)
    row = PlatformToken.objects.get()
    client.force_login(cheng)

    client.post(f"{LIST_URL}{row.pk}/change/", {"label": "改名"})
    deleted = client.post(f"{LIST_URL}{row.pk}/delete/", {"post": "yes"})

    row.refresh_from_db()
    assert row.label == "测试"
    assert deleted.status_code == 403
    assert PlatformToken.objects.count() == 1


@pytest.mark.parametrize("persona", ["xin", "ada"])
def test_other_roles_cannot_see_or_issue_tokens(client, request, persona, public_platform):
    user = request.getfixturevalue(persona)
    user.is_staff = True  # even with admin access for other lists
    user.save()
    client.force_login(user)

    assert client.get(LIST_URL).status_code == 403
    assert client.post(ADD_URL, {"platform": public_platform.pk, "label": "x"}).status_code == 403
    assert not PlatformToken.objects.exists()


def test_changing_a_platform_in_the_admin_is_audited(client, cheng, public_platform):
    client.force_login(cheng)
    form = {"name": public_platform.name, "operator": public_platform.operator, "url": public_platform.url,
            "phone": "", "category": "public", "level": "provincial", "years_approved": "[2024, 2025, 2026]"}

    response = client.post(f"/admin/platforms/learningplatform/{public_platform.pk}/change/", form)  # active unticked

    assert response.status_code == 302
    event = AuditEvent.objects.get(action="platform.change")
    assert (event.before["active"], event.after["active"]) == (True, False)
    assert event.after["years_approved"] == [2024, 2025, 2026]
    assert event.actor_id == cheng.pk
