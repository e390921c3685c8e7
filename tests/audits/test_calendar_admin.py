"""city_hr keeps the working-day calendar in the admin; every edit is audited and changes deadlines at once."""
import datetime as dt

import pytest
from django.urls import reverse

from audits.calendar import selectors as workdays
from audits.calendar.models import OfficialCalendarYear, WorkingDayOverride
from audits.calendar.rules import LIBRARY_OFFICIAL_YEARS
from audits.review.rules import REVIEW_WORKING_DAYS
from audits.trail.models import AuditEvent
from records.people.services import sync_staff_access

D = dt.date


@pytest.fixture(autouse=True)
def own_process_calendar(monkeypatch):
    """Edits these tests roll back must not reach the calendar other tests use."""
    monkeypatch.setattr(workdays, "_process_calendar", workdays._ProcessCalendar())


@pytest.fixture
def city_admin(client, cheng):
    sync_staff_access(user=cheng)
    client.force_login(cheng)
    return client


def test_city_hr_adds_an_override_and_the_deadline_moves(city_admin, cheng):
    assert workdays.review_due(D(2025, 9, 26), REVIEW_WORKING_DAYS).on == D(2025, 10, 10)
    response = city_admin.post(reverse("admin:audits_workingdayoverride_add"), {
        "date": "2025-10-09", "note": "测试：临时放假", "source": "市政府通知", "_save": "保存",
    })  # an unticked is_working means a day off
    assert response.status_code == 302
    override = WorkingDayOverride.objects.get()
    assert not override.is_working
    assert workdays.review_due(D(2025, 9, 26), REVIEW_WORKING_DAYS).on == D(2025, 10, 11)  # Saturday 11 Oct is worked
    event = AuditEvent.objects.get(action="calendar.override.add")
    assert (event.actor, event.object_id, event.before) == (cheng, str(override.pk), None)
    assert event.after == {"id": override.pk, "date": "2025-10-09", "is_working": False, "note": "测试：临时放假",
                           "source": "市政府通知"}


def test_changing_an_override_is_audited_with_before_and_after(city_admin):
    override = WorkingDayOverride.objects.create(date=D(2025, 10, 9), is_working=False, note="临时放假")
    response = city_admin.post(reverse("admin:audits_workingdayoverride_change", args=[override.pk]), {
        "date": "2025-10-09", "is_working": "on", "note": "更正：照常上班", "source": "", "_save": "保存",
    })
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="calendar.override.change")
    assert (event.before["is_working"], event.after["is_working"]) == (False, True)
    assert event.after["note"] == "更正：照常上班"
    assert workdays.review_due(D(2025, 9, 26), REVIEW_WORKING_DAYS).on == D(2025, 10, 10)


def test_city_hr_cannot_delete_but_a_superuser_deletion_is_audited(city_admin, client, django_user_model):
    override = WorkingDayOverride.objects.create(date=D(2025, 10, 9), is_working=False)
    delete = reverse("admin:audits_workingdayoverride_delete", args=[override.pk])
    assert city_admin.post(delete, {"post": "yes"}).status_code == 403
    root = django_user_model.objects.create_superuser("root", password="x-Very-long-1")
    client.force_login(root)
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not WorkingDayOverride.objects.exists()
    assert AuditEvent.objects.get(action="calendar.override.delete").before["date"] == "2025-10-09"
    assert workdays.review_due(D(2025, 9, 26), REVIEW_WORKING_DAYS).on == D(2025, 10, 10)


def test_marking_a_year_official_records_who_did_it(city_admin, cheng):
    year = max(LIBRARY_OFFICIAL_YEARS) + 1  # the first year the library has no notice for
    filed_on = D(year - 1, 12, 28)
    assert workdays.review_due(filed_on, REVIEW_WORKING_DAYS).provisional
    response = city_admin.post(reverse("admin:audits_officialcalendaryear_add"), {
        "year": str(year), "source": "国办发明电〔2026〕号", "_save": "保存",
    })
    assert response.status_code == 302
    marked = OfficialCalendarYear.objects.get()
    assert marked.marked_by == cheng
    assert AuditEvent.objects.get(action="calendar.official_year.add").after["marked_by"] == cheng.pk
    assert not workdays.review_due(filed_on, REVIEW_WORKING_DAYS).provisional


def test_people_without_city_hr_access_cannot_edit_the_calendar(client, xin, alice):
    for user in (xin, alice.user):
        client.force_login(user)
        assert client.get(reverse("admin:audits_workingdayoverride_add")).status_code == 302  # to the admin login
        assert client.post(reverse("admin:audits_workingdayoverride_add"),
                           {"date": "2025-10-09", "_save": "保存"}).status_code == 302
    assert not WorkingDayOverride.objects.exists()
