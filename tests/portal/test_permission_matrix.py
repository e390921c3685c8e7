"""Who gets what at every address of the portal (issue 11, "permission matrix").

One row per URL pattern, one column per caller: anonymous, and each role once as the owner of the objects the
URL names (alice, her unit 第一医院, its industry authority 卫健委, 新华区, the city) and once as the same role
elsewhere (a colleague of alice; the reviewer of another unit in 新华区; the authority and the HR bureau of
叶县). Outside one's scope is 404 (records/people/access.py), never the object.

The rows are checked against the URL map both ways: a pattern without a row fails (give the new page its
row, which is the point of this test), and so does a row whose pattern is gone. The admin's ~120 patterns
are Django's own and share one gate (AdminSite.admin_view: an active staff user, which only city_hr is made
by `sync_staff_access`): its index stands for them all, in one row.

Cells: `L` is a redirect to the log-in page, `R` a redirect elsewhere (a form page or a decision sends the
person back to their desk), a number is that status, `-` not tried. POST is tried only where a wrong caller
must be refused: an allowed caller's POST would act, and the feature tests prove what it does.
"""
import datetime as dt
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from audits.review.services import review_batch
from audits.screening.models import ScreeningFlag
from records.announcements.services import AnnouncementInput, announcement_create
from records.certificates.services import certificate_bundle_request, certificate_render, certificate_request
from records.compliance.selectors import Filters
from records.compliance.services import compliance_export_request
from records.people.models import Professional, RecordClaim, Role, RoleMembership
from records.people.services import transfer_request
from records.plans.services import (
    PlanItemInput, SessionInput, check_in_token, plan_create, plan_decide, plan_items_save, plan_submit, session_create,
    session_evidence_add,
)
from tests.certificate_data import make_compliant
from tests.factories import (
    MINIMAL_PDF, SHANGHAI, ClaimFactory, EvidenceFileFactory, IndustryAuthorityFactory, ProfessionalFactory,
    UserFactory, grant,
)
from tests.platforms.helpers import make_platform

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 11, 3, 10, 0, tzinfo=SHANGHAI)  # a Monday
COLUMNS = ("anonymous", "professional", "other professional", "unit reviewer", "other unit reviewer",
           "authority", "other authority", "county", "other county", "city")

# Every URL of the portal: name → (URL kwargs, GET by column, POST by column or None for a page one only
# reads). Kwargs name objects of `world` below, all alice's, her unit's or 新华区's.
# Cells in the order of COLUMNS: anon · pro · pro' · unit · unit' · auth · auth' · county · county' · city.
MATRIX = {
    "home": ({}, "L R R R R R R R R R", None),
    "login": ({}, "200 R R R R R R R R R", None),
    "logout": ({}, "405 405 405 405 405 405 405 405 405 405", None),
    "admin:index": ({}, "L L L L L L L L L 200", None),
    # One's own password: every logged-in user, nobody else's (the form changes the caller's only).
    "platforms:providers": ({}, "200 200 200 200 200 200 200 200 200 200", None),  # public by the notice
    "password_change": ({}, "L 200 200 200 200 200 200 200 200 200", None),
    "password_change_done": ({}, "L 200 200 200 200 200 200 200 200 200", None),
    # A forgotten password, by mail: open to everyone (the form answers the same whoever asks, for any address);
    # a link with a wrong token shows that it is invalid, and nothing else.
    "password_reset": ({}, "200 200 200 200 200 200 200 200 200 200", None),
    "password_reset_done": ({}, "200 200 200 200 200 200 200 200 200 200", None),
    "password_reset_confirm": ({"uidb64": "MQ", "token": "not-a-token"},
                               "200 200 200 200 200 200 200 200 200 200", None),
    "password_reset_complete": ({}, "200 200 200 200 200 200 200 200 200 200", None),
    # --- people and units ------------------------------------------------------------------------------
    "records:unit_home": ({}, "L 404 404 200 200 404 404 404 404 404", None),
    "records:authority_home": ({}, "L 404 404 404 404 200 200 404 404 404", None),
    "records:county_home": ({}, "L 404 404 404 404 404 404 200 200 404", None),
    "records:city_home": ({}, "L 404 404 404 404 404 404 404 404 200", None),
    "records:professional_detail": ({"pk": "alice"}, "L 200 404 200 404 200 404 200 404 200", None),
    "records:register": ({}, "200 200 200 200 200 200 200 200 200 200", None),
    "records:register_units": ({}, "200 200 200 200 200 200 200 200 200 200", None),
    "records:registration_approve": ({"pk": "registration"},
                                     "405 405 405 405 405 405 405 405 405 405",
                                     "L 404 404 - 404 404 404 404 404 404"),
    "records:registration_reject": ({"pk": "registration"},
                                    "405 405 405 405 405 405 405 405 405 405",
                                    "L 404 404 - 404 404 404 404 404 404"),
    "records:record_claim_approve": ({"pk": "record_claim"},
                                     "405 405 405 405 405 405 405 405 405 405",
                                     "L 404 404 - 404 404 404 404 404 404"),
    "records:record_claim_reject": ({"pk": "record_claim"},
                                    "405 405 405 405 405 405 405 405 405 405",
                                    "L 404 404 - 404 404 404 404 404 404"),
    "records:staff_import": ({}, "L 404 404 200 200 404 404 404 404 404", "L 404 404 - - 404 404 404 404 404"),
    "records:staff_import_template": ({"fmt": "csv"}, "L 404 404 200 200 404 404 404 404 404", None),
    "records:staff_add": ({}, "L 404 404 200 200 404 404 404 404 404", "L 404 404 - - 404 404 404 404 404"),
    "records:staff_transfer": ({}, "L 404 404 200 200 404 404 404 404 404", "L 404 404 - - 404 404 404 404 404"),
    # alice's one-time password: her own unit's reviewers only (not the authority or the bureaus over it).
    "records:staff_password_reset": ({"pk": "alice"}, "L 404 404 200 404 404 404 404 404 404",
                                     "L 404 404 - 404 404 404 404 404 404"),
    # A whole ID number, posted: a form without one sends the reviewer back to the desk, told why (R).
    "records:staff_find": ({}, "L 404 404 405 405 404 404 404 404 404", "L 404 404 R R 404 404 404 404 404"),
    # alice's move from 第一医院 to 华兴公司: she, her unit and 新华区 decide; the unit asking may withdraw.
    "records:transfer_approve": ({"pk": "transfer_out"},
                                 "405 405 405 405 405 405 405 405 405 405",
                                 "L - 404 - 404 404 404 - 404 404"),
    "records:transfer_refuse": ({"pk": "transfer_out"},
                                "405 405 405 405 405 405 405 405 405 405",
                                "L - 404 - 404 404 404 - 404 404"),
    "records:transfer_withdraw": ({"pk": "transfer_in"},
                                  "405 405 405 405 405 405 405 405 405 405",
                                  "L 404 404 - 404 404 404 404 404 404"),
    "records:unit_create": ({}, "L 404 404 404 404 404 404 200 200 200", "L 404 404 404 404 404 404 - - -"),
    # 第一医院's own register, progress view and its people's histories: its reviewers only, no one overseeing it.
    "records:unit_register": ({"pk": "unit_a"}, "L 404 404 200 404 404 404 404 404 404", None),
    "records:unit_register_export": ({"pk": "unit_a", "fmt": "xlsx"}, "L 404 404 200 404 404 404 404 404 404", None),
    "records:unit_progress": ({"pk": "unit_a"}, "L 404 404 200 404 404 404 404 404 404", None),
    "records:unit_progress_export": ({"pk": "unit_a", "fmt": "csv"}, "L 404 404 200 404 404 404 404 404 404", None),
    "records:person_history": ({"pk": "alice"}, "L 404 404 200 404 404 404 404 404 404", None),
    # --- a person's hours ------------------------------------------------------------------------------
    "records:my_home": ({}, "L 200 200 404 404 404 404 404 404 404", None),
    "records:my_account": ({}, "L 200 200 404 404 404 404 404 404 404", "L - - 404 404 404 404 404 404 404"),
    "records:my_year": ({"year": 2024}, "L 200 200 404 404 404 404 404 404 404", None),
    "records:claim_new": ({}, "L 200 200 404 404 404 404 404 404 404", "L - - 404 404 404 404 404 404 404"),
    "records:claim_detail": ({"pk": "draft"}, "L 200 404 404 404 404 404 404 404 404", None),
    "records:claim_edit": ({"pk": "draft"}, "L 200 404 404 404 404 404 404 404 404",
                           "L - 404 404 404 404 404 404 404 404"),
    "records:claim_submit": ({"pk": "draft"}, "L 405 405 404 404 404 404 404 404 404",
                             "L - 404 404 404 404 404 404 404 404"),
    "records:claim_withdraw": ({"pk": "submitted"}, "L 405 405 404 404 404 404 404 404 404",
                               "L - 404 404 404 404 404 404 404 404"),
    "records:evidence_correct": ({"pk": "evidence"}, "L 405 405 404 404 404 404 404 404 404",
                                 "L - 404 404 404 404 404 404 404 404"),
    "records:evidence_remove": ({"pk": "evidence"}, "L 405 405 404 404 404 404 404 404 404",
                                "L - 404 404 404 404 404 404 404 404"),
    "records:evidence_download": ({"pk": "submitted_evidence"}, "L 200 404 200 404 200 404 200 404 200", None),
    # --- certificates ----------------------------------------------------------------------------------
    "records:my_certificates": ({}, "L 200 200 404 404 404 404 404 404 404",
                                "L - - 404 404 404 404 404 404 404"),
    "records:certificate_download": ({"pk": "certificate"}, "L 200 404 404 404 404 404 404 404 404", None),
    "records:certificate_status": ({"pk": "certificate"}, "L 200 404 404 404 404 404 404 404 404", None),
    "records:certificate_bundles": ({}, "L 404 404 200 200 200 200 200 200 200",
                                    "L 404 404 - - - - - - -"),
    "records:certificate_bundle": ({"pk": "bundle"}, "L 404 404 200 404 404 404 404 404 404", None),
    "records:certificate_bundle_status": ({"pk": "bundle"}, "L 404 404 200 404 404 404 404 404 404", None),
    "records:certificate_bundle_zip": ({"pk": "bundle"}, "L 404 404 R 404 404 404 404 404 404", None),
    "records:verify_search": ({}, "200 200 200 200 200 200 200 200 200 200", None),
    "records:verify": ({"serial": "serial"}, "200 200 200 200 200 200 200 200 200 200", None),
    "records:verify_api": ({"serial": "serial"}, "200 200 200 200 200 200 200 200 200 200", None),
    # --- compliance ------------------------------------------------------------------------------------
    "records:compliance": ({}, "L 404 404 200 200 200 200 200 200 200", None),
    "records:compliance_csv": ({}, "L 404 404 200 200 200 200 200 200 200", None),
    "records:compliance_find": ({}, "L 404 404 405 405 405 405 405 405 405", "L 404 404 R R R R R R R"),
    "records:compliance_export": ({}, "L 404 404 405 405 405 405 405 405 405",
                                  "L 404 404 - - - - - - -"),
    "records:export_job": ({"pk": "export"}, "L 404 404 404 404 404 404 200 404 404", None),
    "records:export_job_status": ({"pk": "export"}, "L 404 404 404 404 404 404 200 404 404", None),
    "records:export_job_file": ({"pk": "export"}, "L 404 404 404 404 404 404 R 404 404", None),
    # --- announcements (city_hr posts; every signed-in user reads the current ones) and help (public) ---
    "records:announcements": ({}, "L 200 200 200 200 200 200 200 200 200", None),
    "records:announcement": ({"pk": "announcement"}, "L 200 200 200 200 200 200 200 200 200", None),
    "records:announcement_attachment": ({"pk": "announcement"}, "L 200 200 200 200 200 200 200 200 200", None),
    "records:announcement_create": ({}, "L 404 404 404 404 404 404 404 404 200", "L 404 404 404 404 404 404 404 404 -"),
    "records:announcement_edit": ({"pk": "announcement"}, "L 404 404 404 404 404 404 404 404 200",
                                  "L 404 404 404 404 404 404 404 404 -"),
    "records:announcement_withdraw": ({"pk": "announcement"}, "L 404 404 404 404 404 404 404 404 200",
                                      "L 404 404 404 404 404 404 404 404 -"),
    "records:help": ({}, "200 200 200 200 200 200 200 200 200 200", None),
    "records:help_role": ({"role": "professional"}, "200 200 200 200 200 200 200 200 200 200", None),
    # --- training plans: 第一医院's plan for 2025, submitted to 卫健委, to be filed with 新华区 ------------------
    "records:plans": ({}, "L 404 404 200 200 200 200 404 404 404", "L 404 404 - - - - 404 404 404"),
    "records:plan_detail": ({"pk": "plan"}, "L 404 404 200 404 200 404 200 404 200", None),
    # Only its filer edits, submits or revises it (卫健委, which receives it, is sent back to its page: R); a
    # submitted plan is no longer editable (R), and submitting or revising it again is refused with a message.
    "records:plan_edit": ({"pk": "plan"}, "L 404 404 R 404 R 404 404 404 404", "L 404 404 R 404 R 404 404 404 404"),
    "records:plan_submit": ({"pk": "plan"}, "L 404 404 200 404 R 404 404 404 404",
                            "L 404 404 R 404 R 404 404 404 404"),
    "records:plan_revise": ({"pk": "plan"}, "L 404 404 200 404 R 404 404 404 404",
                            "L 404 404 R 404 R 404 404 404 404"),
    "records:plan_decide": ({"pk": "plan"}, "L 404 404 404 404 405 405 405 405 405",
                            "L 404 404 404 404 R 404 R 404 R"),
    "records:plan_queue": ({}, "L 404 404 404 404 200 200 200 200 200", None),
    "records:plan_filings": ({}, "L 404 404 404 404 404 404 200 200 200", None),
    "records:plan_inspection": ({}, "L 404 404 404 404 404 404 200 200 200", None),
    "records:plan_inspection_csv": ({}, "L 404 404 404 404 404 404 200 200 200", None),
    # --- sessions of 第一医院's filed 2026 item: its reviewer's alone; the check-in address any professional's ---
    "records:sessions": ({}, "L 404 404 200 200 404 404 404 404 404", "L 404 404 - - 404 404 404 404 404"),
    "records:session_detail": ({"pk": "session"}, "L 404 404 200 404 404 404 404 404 404", None),
    "records:session_check_in": ({"pk": "session"}, "L 404 404 200 404 404 404 404 404 404", None),
    "records:session_evidence": ({"pk": "session", "file_pk": "session_file"},
                                 "L 404 404 200 404 404 404 404 404 404", None),
    "records:session_evidence_add": ({"pk": "session"}, "L 404 404 405 405 404 404 404 404 404",
                                     "L 404 404 - 404 404 404 404 404 404"),
    "records:session_tick": ({"pk": "session"}, "L 404 404 405 405 404 404 404 404 404",
                             "L 404 404 - 404 404 404 404 404 404"),
    "records:session_roster": ({"pk": "session"}, "L 404 404 405 405 404 404 404 404 404",
                               "L 404 404 - 404 404 404 404 404 404"),
    # Before the session's window the page says so (400), to anyone who scans it; the person confirms by POST.
    "records:check_in": ({"pk": "session", "token": "token"}, "L 400 400 404 404 404 404 404 404 404",
                         "L - - 404 404 404 404 404 404 404"),
    "records:session_claim_confirm": ({"pk": "draft"}, "L 405 405 404 404 404 404 404 404 404",
                                      "L - 404 404 404 404 404 404 404 404"),
    # --- review ----------------------------------------------------------------------------------------
    "review:queue": ({}, "L 404 404 200 200 200 200 200 200 200", None),
    # Its reviewers at both levels see a claim from submission: 第一医院, then 卫健委 (not 新华区: the unit has an
    # authority). The city reviews nothing of a county's.
    "review:claim": ({"pk": "submitted"}, "L 404 404 200 404 200 404 404 404 404", None),
    # 卫健委 sees the claim but may not decide it before its unit has: refused with a message (R).
    "review:decide": ({"pk": "submitted"}, "L 404 404 405 405 405 405 405 405 405",
                      "L 404 404 - 404 R 404 404 404 404"),
    "review:batch": ({}, "L 404 404 405 405 405 405 405 405 405", "L 404 404 - - - - - - -"),
    "review:batch_result": ({"batch_id": "batch"}, "L 404 404 200 404 404 404 404 404 404", None),
    # 第一医院's reviewers: appointed and removed by 新华区's bureau or the city, nobody else.
    "review:unit_reviewers": ({"pk": "unit_a"}, "L 404 404 404 404 404 404 200 404 200",
                              "L 404 404 404 404 404 404 - 404 -"),
    "review:unit_reviewer_remove": ({"pk": "unit_a", "membership_pk": "ada_membership"},
                                    "L 404 404 404 404 404 404 200 404 200", "L 404 404 404 404 404 404 - 404 -"),
    # 第一医院's 学时认定标准: set by its own reviewers; a POST by anyone else changes nothing.
    "review:unit_standard": ({"pk": "unit_a"}, "L 404 404 200 404 404 404 404 404 404",
                             "L 404 404 - 404 404 404 404 404 404"),
    "review:notifications": ({}, "L 200 200 200 200 200 200 200 200 200", None),
    "review:notifications_read": ({}, "L 405 405 405 405 405 405 405 405 405", "L - - - - - - - - -"),
    # --- monitors --------------------------------------------------------------------------------------
    "monitor:home": ({}, "L 404 404 404 404 R R R R R", None),
    "monitor:city": ({}, "L 404 404 404 404 404 404 404 404 200", None),
    "monitor:city_export": ({"fmt": "csv"}, "L 404 404 404 404 404 404 404 404 200", None),
    "monitor:region": ({"pk": "xinhua"}, "L 404 404 404 404 404 404 200 404 200", None),
    "monitor:region_export": ({"pk": "xinhua", "fmt": "csv"}, "L 404 404 404 404 404 404 200 404 200", None),
    "monitor:authority": ({"pk": "health_bureau"}, "L 404 404 404 404 200 404 200 404 200", None),
    "monitor:authority_export": ({"pk": "health_bureau", "fmt": "csv"},
                                 "L 404 404 404 404 200 404 200 404 200", None),
    "monitor:unit_overdue": ({"pk": "unit_a"}, "L 404 404 404 404 200 404 200 404 200", None),
    "monitor:unit_overdue_export": ({"pk": "unit_a", "fmt": "csv"}, "L 404 404 404 404 200 404 200 404 200", None),
    "monitor:year_end": ({}, "L 404 404 404 404 200 200 200 200 200", None),
    # --- screening (city_hr only) ----------------------------------------------------------------------
    "screening:flags": ({}, "L 404 404 404 404 404 404 404 404 200", None),
    "screening:run": ({}, "L 404 404 404 404 404 404 404 404 405", "L 404 404 404 404 404 404 404 404 -"),
    "screening:flag": ({"pk": "flag"}, "L 404 404 404 404 404 404 404 404 200", None),
    "screening:resolve": ({"pk": "flag"}, "L 404 404 404 404 404 404 404 404 405",
                          "L 404 404 404 404 404 404 404 404 -"),
    # --- API (sessions; the platform API takes a bearer token, which no person holds) ------------------
    "registry_api:unit_create": ({}, "403 405 405 405 405 405 405 405 405 405",
                                 "403 404 404 404 404 404 404 - - -"),
    "registry_api:professional_create": ({}, "403 405 405 405 405 405 405 405 405 405",
                                         "403 404 404 - - 404 404 404 404 404"),
    # A look-up by POST, the number in the body (docs/personal-data.md): alice's, see POST_BODIES.
    "registry_api:compliance": ({}, "403 405 405 405 405 405 405 405 405 405",
                                "403 404 404 200 404 404 404 200 404 200"),
    "platform_api:records": ({}, "401 401 401 401 401 401 401 401 401 401", "401 401 401 401 401 401 401 401 401 401"),
    "schema": ({}, "200 200 200 200 200 200 200 200 200 200", None),
    "api-docs": ({}, "200 200 200 200 200 200 200 200 200 200", None),
}
# What a POST carries: enough for a decision form to be valid, so that only the caller's scope refuses it.
DECISION = {"action": "reject", "reason": "权限矩阵检查", "version": "1"}
# Where a POST asks rather than decides, what it asks (JSON; values named as in the kwargs).
POST_BODIES = {"registry_api:compliance": {"id_number": "alice_id", "year": 2025}}
# Django's own admin: one gate for all its patterns, checked through "admin:index" above.
ADMIN_NAMESPACE = "admin"


def url_names(resolver=None, namespace=()) -> dict[str, str]:
    """Every named URL pattern of the project, qualified by its namespaces → its route."""
    names = {}
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            names.update(url_names(pattern, namespace + ((pattern.namespace,) if pattern.namespace else ())))
        elif isinstance(pattern, URLPattern):
            names[":".join((*namespace, pattern.name or f"<unnamed {pattern.pattern}>"))] = str(pattern.pattern)
    return names


def test_every_url_of_the_portal_has_its_row_and_every_row_its_url():
    patterns = {name for name in url_names() if name.split(":")[0] != ADMIN_NAMESPACE} | {"admin:index"}
    missing, gone = sorted(patterns - set(MATRIX)), sorted(set(MATRIX) - patterns)
    assert not missing, f"URL patterns without a row in MATRIX (say who may open them): {missing}"
    assert not gone, f"rows of MATRIX whose URL pattern no longer exists: {gone}"


def test_every_row_names_each_column_once():
    for name, (_, get, post) in MATRIX.items():
        for cells in filter(None, (get, post)):
            assert len(cells.split()) == len(COLUMNS), name


@pytest.fixture
def world(unit_a, unit_b, unit_c, health_bureau, xinhua, yexian, alice, ada, hank, xin, ye, cheng):
    """alice's claims, evidence, certificate and move; her unit's registrations, bundle and batch; 新华区's
    export; a screening flag on her claim. And who looks at them."""
    with time_machine.travel(NOW, tick=False):
        colleague = ProfessionalFactory(name="同事", unit=unit_a, user=UserFactory(username="colleague"))
        grant(colleague.user, Role.PROFESSIONAL, colleague)
        other_unit_reviewer = UserFactory(username="bella")
        grant(other_unit_reviewer, Role.UNIT_REVIEWER, unit_b)
        other_authority = UserFactory(username="yejiao")
        grant(other_authority, Role.AUTHORITY_REVIEWER, IndustryAuthorityFactory(name="叶县教育局", region=yexian))
        unit_c.authority = other_authority.role_memberships.get().authority
        unit_c.save()
        make_compliant(alice)
        certificate = certificate_request(actor=alice.user, professional=alice, year=2025, now=NOW)
        certificate_render(certificate_id=certificate.pk, now=NOW)
        certificate.refresh_from_db()
        draft = ClaimFactory(professional=alice, status="draft", filed_on=None, due_on=None)
        evidence = EvidenceFileFactory(claim=draft, submitted_at=None)
        submitted = ClaimFactory(professional=alice, filed_on=dt.date(2025, 10, 30), due_on=dt.date(2025, 11, 6))
        submitted_evidence = EvidenceFileFactory(claim=submitted)
        newcomer = ProfessionalFactory(name="待审核", unit=unit_a, status=Professional.Status.PENDING)
        imported = ProfessionalFactory(name="已导入", unit=unit_a)
        record_claim = RecordClaim.objects.create(professional=imported, user=UserFactory(is_active=False),
                                                  unit=unit_a, name="已导入", phone="13803750001")
        bob_like = ProfessionalFactory(name="华兴员工", unit=unit_b)
        transfer_out = transfer_request(id_number=alice.id_number, name=alice.name, to_unit=unit_b,
                                        on=NOW.date(), actor=other_unit_reviewer, today=NOW.date())
        transfer_in = transfer_request(id_number=bob_like.id_number, name=bob_like.name, to_unit=unit_a,
                                       on=NOW.date(), actor=ada, today=NOW.date())
        bundle = certificate_bundle_request(actor=ada, unit_id=unit_a.pk, year=2025, now=NOW)
        export = compliance_export_request(actor=xin, filters=Filters(year=2025), now=NOW)
        batch = review_batch(claim_ids=[submitted.pk], reviewer=ada, action="approve", now=NOW)
        plan = plan_create(actor=ada, unit=unit_a, year=2025, now=NOW)
        plan_items_save(actor=ada, plan_id=plan.pk, now=NOW, items=[PlanItemInput(
            title="院感防控培训", category="professional", subject_area="临床医学", start_date=dt.date(2025, 11, 20),
            end_date=dt.date(2025, 11, 20), hours=Decimal("4"), place="报告厅", provider="院感科", expected_participants=30)])
        plan_submit(actor=ada, plan_id=plan.pk, now=NOW)
        next_plan = plan_create(actor=ada, unit=unit_a, year=2026, now=NOW)
        plan_items_save(actor=ada, plan_id=next_plan.pk, now=NOW, items=[PlanItemInput(
            title="急救技能培训", category="professional", subject_area="临床医学", start_date=dt.date(2026, 3, 2),
            end_date=dt.date(2026, 3, 2), hours=Decimal("4"), place="报告厅", provider="急诊科", expected_participants=30)])
        plan_submit(actor=ada, plan_id=next_plan.pk, now=NOW)
        plan_decide(actor=hank, plan_id=next_plan.pk, action="file", now=NOW)
        session = session_create(actor=ada, now=NOW, data=SessionInput(
            item_id=next_plan.items.get().pk, date=dt.date(2026, 3, 2), starts_at=dt.time(8, 30),
            ends_at=dt.time(9, 30), place="报告厅", hours=Decimal("4")))
        session_file = session_evidence_add(actor=ada, session_id=session.pk, now=NOW,
                                            upload=SimpleUploadedFile("签到表.pdf", MINIMAL_PDF))
        flag = ScreeningFlag.objects.create(rule="same_evidence", claim=submitted, professional=alice, evidence={},
                                            dedupe_key=f"matrix:{submitted.pk}", created_at=NOW)
        announcement = announcement_create(
            actor=cheng, data=AnnouncementInput(title="年度申报通知", body="请按时申报。", publish_on=NOW.date(),
                                                expires_on=NOW.date() + dt.timedelta(days=30)),
            upload=SimpleUploadedFile("通知.pdf", MINIMAL_PDF), now=NOW,
        )
    make_platform("public")
    objects = {
        "alice": alice.pk, "alice_id": alice.id_number, "draft": draft.pk, "evidence": evidence.pk,
        "submitted": submitted.pk, "submitted_evidence": submitted_evidence.pk, "certificate": certificate.pk,
        "serial": certificate.serial, "registration": newcomer.pk, "record_claim": record_claim.pk,
        "transfer_out": transfer_out.pk, "transfer_in": transfer_in.pk, "bundle": bundle.pk, "export": export.pk,
        "batch": batch.batch_id, "flag": flag.pk, "announcement": announcement.pk, "plan": plan.pk, "xinhua": xinhua.pk,
        "session": session.pk, "session_file": session_file.pk, "token": check_in_token(session),
        "health_bureau": health_bureau.pk, "unit_a": unit_a.pk,
        "ada_membership": RoleMembership.objects.get(user=ada, role=Role.UNIT_REVIEWER, unit=unit_a).pk,
    }
    callers = dict(zip(COLUMNS, (None, alice.user, colleague.user, ada, other_unit_reviewer, hank,
                                 other_authority, xin, ye, cheng)))
    return objects, callers


def outcome(response) -> str:
    if response.status_code == 302:  # the portal's log-in page, or the admin's
        return "L" if urlsplit(response["Location"]).path.endswith("/login/") else "R"
    return str(response.status_code)


def test_every_url_answers_every_caller_as_the_matrix_says(client, world):
    objects, callers = world
    wrong = []
    with time_machine.travel(NOW, tick=False):
        for column, caller in callers.items():
            client.logout()
            if caller is not None:
                client.force_login(caller)
            for name, (kwargs, get, post) in MATRIX.items():
                url = reverse(name, kwargs={key: objects.get(value, value) for key, value in kwargs.items()})
                for method, cells in (("get", get), ("post", post)):
                    if cells is None:
                        continue
                    expected = cells.split()[COLUMNS.index(column)]
                    if expected == "-":
                        continue
                    if method == "get":
                        got = outcome(client.get(url))
                    elif name in POST_BODIES:
                        body = {key: objects.get(value, value) for key, value in POST_BODIES[name].items()}
                        got = outcome(client.post(url, body, content_type="application/json"))
                    else:
                        got = outcome(client.post(url, DECISION))
                    if got != expected:
                        wrong.append(f"{method.upper()} {name} as {column}: expected {expected}, got {got}")
    assert not wrong, "\n".join(wrong)
