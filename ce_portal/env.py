"""Small helpers that read settings from the environment and fail loudly.

Kept free of Django imports so that settings.py (and tests) can use them before Django is set up.
"""
import os

from django.core.exceptions import ImproperlyConfigured

# A development-only key: the portal refuses to start in production with it (see check_production_safety).
DEV_SECRET_KEY = "dev-insecure-ce-portal-key-do-not-use-in-production"

# Development-only keys for personal data at rest (ce_portal/crypto.py); refused in production like the one above.
DEV_FIELD_ENCRYPTION_KEY = "ZGV2LW9ubHktY2UtcG9ydGFsLWZpZWxkLWtleS0zMmI="
DEV_ID_NUMBER_HASH_KEY = "dev-only-ce-portal-id-number-hash-key-not-for-production"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None:
        if default is None:
            raise ImproperlyConfigured(f"Environment variable {name} is required")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"Environment variable {name} must be a boolean, got {value!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def check_production_safety(*, environment: str, secret_key: str, debug: bool) -> None:
    """Refuse an unsafe production start: the shipped dev key or DEBUG on would leak sessions and data."""
    if environment != "production":
        return
    problems = []
    if not secret_key or secret_key == DEV_SECRET_KEY or len(secret_key) < 32:
        problems.append("SECRET_KEY must be set to a private value of at least 32 characters")
    if debug:
        problems.append("DEBUG must be off")
    if problems:
        raise ImproperlyConfigured("Refusing to start in production: " + "; ".join(problems))


def check_personal_data_keys(*, environment: str, encryption_keys: list[str], hash_key: str) -> None:
    """Refuse a production start without private keys for ID and phone numbers: with the shipped development
    keys anyone holding a copy of the database could read every number (ce_portal/crypto.py)."""
    if environment != "production":
        return
    problems = []
    if not encryption_keys or DEV_FIELD_ENCRYPTION_KEY in encryption_keys:
        problems.append("FIELD_ENCRYPTION_KEYS must be set to private Fernet keys, newest first")
    if not hash_key or hash_key == DEV_ID_NUMBER_HASH_KEY or len(hash_key) < 32:
        problems.append("ID_NUMBER_HASH_KEY must be set to a private value of at least 32 characters")
    if problems:
        raise ImproperlyConfigured("Refusing to start in production: " + "; ".join(problems))
