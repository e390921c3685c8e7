"""Issue 14: help for every role and for newcomers, a way back to the desk from every page, the city desk's
lead, and unit names that open the unit's list."""
import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from audits.screening.models import ScreeningFlag
from records.people.models import Role
from tests.factories import SHANGHAI, ClaimFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 11, 3, 10, 0, tzinfo=SHANGHAI)
PERSONAS = [("alice", Role.PROFESSIONAL, "records:my_home"), ("ada", Role.UNIT_REVIEWER, "records:unit_home"),
            ("hank", Role.AUTHORITY_REVIEWER, "records:authority_home"), ("xin", Role.COUNTY_HR, "records:county_home"),
            ("cheng", Role.CITY_HR, "records:city_home")]
# A sample of each role's pages that are not its desk.
PAGES = {
    "alice": ["records:claim_new", "records:my_certificates", "review:notifications", "password_change",
              "platforms:providers", "records:help"],
    "ada": ["review:queue", "records:staff_import", "records:compliance", "records:certificate_bundles"],
    "hank": ["review:queue", "records:compliance", "records:announcements"],
    "xin": ["review:queue", "records:unit_create", "records:compliance"],
    "cheng": ["screening:flags", "monitor:city", "records:announcement_create", "records:announcements"],
}


def _user(request, persona):
    user = request.getfixturevalue(persona)
    return getattr(user, "user", user)


@pytest.mark.parametrize("persona, role, home", PERSONAS)
def test_the_help_of_each_role_is_in_the_header_of_its_pages_and_leads_to_its_real_pages(
        client, request, persona, role, home):
    client.force_login(_user(request, persona))
    help_url = reverse("records:help_role", args=[role.value])
    with time_machine.travel(NOW, tick=False):
        for name in [home, *PAGES[persona]]:
            assert f'href="{help_url}"' in client.get(reverse(name)).content.decode(), name
        page = client.get(help_url).content.decode()
    assert f'href="{reverse(home)}"' in page
    assert "www.hnzjgl.gov.cn" in page and "本平台与省平台之间不交换数据" in page


def test_another_roles_help_names_its_pages_without_links_that_would_answer_404(client, alice, xin):
    county_help = reverse("records:help_role", args=[Role.COUNTY_HR.value])
    client.force_login(alice.user)
    page = client.get(county_help).content.decode()
    assert f'href="{reverse("records:county_home")}"' not in page and f'href="{reverse("review:queue")}"' not in page
    assert '<span class="page-name">县（市、区）人社局工作台</span>' in page
    assert f'href="{reverse("platforms:providers")}"' in page or f'href="{reverse("login")}"' in page  # public pages
    client.force_login(xin)
    assert f'href="{reverse("records:county_home")}"' in client.get(county_help).content.decode()


def test_a_newcomer_finds_help_from_the_log_in_page_and_how_to_start(client):
    login = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("records:help")}"' in login
    page = client.get(reverse("records:help")).content.decode()
    assert f'href="{reverse("records:register")}"' in page
    for role in Role:
        assert f'href="{reverse("records:help_role", args=[role.value])}"' in page
    assert client.get(reverse("records:help_role", args=["nobody"])).status_code == 404


@pytest.mark.parametrize("persona, role, home", PERSONAS)
def test_every_page_but_the_desk_has_a_way_back_to_the_desk(client, request, persona, role, home):
    client.force_login(_user(request, persona))
    back = f'<a href="{reverse(home)}" data-back>'
    with time_machine.travel(NOW, tick=False):
        assert back not in client.get(reverse(home)).content.decode()
        for name in PAGES[persona]:
            assert back in client.get(reverse(name)).content.decode(), name


def test_anonymous_pages_lead_back_to_the_log_in_page(client):
    back = f'<a href="{reverse("login")}" data-back>'
    for name in ("records:register", "records:verify_search", "platforms:providers", "records:help"):
        assert back in client.get(reverse(name)).content.decode(), name
    assert back not in client.get(reverse("login")).content.decode()


def test_the_city_desk_leads_with_the_open_flags_and_the_monitor(client, cheng, alice):
    with time_machine.travel(NOW, tick=False):
        claim = ClaimFactory(professional=alice, filed_on=dt.date(2025, 10, 30), due_on=dt.date(2025, 11, 6))
        for n, status in enumerate(["open", "open", "dismissed"]):
            ScreeningFlag.objects.create(rule="same_evidence", claim=claim, professional=alice, evidence={},
                                         dedupe_key=f"lead:{n}", created_at=NOW, status=status,
                                         resolution_reason="" if status == "open" else "核实为同一份培训通知")
        client.force_login(cheng)
        page = client.get(reverse("records:city_home")).content.decode()
    flags = page.index('data-tile="flags"')
    assert 'data-open-flags="2"' in page
    assert flags < page.index('data-tile="monitor"') < page.index('id="announcements"') < page.index("用人单位</h2>")
    assert f'href="{reverse("monitor:city")}"' in page
    assert f'href="{reverse("admin:audits_workingdayoverride_changelist")}"' in page
    assert f'href="{reverse("admin:index")}"' in page


@pytest.mark.parametrize("persona, home", [("xin", "records:county_home"), ("cheng", "records:city_home"),
                                           ("hank", "records:authority_home")])
def test_unit_names_on_the_county_and_city_desks_open_the_units_list(client, request, unit_a, persona, home):
    client.force_login(_user(request, persona))
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse(home)).content.decode()
        link = f'{reverse("records:compliance")}?unit={unit_a.pk}'
        assert f'href="{link}"' in page
        listing = client.get(link)
    assert listing.status_code == 200
