"""Every page a role needs is reachable from its home page (a feature nobody can find is not there)."""
import pytest
from django.urls import reverse


@pytest.mark.parametrize(
    "persona, home, targets",
    [
        ("alice", "records:my_home", ["records:claim_new", "records:my_certificates"]),
        ("ada", "records:unit_home", ["audits:queue", "records:compliance", "records:certificate_bundles",
                                      "records:staff_import"]),
        ("hank", "records:authority_home", ["audits:queue", "records:compliance", "records:certificate_bundles"]),
        ("xin", "records:county_home", ["audits:queue", "records:compliance", "records:certificate_bundles"]),
        ("cheng", "records:city_home", ["audits:queue", "records:compliance", "records:certificate_bundles",
                                        "screening:flags"]),
    ],
)
def test_role_home_links_to_its_pages(client, request, persona, home, targets):
    user = request.getfixturevalue(persona)
    client.force_login(getattr(user, "user", user))
    page = client.get(reverse(home)).content.decode()
    for target in targets:
        assert f'href="{reverse(target)}"' in page, target


def test_the_login_page_links_to_registration_and_certificate_verification(client, db):
    page = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("records:register")}"' in page
    assert f'href="{reverse("records:verify_search")}"' in page
