"""Every page a role needs is reachable from its home page (a feature nobody can find is not there)."""
import pytest
from django.urls import reverse


@pytest.mark.parametrize(
    "persona, home, targets",
    [
        ("alice", "records:my_home", ["records:claim_new", "records:my_certificates"]),
        ("ada", "records:unit_home", ["review:queue", "records:compliance", "records:certificate_bundles",
                                      "records:staff_import"]),
        ("hank", "records:authority_home", ["review:queue", "records:compliance", "records:certificate_bundles"]),
        ("xin", "records:county_home", ["review:queue", "records:compliance", "records:certificate_bundles"]),
        ("cheng", "records:city_home", ["review:queue", "records:compliance", "records:certificate_bundles",
                                        "screening:flags"]),
    ],
)
def test_role_home_links_to_its_pages(db, client, request, persona, home, targets):
    user = request.getfixturevalue(persona)
    client.force_login(getattr(user, "user", user))
    page = client.get(reverse(home)).content.decode()
    for target in targets:
        assert f'href="{reverse(target)}"' in page, target


def test_the_login_page_links_to_registration_and_certificate_verification(client, db):
    page = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("records:register")}"' in page
    assert f'href="{reverse("records:verify_search")}"' in page


def test_the_monitor_is_in_the_navigation_of_those_who_watch_reviews(client, alice, ada, hank, xin, cheng):
    monitor = f'href="{reverse("monitor:home")}"'
    for user, sees in ((alice.user, False), (ada, False), (hank, True), (xin, True), (cheng, True)):
        client.force_login(user)
        page = client.get(reverse("home"), follow=True).content.decode()
        assert (monitor in page) is sees, user
        assert f'href="{reverse("review:notifications")}"' in page


def test_unread_notifications_are_counted_in_the_navigation(client, xin):
    from django.utils import timezone

    from audits.review.models import Notification

    for key in ("a", "b"):
        Notification.objects.create(user=xin, kind="digest", text="逾期汇总", dedupe_key=key, created_at=timezone.now())
    client.force_login(xin)
    page = client.get(reverse("records:county_home")).content.decode()
    assert 'data-unread="2"' in page


def test_a_missing_page_is_explained_in_chinese(client, alice):
    client.force_login(alice.user)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()
