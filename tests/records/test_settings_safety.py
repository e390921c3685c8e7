import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from ce_portal.env import DEV_SECRET_KEY, check_production_safety

STRONG_KEY = "k" * 50


@pytest.mark.parametrize(
    "secret_key, debug",
    [(DEV_SECRET_KEY, False), ("", False), ("short", False), (STRONG_KEY, True)],
)
def test_production_refuses_unsafe_settings(secret_key, debug):
    with pytest.raises(ImproperlyConfigured):
        check_production_safety(environment="production", secret_key=secret_key, debug=debug)


def test_production_accepts_a_private_key_with_debug_off():
    check_production_safety(environment="production", secret_key=STRONG_KEY, debug=False)


def test_development_allows_the_dev_key():
    check_production_safety(environment="development", secret_key=DEV_SECRET_KEY, debug=True)


def _start(env_overrides):
    env = {k: v for k, v in os.environ.items()
           if k not in ("SECRET_KEY", "DEBUG", "FIELD_ENCRYPTION_KEYS", "ID_NUMBER_HASH_KEY")}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "CRITICAL"],
        env=env, capture_output=True, text=True, timeout=120,
    )


def test_a_real_production_start_with_the_default_key_fails():
    result = _start({"CE_PORTAL_ENV": "production"})
    assert result.returncode != 0
    assert "Refusing to start in production" in result.stderr


def test_a_real_production_start_with_debug_on_fails():
    result = _start({"CE_PORTAL_ENV": "production", "SECRET_KEY": STRONG_KEY, "DEBUG": "true"})
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_a_real_production_start_with_safe_settings_works():
    result = _start({"CE_PORTAL_ENV": "production", "SECRET_KEY": STRONG_KEY, "DEBUG": "false",
                     "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(), "ID_NUMBER_HASH_KEY": "h" * 40})
    assert result.returncode == 0, result.stderr
