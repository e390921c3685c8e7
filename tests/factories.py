"""factory_boy factories that keep the registry's invariants (valid checksums, one current employer)."""
import datetime as dt
import hashlib
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory
from django.contrib.auth import get_user_model

from ce_portal.demo.fakes import fake_credit_code, fake_id_number
from records.people.models import Employment, IndustryAuthority, Professional, Region, Role, RoleMembership, Unit

DEMO_PASSWORD = "Ce-portal-test-1"
SHANGHAI = ZoneInfo("Asia/Shanghai")
# The smallest well-formed one-page PDF (magic bytes %PDF-): enough for content-type checks and viewers.
MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def region(name: str) -> Region:
    """Regions are reference data loaded by migration: look them up, never create them."""
    return Region.objects.get(name=name)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", DEMO_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class IndustryAuthorityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IndustryAuthority

    name = factory.Sequence(lambda n: f"测试主管局{n}")
    region = factory.LazyFunction(lambda: region("新华区"))


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    name = factory.Sequence(lambda n: f"测试单位{n}")
    credit_code = factory.Sequence(lambda n: fake_credit_code(900_000 + n))
    region = factory.LazyFunction(lambda: region("新华区"))
    authority = None
    kind = Unit.Kind.ENTERPRISE


class ProfessionalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Professional
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"测试人员{n}")
    id_number = factory.Sequence(lambda n: fake_id_number(1_000_000 + n))
    specialty = "临床医学"
    title_level = Professional.TitleLevel.INTERMEDIATE

    @factory.post_generation
    def unit(obj, create, extracted, **kwargs):
        """ProfessionalFactory(unit=some_unit) also opens a current employment there."""
        if create and extracted is not None:
            Employment.objects.create(professional=obj, unit=extracted, started_on=dt.date(2020, 1, 1))


def grant(user, role: Role, scope) -> RoleMembership:
    field = {
        Role.PROFESSIONAL: "professional",
        Role.UNIT_REVIEWER: "unit",
        Role.AUTHORITY_REVIEWER: "authority",
        Role.COUNTY_HR: "region",
        Role.CITY_HR: "region",
    }[role]
    return RoleMembership.objects.create(user=user, role=role, **{field: scope})


class ClaimFactory(factory.django.DjangoModelFactory):
    """A claim as the intake services leave it; pass status/due dates to place it anywhere in review.

    unit, region and the level-2 reviewer follow the professional's current employment, as at submission.
    """

    class Meta:
        model = "records.Claim"

    professional = factory.SubFactory(ProfessionalFactory)
    unit = factory.LazyAttribute(lambda c: c.professional.employments.get(ended_on__isnull=True).unit)
    region = factory.LazyAttribute(lambda c: c.unit.region)
    level2_authority = factory.LazyAttribute(lambda c: c.unit.authority)
    level2_region = factory.LazyAttribute(lambda c: None if c.unit.authority_id else c.unit.region)
    year = 2025
    category = "professional"
    kind = "face_to_face"
    title = factory.Sequence(lambda n: f"面授培训班第{n}期")
    content = "新技术、新方法专题培训"
    provider_name = "平顶山学院"
    start_date = dt.date(2025, 9, 22)
    end_date = dt.date(2025, 9, 23)
    hours = Decimal("16")
    status = "submitted"
    filed_on = dt.date(2025, 9, 26)
    submitted_at = factory.LazyAttribute(
        lambda c: dt.datetime.combine(c.filed_on, dt.time(10), tzinfo=SHANGHAI) if c.filed_on else None
    )
    # The level the claim waits on started on its filing day; its deadline is 5 working days later.
    review_started_on = factory.LazyAttribute(lambda c: c.filed_on)
    due_on = dt.date(2025, 10, 10)


class EvidenceFileFactory(factory.django.DjangoModelFactory):
    """A small real PDF stored through the default storage, frozen as submitted."""

    class Meta:
        model = "records.EvidenceFile"

    claim = factory.SubFactory(ClaimFactory)
    file = factory.django.FileField(filename="certificate.pdf", data=MINIMAL_PDF)
    original_name = "培训证书.pdf"
    content_type = "application/pdf"
    size = len(MINIMAL_PDF)
    sha256 = hashlib.sha256(MINIMAL_PDF).hexdigest()
    uploaded_by = factory.LazyAttribute(lambda e: e.claim.professional.user or UserFactory())
    uploaded_at = factory.LazyAttribute(lambda e: e.claim.submitted_at or dt.datetime(2025, 9, 26, 2, tzinfo=dt.timezone.utc))
    submitted_at = factory.LazyAttribute(lambda e: e.claim.submitted_at)


def person_with_login(username: str, name: str, unit) -> Professional:
    """A professional employed by `unit` who can log in as `username`."""
    user = UserFactory(username=username, first_name=name)
    professional = ProfessionalFactory(name=name, unit=unit, user=user)
    grant(user, Role.PROFESSIONAL, professional)
    return professional
