"""city_hr's screening pages: who may open them, the queue's filters, a flag's records, resolving, a run now."""
import datetime as dt
import hashlib

import pytest
import time_machine
from django.urls import reverse

from audits.review.models import Notification
from audits.screening.models import ScreeningFlag
from audits.screening.services import screening_run
from audits.trail.models import AuditEvent
from records.certificates.services import certificate_obtain
from tests.certificate_data import make_compliant
from tests.factories import SHANGHAI, ClaimFactory, EvidenceFileFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 10, 21, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _copied(original_owner, copier, **fields):
    """Two claims backed by the same scanned certificate; returns (original, copy)."""
    scan = hashlib.sha256(b"scan").hexdigest()
    pair = []
    for person, day in ((original_owner, dt.date(2025, 3, 3)), (copier, dt.date(2025, 3, 4))):
        claim = ClaimFactory(professional=person, start_date=day, end_date=day, hours=4, **fields)
        EvidenceFileFactory(claim=claim, sha256=scan, original_name=f"{person.name}的培训证书.pdf")
        pair.append(claim)
    return pair


@pytest.fixture
def flagged(alice, bob):
    original, copy = _copied(bob, alice)
    ClaimFactory(professional=bob, provider_name="鹰城速成培训中心", start_date=dt.date(2025, 5, 5),
                 end_date=dt.date(2025, 5, 5), hours=4)
    screening_run(now=NOW)
    return ScreeningFlag.objects.get(claim=copy)


URLS = {
    "list": lambda flag: ("get", reverse("screening:flags")),
    "detail": lambda flag: ("get", reverse("screening:flag", args=[flag.pk])),
    "resolve": lambda flag: ("post", reverse("screening:resolve", args=[flag.pk])),
    "run": lambda flag: ("post", reverse("screening:run")),
}


@pytest.mark.parametrize("page", URLS)
def test_everyone_but_city_hr_gets_404(client, flagged, alice, ada, hank, xin, page):
    method, url = URLS[page](flagged)
    for user in (alice.user, ada, hank, xin):
        client.force_login(user)
        response = getattr(client, method)(url, {"action": "dismiss", "reason": "不是我"})
        assert response.status_code == 404, user
    assert ScreeningFlag.objects.get(pk=flagged.pk).status == "open"
    assert not AuditEvent.objects.filter(action__startswith="screening.").exists()


def test_the_queue_shows_open_flags_and_filters_by_rule(client, cheng, flagged):
    client.force_login(cheng)
    page = client.get(reverse("screening:flags")).content.decode()
    assert page.count('data-flag="') == 3  # two claims with one file, one unknown provider
    assert 'data-open-count="same_evidence">同一佐证材料重复使用 <strong>2</strong>' in page

    page = client.get(reverse("screening:flags"), {"rule": "unknown_provider"}).content.decode()
    assert page.count('data-flag="') == 1 and "鹰城速成培训中心" not in page  # the provider is on the flag page

    page = client.get(reverse("screening:flags"), {"rule": "no_such_rule", "status": ""}).content.decode()
    assert "筛查规则：" in page and "已忽略该条件" in page and page.count('data-flag="') == 3

    page = client.get(reverse("screening:flags"), {"status": "dismissed"}).content.decode()
    assert "没有符合条件的疑点" in page


def test_a_flag_page_shows_every_claim_with_its_files(client, cheng, flagged, alice, bob):
    client.force_login(cheng)
    page = client.get(reverse("screening:flag", args=[flagged.pk])).content.decode()
    assert "同一佐证材料重复使用" in page and "2 人的申报中" in page
    assert page.count('data-claim="') == 2
    for claim in (flagged.claim, bob.claims.order_by("pk").first()):
        evidence = claim.evidence.get()
        assert reverse("records:evidence_download", args=[evidence.pk]) in page
    assert page.count("相同文件") == 2
    assert alice.masked_id_number in page and alice.id_number not in page


def test_dismissing_without_a_reason_is_refused_and_changes_nothing(client, cheng, flagged):
    client.force_login(cheng)
    response = client.post(reverse("screening:resolve", args=[flagged.pk]), {"action": "dismiss", "reason": "  "})
    assert response.status_code == 400
    assert "排除疑点须填写理由。" in response.content.decode()
    assert ScreeningFlag.objects.get(pk=flagged.pk).status == "open"

    response = client.post(reverse("screening:resolve", args=[flagged.pk]), {"action": "sideways"})
    assert response.status_code == 400 and "请选择处理方式" in response.content.decode()

    response = client.post(reverse("screening:resolve", args=[flagged.pk]),
                           {"action": "dismiss", "reason": "两人参加同一培训班，证书为集体扫描件"})
    assert response.status_code == 302 and response.url == reverse("screening:flags")
    assert ScreeningFlag.objects.get(pk=flagged.pk).status == "dismissed"


def test_confirming_asks_first_and_names_the_certificate_it_revokes(client, cheng, alice, bob):
    claims = make_compliant(alice)
    scan = hashlib.sha256(b"scan").hexdigest()
    EvidenceFileFactory(claim=claims[2], sha256=scan)
    EvidenceFileFactory(claim=ClaimFactory(professional=bob, start_date=dt.date(2025, 3, 3),
                                           end_date=dt.date(2025, 3, 3), hours=4), sha256=scan)
    certificate = certificate_obtain(professional=alice, year=2025, now=NOW, actor=alice.user)
    screening_run(now=NOW)
    flag = ScreeningFlag.objects.get(claim=claims[2], rule="same_evidence")
    client.force_login(cheng)

    page = client.post(reverse("screening:resolve", args=[flag.pk]), {"action": "confirm", "reason": "伪造"})
    assert page.status_code == 200
    assert f'data-certificate="{certificate.serial}"' in page.content.decode()
    assert ScreeningFlag.objects.get(pk=flag.pk).status == "open"

    response = client.post(reverse("screening:resolve", args=[flag.pk]),
                           {"action": "confirm", "reason": "伪造", "confirmed": "on"})
    assert response.status_code == 302
    flag.refresh_from_db()
    certificate.refresh_from_db()
    assert (flag.status, flag.resolved_by, certificate.status) == ("confirmed", cheng, "revoked")
    # alice is told which hours went, and why (issue 14, notifications).
    notice = Notification.objects.get(user=alice.user, kind="credit_revoked")
    assert f"的 {claims[2].hours.normalize():f} 学时已从 2025 年度撤销" in notice.text and "伪造" in notice.text
    page = client.get(reverse("screening:flag", args=[flag.pk])).content.decode()
    assert "学时已撤销" in page and 'name="action"' not in page  # resolved: no form any more


def test_city_hr_starts_a_run_from_the_queue(client, cheng, django_capture_on_commit_callbacks):
    client.force_login(cheng)
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(reverse("screening:run"))
    assert response.status_code == 302 and len(queued) == 1
    assert AuditEvent.objects.filter(action="screening.request", actor=cheng).exists()
    assert "尚未筛查过" in client.get(reverse("screening:flags")).content.decode()


def test_the_city_home_links_to_the_queue(client, cheng):
    client.force_login(cheng)
    assert reverse("screening:flags") in client.get(reverse("records:city_home")).content.decode()
