"""Personal data at rest (issue 11, "Personal data"): ID and phone numbers are encrypted in every table, found
by their keyed digest, readable across a key rotation, and the portal will not start in production without
private keys."""
import os
import subprocess
import sys

import pytest
import time_machine
from cryptography.fernet import Fernet
from django.contrib.messages import get_messages
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test import Client

from ce_portal.crypto import lookup_digest
from ce_portal.env import DEV_FIELD_ENCRYPTION_KEY, DEV_ID_NUMBER_HASH_KEY, check_personal_data_keys
from platforms.ingest.rules import content_hash
from records.hours.models import PlatformRecord
from records.people.models import Professional, RecordClaim
from records.people.selectors import professional_by_id_number
from records.people.services import registration_approve
from tests.factories import ProfessionalFactory
from tests.migration_steps import migrate_to, migrate_to_latest
from tests.platforms.helpers import NOW, client_for, issue, make_platform, post, record_for
from tests.records.people import new_id_number, today  # noqa: F401  (fixture)
from tests.records.test_import import csv_file, upload
from tests.records.test_registration import PASSWORD, form

PHONE = "13903751234"
OTHER_PHONE = "13603759876"
STRONG = "k" * 50


def tables_holding(*values: str) -> set[str]:
    """The tables, of every table in the database, in which some cell contains one of `values`, read with a
    plain cursor (no model, no field: what a copy of the database shows)."""
    found = set()
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                if any(value in str(cell) for cell in row for value in values):
                    found.add(table)
                    break
    return found


def raw_column(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


# --- at rest ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_professional_is_stored_encrypted_and_reads_back_plain():
    number = new_id_number(1)
    person = ProfessionalFactory(id_number=number, phone=PHONE)
    assert tables_holding(number, PHONE) == set()
    person = Professional.objects.get(pk=person.pk)
    assert (person.id_number, person.phone) == (number, PHONE)
    assert person.id_number_digest == lookup_digest(number)
    assert person.masked_id_number == number[:4] + "**********" + number[-4:]


@pytest.mark.django_db
def test_two_rows_with_the_same_number_do_not_share_a_ciphertext():
    """Fernet is randomised: equal numbers must not be recognisable as equal in the table."""
    first = ProfessionalFactory(phone=PHONE)
    second = ProfessionalFactory(phone=PHONE)
    table = Professional._meta.db_table
    assert raw_column(table, "phone", first.pk) != raw_column(table, "phone", second.pk)


@pytest.mark.django_db
def test_a_staff_import_stores_no_plain_number(client, ada, today):
    client.force_login(ada)
    number = new_id_number(2)
    upload(client, csv_file([["郑四", number, "药学", "正高级", PHONE, "2022/3/1"]]))
    person = professional_by_id_number(number)
    assert person is not None and person.phone == PHONE
    assert tables_holding(number, PHONE) == set()


@pytest.mark.django_db
def test_a_registration_and_a_claim_on_an_existing_record_store_no_plain_number(client, unit_a, today):
    number = new_id_number(3)
    client.post("/register/", form(unit_a, id_number=number, phone=PHONE))
    entered = ProfessionalFactory(unit=unit_a, name="钱已录", id_number=new_id_number(4))
    Client().post("/register/", form(unit_a, id_number=entered.id_number, name="钱已录", phone=OTHER_PHONE))
    assert professional_by_id_number(number).phone == PHONE
    assert RecordClaim.objects.get(professional=entered).phone == OTHER_PHONE
    assert tables_holding(number, entered.id_number, PHONE, OTHER_PHONE) == set()


@pytest.mark.django_db
def test_people_log_in_with_their_number_and_no_table_keeps_it(client, unit_a, ada, today):
    number = new_id_number(10)
    client.post("/register/", form(unit_a, id_number=number))
    registration_approve(professional=professional_by_id_number(number), actor=ada)
    wrong = Client().post("/login/", {"username": number, "password": "wrong-password"})
    assert "用户名或密码不正确" in wrong.content.decode()
    spaced = f"{number[:6]} {number[6:14]} {number[14:].lower()}"
    assert Client().post("/login/", {"username": spaced, "password": PASSWORD}).status_code == 302
    # auth_user, and the lock-out's attempts and log (axes_*), hold the digest only.
    assert tables_holding(number) == set()


@pytest.mark.django_db
def test_platform_ingest_finds_the_learner_by_digest_and_stores_no_plain_number(alice):
    platform = make_platform("public")
    with time_machine.travel(NOW, tick=False):
        response = post(client_for(issue(platform)), {"records": [record_for(alice)]})
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 1
    stored = PlatformRecord.objects.get(platform=platform)
    assert stored.professional == alice
    assert tables_holding(alice.id_number) == set()
    # The content hash covers the number and fields the row holds in clear: a bare SHA-256 of them could be
    # searched back to the number, so the row keeps it keyed.
    bare = content_hash(stored.external_id, alice.id_number, alice.name, stored.course_title, stored.category,
                        stored.hours, stored.completed_at)
    assert stored.content_hash == lookup_digest(bare) != bare
    with time_machine.travel(NOW, tick=False):
        again = post(client_for(issue(platform)), {"records": [record_for(alice)]})
    assert again.json()["duplicate"] == 1


# --- look-ups -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_person_is_found_by_the_digest_of_the_number():
    person = ProfessionalFactory(id_number=new_id_number(5))
    assert professional_by_id_number(new_id_number(5)) == person
    assert professional_by_id_number(new_id_number(6)) is None


@pytest.mark.django_db
def test_a_filter_or_a_sort_on_the_ciphertext_is_refused_rather_than_silently_empty():
    ProfessionalFactory(id_number=new_id_number(7))
    for lookup in ("id_number", "id_number__in", "id_number__endswith", "phone"):
        with pytest.raises(FieldError):
            Professional.objects.filter(**{lookup: new_id_number(7)}).exists()


@pytest.mark.django_db
def test_the_same_number_twice_is_refused_by_the_digest():
    from django.db import IntegrityError, transaction

    ProfessionalFactory(id_number=new_id_number(8))
    with pytest.raises(IntegrityError), transaction.atomic():
        ProfessionalFactory(id_number=new_id_number(8))


# --- keys ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_rotation_rewrites_every_number_with_the_newest_key(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    person = ProfessionalFactory(id_number=new_id_number(9), phone=PHONE)
    claim_phone_before = raw_column(Professional._meta.db_table, "phone", person.pk)

    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key dropped too early: the rows cannot be read
    with pytest.raises(ImproperlyConfigured):
        Professional.objects.get(pk=person.pk)

    settings.FIELD_ENCRYPTION_KEYS = [new, old]  # a new key in front: the old one still reads
    assert Professional.objects.get(pk=person.pk).phone == PHONE
    call_command("rotate_field_keys", stdout=open(os.devnull, "w"))
    assert raw_column(Professional._meta.db_table, "phone", person.pk) != claim_phone_before

    settings.FIELD_ENCRYPTION_KEYS = [new]  # after the rotation the old key can go
    person = Professional.objects.get(pk=person.pk)
    assert (person.id_number, person.phone) == (new_id_number(9), PHONE)
    assert professional_by_id_number(new_id_number(9)) == person  # the digest's key did not change


@pytest.mark.parametrize("keys, hash_key", [
    ([DEV_FIELD_ENCRYPTION_KEY], STRONG), ([], STRONG), (["x"], DEV_ID_NUMBER_HASH_KEY), (["x"], "short"),
])
def test_production_refuses_the_development_or_missing_keys(keys, hash_key):
    with pytest.raises(ImproperlyConfigured):
        check_personal_data_keys(environment="production", encryption_keys=keys, hash_key=hash_key)


def test_a_real_production_start_without_the_personal_data_keys_fails():
    env = {k: v for k, v in os.environ.items() if k not in ("FIELD_ENCRYPTION_KEYS", "ID_NUMBER_HASH_KEY")}
    env.update({"CE_PORTAL_ENV": "production", "SECRET_KEY": STRONG, "DEBUG": "false"})
    result = subprocess.run([sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS must be set" in result.stderr
    assert "ID_NUMBER_HASH_KEY must be set" in result.stderr


def test_a_key_that_is_not_a_fernet_key_fails_loudly_without_echoing_it(settings):
    settings.FIELD_ENCRYPTION_KEYS = ["not-a-key-410402199001011234"]
    from ce_portal.crypto import encrypt

    with pytest.raises(ImproperlyConfigured) as refused:
        encrypt(PHONE)
    assert "410402199001011234" not in str(refused.value)


# --- the migration of a populated database ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_the_numbers_already_stored_and_renames_the_accounts():
    try:
        apps = migrate_to([("records", "0018_claim_level1_region")])
        Region, Unit = apps.get_model("records", "Region"), apps.get_model("records", "Unit")
        OldProfessional, User = apps.get_model("records", "Professional"), apps.get_model("auth", "User")
        OldClaim = apps.get_model("records", "RecordClaim")
        unit = Unit.objects.create(name="新华区第一医院", credit_code="91410400MA9XXXXXX1",
                                   region=Region.objects.get(name="新华区"), kind="public_institution")
        numbers = [new_id_number(100 + i) for i in range(3)]
        account = User.objects.create(username=numbers[0])
        staff = User.objects.create(username="staff_reviewer")
        registered = OldProfessional.objects.create(name="张爱丽", id_number=numbers[0], phone=PHONE, user=account)
        entered = OldProfessional.objects.create(name="李博", id_number=numbers[1])
        claimant = User.objects.create(username=numbers[1], is_active=False)
        OldClaim.objects.create(professional=entered, user=claimant, unit=unit, name="李博", phone=OTHER_PHONE)
        OldProfessional.objects.create(name="王卡罗", id_number=numbers[2], user=staff)  # an account named otherwise
        platform = apps.get_model("platforms", "LearningPlatform").objects.create(
            name="测试平台", operator="测试运营单位", url="https://example.invalid/", category="public",
            level="provincial", years_approved=[2025], active=True)
        bare = "ab" * 32
        record = apps.get_model("records", "PlatformRecord").objects.create(
            platform=platform, external_id="EXT-1", professional=registered, course_title="课", category="public",
            hours=2, completed_at=NOW, year=2025, content_hash=bare)
        assert tables_holding(numbers[0], PHONE)

        migrate_to([("records", "0023_keyed_platform_record_hashes")])
        assert tables_holding(*numbers, PHONE, OTHER_PHONE) == set()
        person = professional_by_id_number(numbers[0])
        assert (person.pk, person.name, person.phone) == (registered.pk, "张爱丽", PHONE)
        assert person.user.username == lookup_digest(numbers[0])
        assert RecordClaim.objects.get().phone == OTHER_PHONE
        assert RecordClaim.objects.get().user.username == lookup_digest(numbers[1])
        assert professional_by_id_number(numbers[2]).user.username == "staff_reviewer"
        assert PlatformRecord.objects.get(pk=record.pk).content_hash == lookup_digest(bare)

        apps = migrate_to([("records", "0018_claim_level1_region")])  # and back, for a rollback of the release
        OldProfessional = apps.get_model("records", "Professional")
        assert OldProfessional.objects.get(pk=registered.pk).id_number == numbers[0]
        assert OldProfessional.objects.get(pk=registered.pk).user.username == numbers[0]
    finally:
        migrate_to_latest()


# --- never in an address, exports audited -------------------------------------------------------------------


def test_no_address_of_the_portal_takes_an_id_number():
    from django.urls import URLPattern, get_resolver

    def routes(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern)
            else:
                yield from routes(pattern.url_patterns, prefix + str(pattern.pattern))

    assert not [route for route in routes(get_resolver().url_patterns) if "id_number" in route]


@pytest.mark.django_db
def test_a_unit_finds_its_staff_by_a_posted_number_and_nobody_elses(client, ada, alice, bob):
    client.force_login(ada)
    found = client.post("/unit/staff/find/", {"id_number": alice.id_number.lower()})
    assert (found.status_code, found.url) == (302, f"/people/{alice.pk}/")
    assert alice.id_number not in found.url
    other = client.post("/unit/staff/find/", {"id_number": bob.id_number}, follow=True)
    assert "本单位在职人员中没有该身份证号码" in other.content.decode()
    assert client.get("/unit/staff/find/", {"id_number": alice.id_number}).status_code == 405
    assert "姓名" in client.get("/unit/", {"q": "张爱"}).content.decode()


@pytest.mark.django_db
def test_a_bureau_finds_a_row_of_the_list_by_a_posted_number(client, xin, alice, today):
    client.force_login(xin)
    year = today.year - 1
    found = client.post("/compliance/find/", {"year": year, "id_number": alice.id_number})
    assert found.url == f"/compliance/?year={year}&person={alice.pk}"
    page = client.get(found.url).content.decode()
    assert "张爱丽" in page and alice.id_number in page  # the county sees the number whole, in the page only
    typo = alice.id_number[:-1] + "Y"
    bad = client.post("/compliance/find/", {"year": year, "id_number": typo})
    assert bad.url == f"/compliance/?year={year}"
    told = [str(m) for m in get_messages(bad.wsgi_request)][-1]
    assert "身份证号码" in told and typo not in told  # said what is wrong, without echoing the number


@pytest.mark.django_db
def test_each_download_of_a_list_is_audited_with_whether_it_carries_full_numbers(client, xin, hank, alice, today):
    from audits.trail.models import AuditEvent

    year = today.year - 1
    for user, full in ((xin, True), (hank, False)):
        client.force_login(user)
        body = b"".join(client.get("/compliance/list.csv", {"year": year}).streaming_content).decode("utf-8-sig")
        assert (alice.id_number in body, alice.masked_id_number in body) == (full, not full)
        event = AuditEvent.objects.filter(action="compliance.export_csv", actor_id=user.pk).get()
        assert event.after["full_id_numbers"] is full
        client.post("/compliance/export/", {"year": year})
        event = AuditEvent.objects.filter(action="compliance.export_request", actor_id=user.pk).get()
        assert event.after["full_id_numbers"] is full
    client.force_login(alice.user)  # professionals get no list, and so no numbers
    assert client.get("/compliance/list.csv", {"year": year}).status_code == 404
    assert not AuditEvent.objects.filter(actor_id=alice.user.pk, action__startswith="compliance.").exists()


def test_an_error_report_shows_no_id_or_phone_number(rf):
    import sys

    from django.views.debug import ExceptionReporter

    number = new_id_number(11)
    request = rf.post("/register/", {"id_number": number, "phone": PHONE, "name": "赵新人"})

    def register(id_number, data):
        raise RuntimeError("boom")

    try:
        register(number, {"id_number": number, "phone": PHONE})
    except RuntimeError:
        reporter = ExceptionReporter(request, *sys.exc_info())
    for report in (reporter.get_traceback_text(), reporter.get_traceback_html()):
        assert "赵新人" in report  # the report is still a report
        assert number not in report and PHONE not in report


@pytest.mark.django_db
def test_the_admin_refuses_a_number_already_registered_on_the_number(client, cheng):
    taken = ProfessionalFactory(id_number=new_id_number(12))
    cheng.is_staff = cheng.is_superuser = True
    cheng.save()
    client.force_login(cheng)
    response = client.post("/admin/records/professional/add/", {
        "name": "重复", "id_number": taken.id_number, "title_level": "none", "status": "active",
        "employments-TOTAL_FORMS": 0, "employments-INITIAL_FORMS": 0,
    })
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["id_number"] == ["该身份证号码已登记。"]
    assert Professional.objects.count() == 1


@pytest.mark.django_db
def test_the_apis_refuse_a_bad_number_without_echoing_it(ada, alice):
    from rest_framework.test import APIClient

    typo = alice.id_number[:-1] + ("1" if alice.id_number[-1] != "1" else "2")
    platform = make_platform("public")
    with time_machine.travel(NOW, tick=False):
        pushed = post(client_for(issue(platform)), {"records": [record_for(alice, id_number=typo)]})
    assert pushed.json()["results"][0]["code"] == "invalid_id_number"
    client = APIClient()
    client.force_authenticate(ada)
    added = client.post("/api/v1/professionals/", {"name": "冯七", "id_number": typo, "phone": PHONE[:-1]},
                        format="json")
    assert added.status_code == 400
    for response in (pushed, added):
        assert typo not in response.content.decode() and PHONE[:-1] not in response.content.decode()
