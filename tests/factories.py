"""factory_boy factories that keep the registry's invariants (valid checksums, one current employer)."""
import datetime as dt

import factory
from django.contrib.auth import get_user_model

from records.choices import Role
from records.fakes import fake_credit_code, fake_id_number
from records.models import Employment, IndustryAuthority, Professional, Region, RoleMembership, Unit

DEMO_PASSWORD = "Ce-portal-test-1"


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
