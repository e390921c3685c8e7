"""The unit's CE register, a person's history and the unit's progress view (issue 13): filters, CSV/XLSX
exports opened and read, and the scope (another unit's reviewer gets 404)."""
import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from records.hours.models import PersonYearTotal
from records.people.models import Role
from tests.certificate_data import approved_claim, platform_record
from tests.factories import SHANGHAI, ClaimFactory, EvidenceFileFactory, ProfessionalFactory, UserFactory, grant
from tests.platforms.helpers import make_platform

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 11, 3, 10, 0, tzinfo=SHANGHAI)
D = Decimal


@pytest.fixture
def register(alice, unit_a, bob):
    """alice: a 2025 face-to-face claim under review (with a file), a 2024 lecture approved, a draft; a colleague's
    2025 workshop returned; bob's claim at another unit."""
    colleague = ProfessionalFactory(name="王同事", unit=unit_a)
    pending = ClaimFactory(professional=alice, title="急诊急救培训", kind="face_to_face", result="合格")
    evidence = EvidenceFileFactory(claim=pending, original_name="签到表.pdf")
    old = approved_claim(alice, year=2024, start=dt.date(2024, 5, 6), kind="lecture", title="学术讲座：新药",
                         hours="6")
    ClaimFactory(professional=alice, status="draft", title="草稿不登记", filed_on=None, due_on=None)
    returned = ClaimFactory(professional=colleague, kind="workshop", status="returned", title="护理研修班")
    ClaimFactory(professional=bob, title="他单位的申报")
    return {"pending": pending, "evidence": evidence, "old": old, "returned": returned, "colleague": colleague}


def claim_ids(page: str, claims) -> list[int]:
    return [c.pk for c in claims if f'data-claim="{c.pk}"' in page]


def sheet_rows(response) -> list[list]:
    """The XLSX download's rows as openpyxl reads them, without the empty cells a wider row leaves at the end."""
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = []
    for row in sheet.iter_rows(values_only=True):
        row = list(row)
        while row and row[-1] is None:
            row.pop()
        rows.append(row)
    return rows


def get(client, user, name, *args, **params):
    client.force_login(user)
    with time_machine.travel(NOW, tick=False):
        return client.get(reverse(name, args=args), params)


def test_the_register_lists_the_units_filed_activities_and_filters_them(client, ada, unit_a, alice, register):
    everything = [register["pending"], register["old"], register["returned"]]
    page = get(client, ada, "records:unit_register", unit_a.pk).content.decode()
    assert claim_ids(page, everything) == [c.pk for c in everything]
    assert "草稿不登记" not in page and "他单位的申报" not in page
    assert register["evidence"].sha256 in page and "签到表.pdf" in page

    cases = [
        ({"professional": alice.pk}, [register["pending"], register["old"]]),
        ({"year": 2024}, [register["old"]]),
        ({"kind": "workshop"}, [register["returned"]]),
        ({"status": "submitted"}, [register["pending"]]),
        ({"professional": alice.pk, "year": 2025, "kind": "face_to_face", "status": "submitted"},
         [register["pending"]]),
    ]
    for params, expected in cases:
        page = get(client, ada, "records:unit_register", unit_a.pk, **params).content.decode()
        assert claim_ids(page, everything) == [c.pk for c in expected], params


def test_who_has_left_stays_in_the_register_but_their_history_is_no_longer_the_units(client, ada, unit_a, register):
    colleague = register["colleague"]
    colleague.employments.update(ended_on=dt.date(2025, 10, 31))
    page = get(client, ada, "records:unit_register", unit_a.pk).content.decode()
    assert f'data-claim="{register["returned"].pk}"' in page and "王同事 <span class=\"muted\">（已离开本单位）</span>" in page
    assert reverse("records:person_history", args=[colleague.pk]) not in page
    assert get(client, ada, "records:person_history", colleague.pk).status_code == 404


def test_a_bad_filter_is_said_and_ignored(client, ada, unit_a, register):
    page = get(client, ada, "records:unit_register", unit_a.pk, year=1999, status="draft").content.decode()
    assert "本单位登记中没有该年度的活动。" in page and "请从列表中选择状态。" in page
    assert f'data-claim="{register["old"].pk}"' in page


def test_the_xlsx_export_holds_each_activity_with_its_evidence_hashes(client, ada, unit_a, alice, register):
    response = get(client, ada, "records:unit_register_export", unit_a.pk, "xlsx", professional=alice.pk)
    assert response.status_code == 200
    rows = sheet_rows(response)
    assert rows[0] == ["新华区第一医院继续教育登记"] and rows[1][0] == "生成人：第一医院审核员"
    header = rows.index(next(r for r in rows if r and r[0] == "姓名"))
    assert rows[header][:4] == ["姓名", "身份证号码", "学时年度", "活动形式"]
    body = rows[header + 1:]
    assert len(body) == 2
    pending = next(r for r in body if r[5] == "急诊急救培训")
    assert pending[0] == "张爱丽" and pending[1] == alice.masked_id_number and pending[1] != alice.id_number
    assert pending[2] == 2025 and pending[3] == "面授培训" and pending[4] == "专业科目"
    assert pending[9] == 16 and pending[10] == "合格"
    assert pending[12] == f"签到表.pdf（SHA-256 {register['evidence'].sha256}）"
    assert pending[13] == "待单位审核"
    old = next(r for r in body if r[5] == "学术讲座：新药")
    assert old[2] == 2024 and old[3] == "学术讲座" and old[13] == "已通过"


def test_the_csv_export_follows_the_filters(client, ada, unit_a, register):
    response = get(client, ada, "records:unit_register_export", unit_a.pk, "csv", kind="workshop")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    titles = [row[5] for row in csv.reader(io.StringIO(text)) if len(row) > 5 and row[0] != "姓名"]
    assert titles == ["护理研修班"]


def test_a_persons_history_shows_every_year_claim_and_platform_record(client, ada, alice, register):
    make_platform("public")
    record = platform_record(alice, hours="12", year=2023, title="数字经济公需课", day=dt.date(2023, 4, 1))
    page = get(client, ada, "records:person_history", alice.pk).content.decode()
    assert f'data-claim="{register["pending"].pk}"' in page and f'data-claim="{register["old"].pk}"' in page
    assert f'data-record="{record.pk}"' in page and "数字经济公需课" in page
    assert 'data-year="2025"' in page and 'data-year="2024"' in page and 'data-year="2023"' in page
    assert "草稿不登记" not in page
    assert alice.id_number not in page


def test_another_units_reviewer_gets_404_everywhere(client, unit_a, unit_b, alice, register):
    bella = UserFactory(username="bella")
    grant(bella, Role.UNIT_REVIEWER, unit_b)
    for name, args in [("records:unit_register", [unit_a.pk]), ("records:unit_register_export", [unit_a.pk, "xlsx"]),
                       ("records:person_history", [alice.pk]), ("records:unit_progress", [unit_a.pk]),
                       ("records:unit_progress_export", [unit_a.pk, "csv"]), ("review:unit_standard", [unit_a.pk])]:
        assert get(client, bella, name, *args).status_code == 404, name


def test_an_unknown_export_format_is_404(client, ada, unit_a):
    assert get(client, ada, "records:unit_register_export", unit_a.pk, "pdf").status_code == 404
    assert get(client, ada, "records:unit_progress_export", unit_a.pk, "pdf").status_code == 404


@pytest.fixture
def staff(unit_a, alice):
    """This year's credited hours: alice compliant, 钱 90 all public (60 professional missing), 孙 nothing (90
    missing), 李 30/40 (20 professional missing)."""
    people = {"alice": alice}
    for key, name in (("qian", "钱多"), ("sun", "孙无"), ("li", "李半")):
        people[key] = ProfessionalFactory(name=name, unit=unit_a)
    for key, public, professional in (("alice", 30, 60), ("qian", 90, 0), ("li", 30, 40)):
        PersonYearTotal.objects.create(professional=people[key], year=2025, public_hours=D(public),
                                       professional_hours=D(professional))
    return people


def test_progress_lists_the_furthest_behind_first(client, ada, unit_a, staff):
    page = get(client, ada, "records:unit_progress", unit_a.pk).content.decode()
    order = sorted(staff, key=lambda key: page.index(f'data-professional="{staff[key].pk}"'))
    assert order == ["sun", "qian", "li", "alice"]
    assert 'data-behind="3"' in page and "专业科目 60 学时" in page

    behind = get(client, ada, "records:unit_progress", unit_a.pk, behind="1").content.decode()
    assert f'data-professional="{staff["alice"].pk}"' not in behind


def test_progress_exports_in_the_same_order(client, ada, unit_a, staff):
    response = get(client, ada, "records:unit_progress_export", unit_a.pk, "xlsx")
    rows = sheet_rows(response)
    body = rows[[r[0] if r else None for r in rows].index("姓名") + 1:]
    assert [(r[0], r[4], r[6]) for r in body] == [
        ("孙无", 90, "未达标"), ("钱多", 60, "未达标"), ("李半", 20, "未达标"), ("张爱丽", 0, "达标"),
    ]


def test_the_unit_desk_links_its_register_progress_and_standard(client, ada, unit_a):
    page = get(client, ada, "records:unit_home").content.decode()
    for name in ("records:unit_register", "records:unit_progress", "review:unit_standard"):
        assert reverse(name, args=[unit_a.pk]) in page
