import pytest
import time_machine

from tests.platforms.helpers import NOW, issue, make_platform


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def public_platform(db):
    return make_platform("public")


@pytest.fixture
def professional_platform(db):
    return make_platform("professional", level="city")


@pytest.fixture
def public_token(public_platform) -> str:
    return issue(public_platform)
