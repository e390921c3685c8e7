import datetime as dt
from collections import Counter
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F
from django.test import RequestFactory
from django.urls import reverse

from audits.calendar.models import WorkingDayOverride
from audits.screening.models import ScreeningFlag
from audits.review.models import ReviewDecision
from audits.trail.models import AuditEvent
from ce_portal.demo import announcements as demo_announcements
from ce_portal.demo import registry as demo
from ce_portal.demo import seed as demo_seed
from ce_portal.demo.fakes import fake_credit_code
from platforms.registry.models import LearningPlatform
from records.announcements.models import Announcement
from records.hours.models import EvidenceFile
from records.people.models import Employment, IndustryAuthority, Professional, Region, Role, RoleMembership, Unit
from records.people.services import CITY_HR_GROUP
from records.plans.models import TrainingPlan, TrainingSession

NOW = dt.datetime(2025, 6, 3, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
COUNTIES = 12


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def seeded(db, frozen):
    call_command("seed_demo")


def _counts():
    models = (Unit, IndustryAuthority, Professional, Employment, RoleMembership, get_user_model(), Group)
    return {model.__name__: model.objects.count() for model in models}


def test_demo_size_puts_units_with_and_without_authority_in_every_county(seeded):
    counties = Region.objects.filter(level=Region.Level.COUNTY)
    assert counties.count() == COUNTIES
    for county in counties:
        units = Unit.objects.filter(region=county)
        assert 2 <= units.count() <= 4, county
        assert units.filter(authority__isnull=False).exists(), county
        assert units.filter(authority__isnull=True).exists(), county
    assert set(Unit.objects.values_list("kind", flat=True)) == set(Unit.Kind.values)
    # City-level authorities (平顶山市…) oversee units in several counties; county ones stay at home.
    assert IndustryAuthority.objects.filter(region__level=Region.Level.CITY).exists()
    assert not Unit.objects.filter(authority__region__level=Region.Level.COUNTY).exclude(
        authority__region=F("region")
    ).exists()


def test_demo_people_are_valid_and_each_has_exactly_one_current_employment(seeded):
    people = Professional.objects.all()
    assert people.count() >= 300
    for person in people:
        person.full_clean()  # the ID-number checksum, among others
        assert len(person.name) in (2, 3)
    for unit in Unit.objects.all():
        unit.full_clean()  # the credit-code checksum
    current = Counter(Employment.objects.filter(ended_on__isnull=True).values_list("professional_id", flat=True))
    assert set(current) == set(people.values_list("pk", flat=True))
    assert set(current.values()) == {1}
    assert len(set(people.values_list("specialty", flat=True))) > 20
    assert len(set(people.values_list("title_level", flat=True))) >= 4
    # Every unit has staff, so every reviewer log-in has someone to look at.
    assert not Unit.objects.filter(employments__isnull=True).exists()


LANDINGS = {
    "demo_professional": "records:my_home",
    "demo_unit": "records:unit_home",
    "demo_unit2": "records:unit_home",
    "demo_authority": "records:authority_home",
    "demo_county": "records:county_home",
    "demo_city": "records:city_home",
}


def test_each_demo_login_signs_in_with_the_demo_password_and_lands_on_its_home(seeded, client):
    for username, url_name in LANDINGS.items():
        request = RequestFactory().post(reverse("login"))
        user = authenticate(request=request, username=username, password=demo.DEMO_PASSWORD)
        assert user is not None, username
        assert user.first_name.endswith("（演示）")
        client.force_login(user)
        response = client.get("/")
        assert response.status_code == 302 and response.url == reverse(url_name), username
        assert client.get(response.url).status_code == 200, username
        client.logout()


def test_demo_logins_cover_both_review_paths_in_xinhua(seeded):
    def membership(username):
        return RoleMembership.objects.get(user__username=username)

    person = membership("demo_professional").professional
    unit = membership("demo_unit").unit
    assert person.user.username == "demo_professional"
    assert person.employments.get(ended_on__isnull=True).unit == unit
    assert unit.authority is not None and membership("demo_authority").authority == unit.authority
    assert membership("demo_unit2").unit.authority is None
    assert {unit.region.name, membership("demo_unit2").unit.region.name} == {"新华区"}
    assert membership("demo_county").region.name == "新华区"
    assert membership("demo_city").region.name == "平顶山市"
    assert membership("demo_city").role == Role.CITY_HR


def test_the_demo_unit_with_an_authority_has_filed_its_plan_through_the_authority(seeded):
    unit = RoleMembership.objects.get(user__username="demo_unit").unit
    plan = TrainingPlan.objects.get(unit=unit, year=NOW.year)
    assert (plan.state, plan.review_authority, plan.bureau.name) == ("filed", unit.authority, "新华区")
    assert [(s.action, s.actor.username) for s in plan.steps.all()] == [
        ("submit", "demo_unit"), ("file", "demo_authority")]
    assert plan.items.count() == 3


def test_the_demo_unit_ran_a_checked_in_session_whose_attendees_claims_are_credited(seeded, client):
    unit = RoleMembership.objects.get(user__username="demo_unit").unit
    session = TrainingSession.objects.get(item__plan__unit=unit)
    assert (session.item.title, session.date) == ("本专业新技术、新规范专题培训", dt.date(2025, 5, 19))
    attendances = list(session.attendances.select_related("professional__user", "claim").order_by("pk"))
    assert [a.method for a in attendances] == ["qr"] + ["ticked"] * 4
    person = attendances[0]
    assert person.professional.user.username == "demo_professional"
    assert (person.claim.status, person.claim.is_credited, person.claim.hours) == ("approved", True, Decimal("8"))
    # The ticked colleagues registered and confirmed theirs: one batch at each level, after one look at the sheet.
    assert {(a.claim.status, a.claim.is_credited) for a in attendances[1:]} == {("approved", True)}
    unit_batches = ReviewDecision.objects.filter(claim__attendance__session=session, level=1).values("batch_id")
    assert unit_batches.distinct().count() == 1
    colleague = attendances[1].professional
    answer = client.post("/login/", {"username": colleague.id_number, "password": "demo2026"})
    assert answer.status_code == 302 and "_auth_user_id" in client.session  # logged in
    sheet = session.evidence.get()
    assert set(EvidenceFile.objects.filter(session_file=sheet).values_list("sha256", flat=True)) == {sheet.sha256}
    assert EvidenceFile.objects.filter(session_file=sheet).count() == 5
    assert not ScreeningFlag.objects.filter(rule="same_evidence", claim__attendance__session=session).exists()


def test_the_demo_unit_shows_its_own_standard_on_its_page(seeded, client):
    unit = RoleMembership.objects.get(user__username="demo_unit").unit
    client.force_login(get_user_model().objects.get(username="demo_unit"))
    page = client.get(f"/review/units/{unit.pk}/standard/").content.decode()
    assert "按半天计" in page and "按年度封顶" in page
    assert AuditEvent.objects.filter(action="unit_standard.save", actor__username="demo_unit").exists()


def test_platforms_are_approved_from_2023_up_to_this_year(seeded):
    for platform in LearningPlatform.objects.all():
        assert platform.years_approved == [2023, 2024, 2025]


def test_a_second_run_changes_nothing(seeded, capsys):
    capsys.readouterr()
    before = _counts()
    person = RoleMembership.objects.get(user__username="demo_professional").professional
    password = get_user_model().objects.get(username="demo_city").password

    call_command("seed_demo")

    assert _counts() == before
    assert "未做更改" in capsys.readouterr().out
    assert RoleMembership.objects.get(user__username="demo_professional").professional == person
    assert get_user_model().objects.get(username="demo_city").password == password


def test_demo_city_can_use_the_admin_and_a_unit_reviewer_cannot(seeded, client):
    url = "/admin/audits/workingdayoverride/"
    city = get_user_model().objects.get(username="demo_city")
    assert city.is_staff and not city.is_superuser
    client.force_login(city)
    assert client.get(url).status_code == 200
    response = client.post("/admin/audits/workingdayoverride/add/", {
        "date": "2025-10-11", "is_working": "on", "note": "调休上班", "source": "国办发明电〔2024〕17号",
    })
    assert response.status_code == 302
    override = WorkingDayOverride.objects.get(date=dt.date(2025, 10, 11), is_working=True)
    # No delete: the city corrects a row, it does not erase it.
    assert client.get(f"/admin/audits/workingdayoverride/{override.pk}/delete/").status_code == 403
    client.logout()

    client.force_login(get_user_model().objects.get(username="demo_unit"))
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/admin/login/")


def test_demo_logins_prints_every_account_in_chinese_and_english(seeded, capsys):
    capsys.readouterr()
    call_command("demo_logins")
    out = capsys.readouterr().out
    for username in LANDINGS:
        assert username in out
    for text in ("角色 / Role", "密码 / Password", "demo2026", "http://127.0.0.1:8000/", "新华区", "市人社局工作台"):
        assert text in out


def test_demo_logins_says_when_the_demo_is_not_seeded(db, capsys):
    call_command("demo_logins")
    assert "run seed_demo" in capsys.readouterr().out


def test_it_refuses_to_seed_a_production_database(db, frozen, settings):
    settings.ENVIRONMENT = "production"
    before = _counts()
    with pytest.raises(CommandError, match="生产环境"):
        call_command("seed_demo")
    assert _counts() == before


def test_a_failing_stage_leaves_nothing_behind(db, frozen, monkeypatch):
    def broken(run):
        raise RuntimeError("stage failed")

    monkeypatch.setattr(demo_seed, "STAGES", [*demo_seed.STAGES, broken])
    before = _counts()
    with pytest.raises(RuntimeError):
        call_command("seed_demo")
    assert _counts() == before
    assert LearningPlatform.objects.filter(years_approved=[2023]).count() == 10


# The suite runs on PostgreSQL (scripts/test), so both paths are exercised: COPY there, bulk_create as on SQLite.
COPY_MODES = [pytest.param(True, id="copy"), pytest.param(False, id="bulk_create")]


@pytest.mark.parametrize("copy", COPY_MODES)
def test_city_path_at_small_scale_writes_consistent_rows(db, frozen, copy):
    batch = demo.Batch(unit_start=36, units=30, person_start=300, professionals=2_000)

    created = demo.seed_batch(batch, today=NOW.date(), copy=copy)

    assert created["units"] == 30 and created["professionals"] == created["employments"] == 2_000
    units = Unit.objects.filter(credit_code__in=[fake_credit_code(i) for i in batch.unit_indices])
    assert units.count() == 30
    assert units.values("region").distinct().count() == COUNTIES
    assert 0.3 <= units.filter(authority__isnull=False).count() / 30 <= 0.7
    people = Professional.objects.all()
    assert people.count() == 2_000
    # Each person's employment points at one of the batch's units (ids from COPY's sequence line up).
    assert Employment.objects.filter(ended_on__isnull=True, unit__in=units).count() == 2_000
    assert not people.filter(employments__isnull=True).exists()
    for person in people.order_by("?")[:50]:
        person.full_clean()
    # New rows after the batch still get fresh ids: COPY advanced the sequences.
    later = Unit.objects.create(name="后来登记的单位", credit_code=fake_credit_code(800_000),
                                region=Region.objects.get(name="叶县"), kind=Unit.Kind.ENTERPRISE)
    assert later.pk > max(units.values_list("pk", flat=True))

    assert demo.seed_batch(batch, today=NOW.date(), copy=copy) == Counter()
    assert Professional.objects.count() == 2_000


def test_planning_is_deterministic_and_spreads_birthdays_and_sexes():
    units = demo.plan_units(demo.DEMO_BATCH, set())
    assert units == demo.plan_units(demo.DEMO_BATCH, set())
    people = demo.plan_people(demo.DEMO_BATCH, units, year=2025)
    assert people == demo.plan_people(demo.DEMO_BATCH, units, year=2025)
    assert len({p.id_number[6:10] for p in people}) > 20  # birth years
    assert Counter(int(p.id_number[16]) % 2 for p in people).most_common()[-1][1] > 100  # both sexes
    assert len({p.id_number for p in people}) == len(people)
    assert len({u.name for u in units}) == len(units)


def test_id_index_is_a_bijection_below_the_factories_range():
    indices = {demo.id_index(i) for i in range(0, 1_000_000, 7)}
    assert len(indices) == len(range(0, 1_000_000, 7))
    assert max(indices) < 1_000_000


# --- admin access follows the city_hr role ---

def test_a_city_hr_member_gets_the_admin_group_and_loses_it_with_the_role(cheng):
    cheng.refresh_from_db()
    assert cheng.is_staff
    assert cheng.groups.filter(name=CITY_HR_GROUP).exists()
    group = Group.objects.get(name=CITY_HR_GROUP)
    assert group.permissions.count() == 18
    assert cheng.has_perm("audits.change_workingdayoverride")
    assert not cheng.has_perm("audits.delete_workingdayoverride")

    RoleMembership.objects.get(user=cheng, role=Role.CITY_HR).delete()

    cheng = get_user_model().objects.get(pk=cheng.pk)
    assert not cheng.is_staff
    assert not cheng.groups.exists()


def test_losing_the_role_keeps_staff_status_someone_else_gave(cheng):
    cheng.is_superuser = True
    cheng.save()
    RoleMembership.objects.get(user=cheng, role=Role.CITY_HR).delete()
    cheng.refresh_from_db()
    assert cheng.is_staff and not cheng.groups.exists()


def test_other_roles_get_no_admin_access(ada, xin, hank, alice):
    for user in (ada, xin, hank, alice.user):
        user.refresh_from_db()
        assert not user.is_staff and not user.groups.exists()


def test_deleting_a_city_hr_user_works(cheng):
    user_pk = cheng.pk
    cheng.delete()
    assert not get_user_model().objects.filter(pk=user_pk).exists()
    assert Group.objects.filter(name=CITY_HR_GROUP).exists()


def test_every_demo_desk_shows_the_citys_current_announcements(seeded, client):
    titles = [title for title, *_ in demo_announcements.NOTICES]
    for username, url_name in LANDINGS.items():
        client.force_login(get_user_model().objects.get(username=username))
        page = client.get(reverse(url_name)).content.decode()
        assert all(title in page for title in titles), username
    call_command("seed_demo")
    assert Announcement.objects.count() == len(titles)
