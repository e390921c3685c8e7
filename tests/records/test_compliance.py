"""Compliance lists (rule 10 in docs/rules.md): rows and flags per scope, one truth with `assess`, the year's unit,
CSV and XLSX exports, the export task, and the API for title evaluation."""
import csv
import datetime as dt
import io
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token

from audits.trail.models import AuditEvent
from ce_portal.errors import NotFound
from platforms.registry.models import LearningPlatform
from records.certificates.selectors import employment_of_year
from records.compliance import services as compliance_exports
from records.compliance.models import ExportJob
from records.compliance.selectors import (
    Counts, Filters, compliance_list, compliance_person_find, person_compliance, year_employments,
)
from records.compliance.services import compliance_export_build, compliance_export_request
from records.compliance.tasks import compliance_export_task
from records.hours.models import PersonYearTotal, PlatformRecord, RequirementPolicy
from records.hours.rules import assess
from records.hours.services import add_to_year_totals, year_deltas
from records.people.models import Employment, Role
from tests.factories import ProfessionalFactory, UnitFactory, UserFactory, grant

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2025, 10, 15, 10, 0, tzinfo=SHANGHAI)
D = Decimal


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def credit(person, year, public, professional):
    return PersonYearTotal.objects.create(professional=person, year=year, public_hours=D(public),
                                          professional_hours=D(professional))


def emp(professional, unit, started_on, ended_on=None) -> Employment:
    return Employment.objects.create(professional=professional, unit=unit, started_on=started_on, ended_on=ended_on)


def names(listing) -> list[str]:
    return [row.name for row in listing.iterator()]


@pytest.fixture
def world(alice, bob, carol):
    """alice compliant, bob short of public hours, carol (叶县) without any hours in 2025."""
    credit(alice, 2025, "32", "64")
    credit(bob, 2025, "29.5", "70")
    credit(carol, 2024, "40", "60")  # last year's hours do nothing for 2025 (no carry-over)
    return alice, bob, carol


# --- one truth: the SQL filter and assess ------------------------------------------------------------------

EDGE_CASES = [
    ("29.5", "70"), ("30", "60"), ("45", "45"), ("0", "90"), ("90", "0"), ("30", "59.5"), ("60", "30"),
    ("29.9", "60.1"), ("30.0", "60.0"), ("100", "100"), ("0", "0"), ("30", "59.9"), ("35", "55"), ("40", "60"),
    ("30", "70"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("policy", [(90, 30, 60), (100, 30, 60), (90, 20, 50)],
                         ids=["90/30/60", "100/30/60", "90/20/50"])
def test_the_sql_filter_and_assess_agree_on_every_edge_case(unit_a, xin, policy):
    total, public, professional = policy
    RequirementPolicy.objects.update_or_create(year=2025, defaults={
        "total_hours": total, "public_hours": public, "professional_hours": professional})
    requirement = RequirementPolicy.objects.get(year=2025)
    people = {}
    for n, (pub, pro) in enumerate(EDGE_CASES):
        person = ProfessionalFactory(name=f"边界{n:02d}", unit=unit_a)
        credit(person, 2025, pub, pro)
        people[person.name] = (D(pub), D(pro))
    people["无学时"] = (D(0), D(0))
    ProfessionalFactory(name="无学时", unit=unit_a)

    by_sql = set(names(compliance_list(xin, year=2025, compliant=True)))
    not_by_sql = set(names(compliance_list(xin, year=2025, compliant=False)))
    by_rule = {name for name, (pub, pro) in people.items() if assess(pub, pro, requirement).compliant}

    assert by_sql == by_rule
    assert not_by_sql == set(people) - by_rule
    assert compliance_list(xin, year=2025).counts.compliant == len(by_rule)
    # And the rows' own flags are assess's.
    assert {r.name for r in compliance_list(xin, year=2025).iterator() if r.compliant} == by_rule
    if policy == (90, 30, 60):  # both could be wrong the same way: the notice's numbers, by hand
        assert by_rule == {"边界01", "边界08", "边界09", "边界13", "边界14"}


# --- rows and scope ----------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_each_role_sees_its_own_people_with_hours_and_flags(world, ada, hank, xin, ye, cheng):
    alice, bob, carol = world
    rows = {r.name: r for r in compliance_list(cheng, year=2025).iterator()}
    assert set(rows) == {"张爱丽", "李博", "王卡罗"}
    assert (rows["张爱丽"].public, rows["张爱丽"].professional, rows["张爱丽"].total) == (D(32), D(64), D(96))
    assert rows["张爱丽"].compliant and rows["张爱丽"].shortfall == ""
    assert not rows["李博"].compliant and rows["李博"].shortfall == "公需科目 0.5 学时"
    assert (rows["王卡罗"].public, rows["王卡罗"].professional, rows["王卡罗"].compliant) == (D(0), D(0), False)
    assert rows["王卡罗"].shortfall == "公需科目 30 学时、专业科目 60 学时"

    assert names(compliance_list(ada, year=2025)) == ["张爱丽"]
    assert names(compliance_list(hank, year=2025)) == ["张爱丽"]
    assert set(names(compliance_list(xin, year=2025))) == {"张爱丽", "李博"}
    assert names(compliance_list(ye, year=2025)) == ["王卡罗"]
    assert names(compliance_list(ye, year=2024)) == ["王卡罗"]
    assert compliance_list(ye, year=2024).counts.compliant == 1

    counts = compliance_list(xin, year=2025).counts
    assert (counts.compliant, counts.non_compliant, counts.total) == (1, 1, 2)


@pytest.mark.django_db
def test_an_industry_authority_sees_masked_id_numbers_and_the_bureaus_full_ones(world, ada, hank, xin, cheng):
    alice = world[0]
    masked = next(compliance_list(hank, year=2025).iterator()).id_number
    assert masked != alice.id_number and masked == alice.masked_id_number
    for user in (ada, xin, cheng):
        row = next(compliance_list(user, year=2025, unit_id=alice.employments.get().unit_id).iterator())
        assert row.id_number == alice.id_number


@pytest.mark.django_db
def test_an_industry_authority_cannot_confirm_an_id_number_it_sees_masked(client, world, hank, xin):
    """A hit on an exact number would confirm what the mask hides: the authority gets what nobody's number gets."""
    alice = world[0]
    assert compliance_person_find(hank, year=2025, id_number=alice.id_number) is None
    assert names(compliance_list(hank, year=2025, search="张爱丽")) == ["张爱丽"]  # by name, masked as always
    assert compliance_person_find(xin, year=2025, id_number=alice.id_number) == alice.pk
    client.force_login(hank)
    found = client.post(reverse("records:compliance_find"), {"year": 2025, "id_number": alice.id_number})
    nobody = client.post(reverse("records:compliance_find"), {"year": 2025, "id_number": "11010519491231002X"})
    assert found.url == nobody.url == f"{reverse('records:compliance')}?year=2025"
    assert [str(m) for m in get_messages(found.wsgi_request)][-1] == [str(m) for m in get_messages(nobody.wsgi_request)][-1]
    answers = [ask(client, alice.id_number, 2025), ask(client, "11010519491231002X", 2025)]
    assert [(r.status_code, r.json()) for r in answers] == [(404, {"code": "not_found", "message": "未找到该人员。"})] * 2


@pytest.mark.django_db
def test_filters_narrow_the_list_and_one_outside_the_scope_is_not_found(world, xin, cheng, unit_a, unit_b, unit_c,
                                                                      health_bureau, yexian):
    alice, bob, carol = world
    assert names(compliance_list(xin, year=2025, unit_id=unit_b.pk)) == ["李博"]
    assert names(compliance_list(xin, year=2025, authority_id=health_bureau.pk)) == ["张爱丽"]
    assert names(compliance_list(cheng, year=2025, region_id=yexian.pk)) == ["王卡罗"]
    assert names(compliance_list(xin, year=2025, compliant=False)) == ["李博"]
    assert names(compliance_list(cheng, year=2025, search="爱丽")) == ["张爱丽"]
    assert names(compliance_list(cheng, year=2025, search=bob.id_number[-4:])) == []  # no probing by digits
    assert names(compliance_list(cheng, year=2025, person=bob.pk)) == ["李博"]
    for kwargs in ({"unit_id": unit_c.pk}, {"region_id": yexian.pk}, {"unit_id": 999_999}):
        with pytest.raises(NotFound):
            compliance_list(xin, year=2025, **kwargs)


@pytest.mark.django_db
def test_a_person_is_on_the_list_of_the_unit_they_worked_for_last_in_that_year(xin, ye, unit_a, unit_b, unit_c):
    mover = ProfessionalFactory(name="调动者")
    emp(mover, unit_a, dt.date(2020, 1, 1), dt.date(2025, 6, 30))
    emp(mover, unit_c, dt.date(2025, 7, 1))
    leaver = ProfessionalFactory(name="离职者")
    emp(leaver, unit_b, dt.date(2019, 3, 1), dt.date(2025, 3, 31))
    newcomer = ProfessionalFactory(name="新入职")
    emp(newcomer, unit_a, dt.date(2026, 2, 1))
    same_day = ProfessionalFactory(name="同日两职")
    emp(same_day, unit_c, dt.date(2025, 5, 1), dt.date(2025, 5, 1))
    emp(same_day, unit_b, dt.date(2025, 5, 1), dt.date(2025, 5, 31))

    assert set(names(compliance_list(xin, year=2025))) == {"离职者", "同日两职"}
    assert names(compliance_list(ye, year=2025)) == ["调动者"]
    assert set(names(compliance_list(xin, year=2024))) == {"调动者", "离职者"}
    assert names(compliance_list(ye, year=2024)) == []
    assert "新入职" not in names(compliance_list(xin, year=2025))
    # The same unit a certificate of that year names.
    for person in (mover, leaver, newcomer, same_day):
        for year in (2024, 2025, 2026):
            expected = employment_of_year(person, year)
            got = year_employments(year).filter(professional=person).first()
            assert (got and got.pk) == (expected and expected.pk), (person.name, year)


@pytest.mark.django_db
def test_people_without_hours_are_listed_as_not_compliant_with_zero_hours(unit_a, ada):
    ProfessionalFactory.create_batch(3, unit=unit_a)
    listing = compliance_list(ada, year=2025)
    assert listing.counts.total == 3 and listing.counts.compliant == 0
    assert {(r.public, r.professional, r.compliant) for r in listing.iterator()} == {(D(0), D(0), False)}


@pytest.mark.django_db
@pytest.mark.parametrize("compliant", [None, True, False])
def test_pages_read_unit_by_unit_give_the_whole_list_in_order(xin, unit_a, unit_b, compliant):
    units = [unit_a, UnitFactory(name="空单位"), unit_b, UnitFactory(name="阿里单位")]
    for unit, size in zip(units, (7, 0, 12, 5)):
        for n in range(size):
            person = ProfessionalFactory(name=f"{unit.name[:2]}{n:02d}", unit=unit)
            if n % 3:
                credit(person, 2025, "30", "60")
    listing = compliance_list(xin, year=2025, compliant=compliant)
    whole = [row.professional_id for row in listing.iterator()]
    assert len(whole) == {None: 24, True: 15, False: 9}[compliant] == listing.count()
    paginator = Paginator(listing, 4)
    paged = [row.professional_id for number in paginator.page_range for row in paginator.page(number)]
    assert paged == whole
    assert [r.professional_id for r in listing[5:13]] == whole[5:13]


@pytest.mark.django_db
def test_the_counts_are_kept_until_hours_or_staff_change(world, xin, unit_b):
    alice, bob, carol = world
    assert compliance_list(xin, year=2025).counts == Counts(total=2, compliant=1)
    with CaptureQueriesContext(connection) as queries:
        assert compliance_list(xin, year=2025).counts == Counts(total=2, compliant=1)
    assert not [q for q in queries if "COUNT(" in q["sql"]]  # from the cache

    # Bob's missing half hour arrives from a platform, credited as the ingestion API credits it.
    record = PlatformRecord.objects.create(
        platform=LearningPlatform.objects.filter(category="public").first(), external_id="P-1", professional=bob,
        course_title="职业道德", category="public", hours=D("0.5"), completed_at=NOW, year=2025, content_hash="x")
    add_to_year_totals(year_deltas([(bob.pk, 2025, record.category, record.hours)]))
    assert compliance_list(xin, year=2025).counts == Counts(total=2, compliant=2)

    carol.employments.update(ended_on=dt.date(2025, 8, 31))
    emp(carol, unit_b, dt.date(2025, 9, 1))
    assert compliance_list(xin, year=2025).counts == Counts(total=3, compliant=2)


@pytest.mark.django_db
def test_a_professional_has_no_compliance_list(alice):
    with pytest.raises(NotFound):
        compliance_list(alice.user, year=2025)


# --- the page ---------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_page_shows_counts_and_pages_of_fifty_for_this_year_by_default(client, xin, unit_a):
    people = ProfessionalFactory.create_batch(60, unit=unit_a)
    for person in people[:20]:
        credit(person, 2025, "30", "60")
    client.force_login(xin)
    response = client.get(reverse("records:compliance"))
    assert response.status_code == 200
    assert response.context["filters"].year == 2025
    html = response.content.decode()
    assert 'data-count="compliant">达标<strong>20</strong>' in html
    assert 'data-count="non_compliant">未达标<strong>40</strong>' in html
    assert html.count("data-professional=") == 50
    only_short = client.get(reverse("records:compliance"), {"compliant": "no"})
    assert only_short.context["page"].paginator.num_pages == 1
    assert only_short.content.decode().count('data-compliant="no"') == 40
    assert client.get(reverse("records:compliance"), {"page": 2}).content.decode().count("data-professional=") == 10


@pytest.mark.django_db
def test_a_row_shows_hours_flag_and_shortfall_with_its_texts_escaped(client, xin, unit_a, world):
    alice, bob, _ = world
    unit_a.name = "新华区<第一>医院 & 分院"
    unit_a.save()
    client.force_login(xin)
    html = client.get(reverse("records:compliance"), {"year": 2025}).content.decode()

    bob_row = re.search(rf'<tr data-professional="{bob.pk}" data-compliant="no">.*?</tr>', html, re.S)[0]
    assert "<td>李博</td>" in bob_row
    assert '<td class="hours">29.5</td><td class="hours">70</td><td class="hours">99.5</td>' in bob_row
    assert "未达标" in bob_row and "公需科目 0.5 学时" in bob_row
    alice_row = re.search(rf'<tr data-professional="{alice.pk}" data-compliant="yes">.*?</tr>', html, re.S)[0]
    assert "新华区&lt;第一&gt;医院 &amp; 分院" in alice_row and "<第一>" not in html
    assert alice_row.endswith("<td>—</td></tr>")


@pytest.mark.django_db
def test_htmx_gets_the_rows_and_out_of_band_what_the_filters_decide(client, cheng, unit_a, world):
    alice, bob, carol = world
    client.force_login(cheng)
    url = reverse("records:compliance")

    response = client.get(url, {"year": 2025, "region": unit_a.region_id}, HTTP_HX_REQUEST="true")

    fragment = response.content.decode()
    assert response.status_code == 200 and "<html" not in fragment and "我的导出" not in fragment
    assert fragment.startswith('<table><tbody id="compliance-rows"><tr data-professional=')
    assert set(map(int, re.findall(r'<tr data-professional="(\d+)"', fragment))) == {alice.pk, bob.pk}
    # The county chosen, its units are offered, the figures and the export follow the filters.
    filters = re.search(r'<div id="compliance-filters" hx-swap-oob="true">.*?</div>', fragment, re.S)[0]
    assert f'<option value="{unit_a.pk}">{unit_a.name}</option>' in filters
    assert '<div id="compliance-heading" hx-swap-oob="true">' in fragment
    summary = re.search(r'<div id="compliance-summary" hx-swap-oob="true">.*?</ul>', fragment, re.S)[0]
    assert 'data-count="total">合计<strong>2<' in summary
    assert f'<input type="hidden" name="region" value="{unit_a.region_id}">' in fragment
    assert "HX-Request" in response["Vary"]


@pytest.mark.django_db
def test_a_refused_query_from_htmx_gets_the_whole_page(client, xin, world):
    client.force_login(xin)
    response = client.get(reverse("records:compliance"), {"year": 1999}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and "<html" in response.content.decode()


@pytest.mark.django_db
def test_the_page_refuses_bad_filters_with_a_reason(client, xin, ye, unit_a, unit_c):
    client.force_login(xin)
    response = client.get(reverse("records:compliance"), {"year": "2031"})
    assert response.status_code == 400
    assert "请选择正确的年度" in response.content.decode()
    response = client.get(reverse("records:compliance"), {"compliant": "maybe", "unit": "x"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "“是否达标”只能选全部、达标、未达标或无记录" in html and "请选择正确的单位" in html
    assert client.get(reverse("records:compliance"), {"unit": unit_c.pk}).status_code == 404


@pytest.mark.django_db
def test_the_page_belongs_to_reviewers_and_bureaus_only(client, alice, ada, hank, xin, cheng):
    url = reverse("records:compliance")
    assert client.get(url).status_code == 302  # to the log-in page
    client.force_login(alice.user)
    assert client.get(url).status_code == 404
    for user in (ada, hank, xin, cheng):
        client.force_login(user)
        assert client.get(url).status_code == 200, user.username


@pytest.mark.django_db
def test_the_role_homes_link_to_the_list(client, ada, hank, xin, cheng):
    for user, home in ((ada, "unit_home"), (hank, "authority_home"), (xin, "county_home"), (cheng, "city_home")):
        client.force_login(user)
        assert reverse("records:compliance") in client.get(reverse(f"records:{home}")).content.decode(), home


# --- exports --------------------------------------------------------------------------------------------------

def csv_lines(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


@pytest.mark.django_db
def test_the_csv_streams_the_filtered_list_and_names_who_made_it_when_and_the_policy(client, world, xin, unit_a):
    alice, bob, _ = world
    client.force_login(xin)
    response = client.get(reverse("records:compliance_csv"), {"year": 2025})
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    lines = csv_lines(response)
    assert lines[0] == ["新华区2025年度专业技术人员继续教育学时达标名单"]
    assert lines[1] == ["生成人：新华区人社局", "生成时间：2025-10-15 10:00:00（北京时间）"]
    assert lines[2] == ["2025 年度学时要求：总学时不少于 90 学时，其中公需科目不少于 30 学时、专业科目不少于 60 学时，"
                        "三项均须达到，学时不得结转"]
    assert lines[3] == ["达标 1 人，未达标 1 人，共 2 人"]
    assert lines[5][:3] == ["姓名", "身份证号码", "单位"]
    body = {line[0]: line for line in lines[6:]}
    # The ID number stays text when Excel opens the file (ce_portal/exports.py); hours read as on the pages.
    assert body["张爱丽"] == ["张爱丽", f'="{alice.id_number}"', unit_a.name, "新华区", "新华区卫生健康委员会", "32",
                             "64", "96", "达标", ""]
    assert body["李博"][8:] == ["未达标", "公需科目 0.5 学时"]

    event = AuditEvent.objects.get(action="compliance.export_csv")
    assert (event.actor_id, event.object_id, event.after["compliant"]) == (xin.pk, "2025", None)

    only = csv_lines(client.get(reverse("records:compliance_csv"), {"year": 2025, "compliant": "no"}))
    assert only[4] == ["本表只含：仅未达标人员"] and [line[0] for line in only[7:]] == ["李博"]


@pytest.mark.django_db
def test_the_authority_csv_masks_id_numbers(client, world, hank):
    client.force_login(hank)
    lines = csv_lines(client.get(reverse("records:compliance_csv")))
    assert lines[6][1] == world[0].masked_id_number


def xlsx_rows(job: ExportJob) -> list[tuple]:
    with job.file.open("rb") as handle:
        return list(openpyxl.load_workbook(handle, read_only=True).active.iter_rows(values_only=True))


@pytest.mark.django_db
def test_the_xlsx_is_built_by_the_task_with_progress_and_only_its_requester_downloads_it(
        client, world, xin, ye, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(compliance_exports, "PROGRESS_EVERY", 1)
    client.force_login(xin)
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(reverse("records:compliance_export"), {"year": "2025"})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("records:export_job", args=[job.pk])
    assert len(queued) == 1  # the task is queued once the job is committed
    assert (job.status, job.params["year"], job.requested_by) == (ExportJob.Status.PENDING, 2025, xin)
    assert AuditEvent.objects.filter(action="compliance.export_request", object_id=str(job.pk)).exists()
    assert client.get(reverse("records:export_job", args=[job.pk])).status_code == 200
    assert client.get(reverse("records:export_job_status", args=[job.pk])).json()["ready"] is False

    with CaptureQueriesContext(connection) as queries:
        assert compliance_export_task.apply(args=[job.pk]).get() is True
    progress = [q["sql"] for q in queries
                if q["sql"].startswith('UPDATE "records_exportjob" SET "heartbeat_at"') and '"done"' in q["sql"]]
    assert len(progress) == 2  # a write after each row (every PROGRESS_EVERY rows)
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == (ExportJob.Status.READY, 2, 2)
    assert re.fullmatch(r"exports/2025/10/[0-9a-f]{32}\.xlsx", job.file.name)
    assert compliance_export_build(job_id=job.pk, now=NOW) is False  # taken once only

    rows = xlsx_rows(job)
    assert rows[0][0] == "新华区2025年度专业技术人员继续教育学时达标名单"
    assert rows[1][:2] == ("生成人：新华区人社局", "生成时间：2025-10-15 10:00:00（北京时间）")
    assert rows[2][0].startswith("2025 年度学时要求：总学时不少于 90 学时")
    assert rows[5][:2] == ("姓名", "身份证号码")
    assert {r[0]: r[5:9] for r in rows[6:]} == {"张爱丽": (32, 64, 96, "达标"), "李博": (29.5, 70, 99.5, "未达标")}

    status = client.get(reverse("records:export_job_status", args=[job.pk])).json()
    assert status["ready"] and status["percent"] == 100
    download = client.get(status["download_url"])
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    assert openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).active["A1"].value.startswith("新华区")

    client.force_login(ye)
    for name in ("export_job", "export_job_status", "export_job_file"):
        assert client.get(reverse(f"records:{name}", args=[job.pk])).status_code == 404, name


@pytest.mark.django_db
def test_asking_again_while_an_export_runs_gives_the_same_job_and_another_filter_a_new_one(world, xin, unit_a):
    first = compliance_export_request(actor=xin, filters=Filters(year=2025), now=NOW)
    assert compliance_export_request(actor=xin, filters=Filters(year=2025), now=NOW) == first
    other = compliance_export_request(actor=xin, filters=Filters(year=2025, unit_id=unit_a.pk), now=NOW)
    assert other != first and ExportJob.objects.count() == 2


@pytest.mark.django_db
def test_an_export_outside_the_scope_is_refused_before_anything_is_queued(client, world, xin, unit_c):
    client.force_login(xin)
    assert client.post(reverse("records:compliance_export"), {"year": "2025", "unit": unit_c.pk}).status_code == 404
    response = client.post(reverse("records:compliance_export"), {"year": "1999"}, follow=True)
    assert "请选择正确的年度" in response.content.decode()
    assert not ExportJob.objects.exists()


@pytest.mark.django_db
def test_a_failing_export_says_failed_and_why(world, xin, monkeypatch):
    job = compliance_export_request(actor=xin, filters=Filters(year=2025), now=NOW)

    def broken(*args, **kwargs):
        raise OSError("磁盘已满")

    monkeypatch.setattr(compliance_exports, "xlsx_write", broken)
    with pytest.raises(OSError):
        compliance_export_build(job_id=job.pk, now=NOW)
    job.refresh_from_db()
    assert (job.status, job.error) == (ExportJob.Status.FAILED, "磁盘已满")


# --- API ---------------------------------------------------------------------------------------------------

def ask(client, id_number: str, year: int, **extra):
    """The compliance API: the number in the JSON body, never in the address."""
    return client.post(reverse("registry_api:compliance"), {"id_number": id_number, "year": year},
                       content_type="application/json", **extra)


@pytest.mark.django_db
def test_the_api_says_whether_a_person_was_compliant_and_with_which_hours(client, world, xin):
    alice, bob, _ = world
    client.force_login(xin)
    body = ask(client, alice.id_number, 2025).json()
    assert body == {
        "id_number": alice.id_number, "name": "张爱丽", "year": 2025, "unit": "新华区第一医院", "state": "compliant",
        "compliant": True,
        "public_hours": "32.0", "professional_hours": "64.0", "total_hours": "96.0",
        "requirement": {"total_hours": "90.0", "public_hours": "30.0", "professional_hours": "60.0"},
        "shortfalls": {"total_hours": "0.0", "public_hours": "0.0", "professional_hours": "0.0"},
    }
    body = ask(client, bob.id_number, 2025).json()
    assert (body["compliant"], body["shortfalls"]["public_hours"], body["total_hours"]) == (False, "0.5", "99.5")
    assert ask(client, bob.id_number, 2024).json()["total_hours"] == "0.0"


@pytest.mark.django_db
def test_the_api_is_404_outside_the_scope_and_for_nobody(client, world, ye, hank, alice):
    client.force_login(ye)
    assert ask(client, world[0].id_number, 2025).status_code == 404
    assert ask(client, "11010519491231002X", 2025).status_code == 404
    client.force_login(hank)
    assert ask(client, world[1].id_number, 2025).status_code == 404  # bob's unit has no authority
    client.force_login(alice.user)
    assert ask(client, world[0].id_number, 2025).json()["code"] == "not_found"  # not for professionals


@pytest.mark.django_db
def test_the_api_refuses_bad_input_with_a_reason(client, world, xin):
    client.force_login(xin)
    alice = world[0]
    wrong_check_digit = "1" if alice.id_number[-1] != "1" else "2"  # whatever the factory's sequence gave her
    bad = ask(client, alice.id_number[:-1] + wrong_check_digit, 2025)
    assert (bad.status_code, bad.json()["code"]) == (400, "id_number_checksum")
    assert alice.id_number[:-1] not in bad.content.decode()  # the refusal never echoes the number
    future = ask(client, alice.id_number, 2026)
    assert (future.status_code, future.json()["code"]) == (400, "year_in_future")
    assert ask(client, alice.id_number, 2019).json()["code"] == "no_policy"


@pytest.mark.django_db
def test_the_api_takes_a_token_and_refuses_anonymous_callers(client, world, cheng):
    token = Token.objects.create(user=cheng)
    assert ask(client, world[0].id_number, 2025).status_code in (401, 403)
    response = ask(client, world[0].id_number, 2025, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200 and response.json()["compliant"] is True


@pytest.mark.django_db
def test_a_unit_may_ask_about_a_newcomers_past_years(xin, ye, unit_a, unit_c):
    mover = ProfessionalFactory(name="调动者")
    emp(mover, unit_a, dt.date(2020, 1, 1), dt.date(2025, 6, 30))
    emp(mover, unit_c, dt.date(2025, 7, 1))
    credit(mover, 2024, "30", "60")
    # 2024's list is 新华区's; 叶县 employs the person now and may look back.
    for user in (xin, ye):
        result = person_compliance(user, id_number=mover.id_number, year=2024, today=NOW.date())
        assert result.hours.compliant and result.unit == unit_a
    stranger = UserFactory(username="stranger")
    grant(stranger, Role.UNIT_REVIEWER, UnitFactory(name="别的单位"))
    with pytest.raises(NotFound):
        person_compliance(stranger, id_number=mover.id_number, year=2024, today=NOW.date())
