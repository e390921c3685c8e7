"""Failed log-ins lock the pair (username, client address) and, past a higher cap, the address; never the
account everywhere (issue 11, finding 4). Real axes, real database: only the client's address is set."""
import datetime as dt

import pytest
import time_machine

from ce_portal.http import forwarded_client
from ce_portal.lockout import lockout_failures
from tests.factories import DEMO_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.9"    # an attacker's address, or a hospital's one NAT
ELSEWHERE = "198.51.100.7"  # the real person at home
MONDAY_9AM = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def _fixed_time():
    with time_machine.travel(MONDAY_9AM, tick=False) as traveller:
        yield traveller


def log_in(client, username, password, address, **headers):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address, **headers)


def fail(client, username, address, times, **headers):
    """Wrong passwords; the one that reaches a limit is itself answered with the lock-out page."""
    for _ in range(times):
        assert log_in(client, username, "wrong-password", address, **headers).status_code in (200, 429)


def logged_in(response) -> bool:
    return response.status_code == 302 and response.url == "/"


def test_ten_wrong_passwords_lock_the_name_at_that_address_only(client, alice):
    fail(client, "alice", ATTACKER, 10)
    locked = log_in(client, "alice", DEMO_PASSWORD, ATTACKER)
    assert locked.status_code == 429
    assert "暂时无法登录" in locked.content.decode() and "15 分钟" in locked.content.decode()
    # The real alice, from anywhere else, is not kept out.
    assert logged_in(log_in(client, "alice", DEMO_PASSWORD, ELSEWHERE))


def test_nine_wrong_passwords_lock_nothing(client, alice):
    fail(client, "alice", ATTACKER, 9)
    assert logged_in(log_in(client, "alice", DEMO_PASSWORD, ATTACKER))


def test_a_colleague_behind_the_same_address_is_not_locked_by_failures_on_another_name(client, alice, bob):
    fail(client, "alice", ATTACKER, 12)
    assert logged_in(log_in(client, "bob", DEMO_PASSWORD, ATTACKER))


def test_the_lock_lifts_after_the_cool_off(client, alice, _fixed_time):
    fail(client, "alice", ATTACKER, 10)
    _fixed_time.shift(dt.timedelta(minutes=14))
    assert log_in(client, "alice", DEMO_PASSWORD, ATTACKER).status_code == 429
    _fixed_time.shift(dt.timedelta(minutes=16))  # 15 minutes after the last (refused) try
    assert logged_in(log_in(client, "alice", DEMO_PASSWORD, ATTACKER))


def test_fifty_failures_from_one_address_over_many_names_lock_the_address_for_every_name(client, alice, bob):
    names = [UserFactory(username=f"staff{n:02d}").username for n in range(25)]
    for name in names[:24]:
        fail(client, name, ATTACKER, 2)
    fail(client, names[24], ATTACKER, 1)
    assert logged_in(log_in(client, "bob", DEMO_PASSWORD, ATTACKER))  # 49 failures: under the cap
    client.logout()
    fail(client, names[24], ATTACKER, 1)  # the 50th
    assert log_in(client, "bob", DEMO_PASSWORD, ATTACKER).status_code == 429
    assert logged_in(log_in(client, "alice", DEMO_PASSWORD, ELSEWHERE))


def test_without_a_trusted_proxy_a_forged_forwarded_for_does_not_dodge_the_lock(client, alice):
    for n in range(10):
        fail(client, "alice", ATTACKER, 1, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    assert log_in(client, "alice", DEMO_PASSWORD, ATTACKER, HTTP_X_FORWARDED_FOR="10.0.0.99").status_code == 429


def test_behind_one_trusted_proxy_the_address_the_proxy_saw_is_the_client(client, alice, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.1.1.1"
    # The client forges entries to the left; the proxy appends the address it was really connected from.
    for n in range(10):
        fail(client, "alice", proxy, 1, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {ATTACKER}")
    assert log_in(client, "alice", DEMO_PASSWORD, proxy, HTTP_X_FORWARDED_FOR=ATTACKER).status_code == 429
    assert logged_in(log_in(client, "alice", DEMO_PASSWORD, proxy, HTTP_X_FORWARDED_FOR=ELSEWHERE))


@pytest.mark.parametrize("remote, forwarded, proxies, client_address", [
    ("10.1.1.1", "", 0, "10.1.1.1"),
    ("10.1.1.1", "1.2.3.4", 0, "10.1.1.1"),              # no proxy of ours: the header is the client's word
    ("10.1.1.1", "1.2.3.4, 5.6.7.8", 1, "5.6.7.8"),      # our proxy wrote the last entry
    ("10.1.1.2", "1.2.3.4, 5.6.7.8, 10.1.1.1", 2, "5.6.7.8"),
    ("10.1.1.1", "", 1, "10.1.1.1"),                     # did not pass through our proxy
    ("10.1.1.1", "5.6.7.8", 2, "10.1.1.1"),              # too short for two proxies
    ("10.1.1.1", "not-an-address", 1, "10.1.1.1"),
    ("10.1.1.1", " 2001:db8::1 ", 1, "2001:db8::1"),
])
def test_the_client_address_behind_proxies(remote, forwarded, proxies, client_address):
    assert forwarded_client(remote, forwarded, proxies) == client_address


@pytest.mark.parametrize("pair, address, counted", [(3, 10, 3), (10, 10, 10), (3, 50, 10), (12, 60, 12), (0, 49, 0)])
def test_an_address_over_its_cap_counts_as_a_pair_at_the_limit(pair, address, counted):
    assert lockout_failures(pair_failures=pair, address_failures=address, pair_limit=10, address_limit=50) == counted
