"""Named personas, as in healthchecks' hc/test.py:

- 新华区 (county) has 卫健委 (an industry authority) over 第一医院 (unit_a), and 华兴公司 (unit_b) with no authority.
- 叶县 (other county) has 叶县中学 (unit_c).
- alice works at unit_a, bob at unit_b, carol at unit_c.
- ada reviews unit_a; hank is the 卫健委 reviewer; xin is 新华区 county HR; ye is 叶县 county HR; cheng is city HR.
"""
import os

import pytest
from django.core.cache import caches

from records.people.models import Role
from tests.factories import (
    IndustryAuthorityFactory, UnitFactory, UserFactory, grant, person_with_login, region,
)


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(
        (marker and marker.kwargs.get("transaction"))
        or "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
    )


_TRANSACTIONAL = pytest.StashKey[bool]()


def _restore_reference_data():
    """Reference data (regions, platforms, bases, policy) and post-migrate data (content types, permissions)
    come from migrations; a transactional test's closing flush empties them. Reload both, idempotently."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.core.management.sql import emit_post_migrate_signal

    if not Permission.objects.exists():
        ContentType.objects.clear_cache()
        emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    call_command("load_reference_data", stdout=open(os.devnull, "w"))


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Every test starts from the same world: before a transactional test, and (see the teardown hook
    below) right after its flush, so the plain database tests that pytest-django runs later find it too."""
    if _is_transactional(request):
        request.node.stash[_TRANSACTIONAL] = True
        request.getfixturevalue("transactional_db")
        _restore_reference_data()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    yield  # the flush happens in transactional_db's teardown, inside this
    # After the last test the session's teardown has already dropped the test database.
    if nextitem is not None and item.stash.get(_TRANSACTIONAL, False):
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            _restore_reference_data()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2's deliberate slowness protects real accounts; in tests it only multiplies persona set-up."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit windows and cached figures live in the shared cache (Redis db 15 here), rendered page parts
    in the process's "pages" cache: one test's requests must not count against, or be served to, the next."""
    for each in caches.all():
        each.clear()
    yield
    for each in caches.all():
        each.clear()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploaded evidence goes to a per-test folder, never into the project's var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def xinhua(db):
    return region("新华区")


@pytest.fixture
def yexian(db):
    return region("叶县")


@pytest.fixture
def city(db):
    return region("平顶山市")


@pytest.fixture
def health_bureau(xinhua):
    return IndustryAuthorityFactory(name="新华区卫生健康委员会", region=xinhua)


@pytest.fixture
def unit_a(xinhua, health_bureau):
    return UnitFactory(name="新华区第一医院", region=xinhua, authority=health_bureau, kind="public_institution")


@pytest.fixture
def unit_b(xinhua):
    return UnitFactory(name="华兴科技有限公司", region=xinhua, authority=None)


@pytest.fixture
def unit_c(yexian):
    return UnitFactory(name="叶县第一高级中学", region=yexian, authority=None, kind="public_institution")


@pytest.fixture
def alice(unit_a):
    return person_with_login("alice", "张爱丽", unit_a)


@pytest.fixture
def bob(unit_b):
    return person_with_login("bob", "李博", unit_b)


@pytest.fixture
def carol(unit_c):
    return person_with_login("carol", "王卡罗", unit_c)


def _overseer(username, name, role, scope):
    user = UserFactory(username=username, first_name=name)
    grant(user, role, scope)
    return user


@pytest.fixture
def ada(unit_a):
    return _overseer("ada", "第一医院审核员", Role.UNIT_REVIEWER, unit_a)


@pytest.fixture
def hank(health_bureau):
    return _overseer("hank", "卫健委审核员", Role.AUTHORITY_REVIEWER, health_bureau)


@pytest.fixture
def xin(xinhua):
    return _overseer("xin", "新华区人社局", Role.COUNTY_HR, xinhua)


@pytest.fixture
def ye(yexian):
    return _overseer("ye", "叶县人社局", Role.COUNTY_HR, yexian)


@pytest.fixture
def cheng(city):
    return _overseer("cheng", "市人社局", Role.CITY_HR, city)
