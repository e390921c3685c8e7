"""Personal data at rest (个人信息保护法): ID numbers and phone numbers are stored encrypted, field by field, and
ID numbers are found through a keyed hash of them.

- `EncryptedTextField` keeps Fernet ciphertext (AES-128-CBC + HMAC) in a text column and hands the code the
  plain value. The keys come from `FIELD_ENCRYPTION_KEYS`, newest first: `MultiFernet` encrypts with the first
  and reads with any, so a new key is put in front, `manage.py rotate_field_keys` re-encrypts every row with
  it, and the old key is removed afterwards.
- Fernet is randomised, so equal numbers give different ciphertexts and the database cannot compare them.
  A look-up by ID number compares `lookup_digest(number)`, an HMAC-SHA256 under its own key
  (`ID_NUMBER_HASH_KEY`), with an indexed `DigestField` that is filled from the number on every insert. A
  plain SHA-256 would not do: there are only ~10^10 valid ID numbers, and all of them can be hashed in hours.

An encrypted field accepts no database look-up but `isnull` (a filter on ciphertext can never match, and a
silent empty result is worse than an error), and it cannot be sorted on meaningfully.
"""
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django import forms
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as exc:
        # Never echo the keys: the message may reach a log.
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be URL-safe base64 Fernet keys of 32 bytes") from exc


def field_fernet() -> MultiFernet:
    """The keys of this process's settings, newest first (cached per key list, so a test's override works)."""
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    return field_fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return field_fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "An encrypted field could not be read with FIELD_ENCRYPTION_KEYS: the key it was written with is "
            "missing from the list (keep an old key until manage.py rotate_field_keys has run)"
        ) from None


def lookup_digest(value: str) -> str:
    """HMAC-SHA256 of a (normalised) ID number under ID_NUMBER_HASH_KEY, as 64 hex characters."""
    return hmac.new(settings.ID_NUMBER_HASH_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def keyed_content_hash(content_hash: str) -> str:
    """What a table keeps of a content hash computed over an ID number among fields the same row holds in
    clear (a platform record's): the hash keyed like the digests. A bare SHA-256 of known fields and one
    number can be searched back to the number, as a bare hash of the number can."""
    return lookup_digest(content_hash)


class EncryptedTextField(models.TextField):
    """A text value stored as Fernet ciphertext. The empty string stays empty: "no phone" tells nothing."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value

    def get_lookup(self, lookup_name):
        return super().get_lookup(lookup_name) if lookup_name == "isnull" else None

    def formfield(self, **kwargs):
        # A one-line number, not the text area of a TextField.
        return super().formfield(**{"widget": forms.TextInput, **kwargs})


class DigestField(models.CharField):
    """`lookup_digest` of another field of the same row (`source`), recomputed whenever the row is written."""

    def __init__(self, *args, source: str, **kwargs):
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        if kwargs.get("max_length") == 64:
            del kwargs["max_length"]
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.source)
        digest = lookup_digest(value) if value else None
        setattr(model_instance, self.attname, digest)
        return digest


ROTATE_BATCH = 2000


def encrypted_fields() -> list[tuple[type[models.Model], list[str]]]:
    """Every model with encrypted fields, and their names."""
    found = []
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            found.append((model, names))
    return found


def field_keys_rotate(*, batch_size: int = ROTATE_BATCH) -> dict[str, int]:
    """Re-encrypt every encrypted value with the newest key (the first of FIELD_ENCRYPTION_KEYS), so that the
    older keys can then be removed. Batch by batch, each locked while it is rewritten, so that a change made
    meanwhile is neither lost nor overwritten; safe to run again. Returns the rows rewritten per model."""
    rewritten = {}
    for model, names in encrypted_fields():
        last, count = 0, 0
        while True:
            with transaction.atomic():
                batch = list(model.objects.select_for_update().filter(pk__gt=last).order_by("pk")
                             .only("pk", *names)[:batch_size])
                # Read with any key, written with the newest (EncryptedTextField.get_prep_value).
                model.objects.bulk_update(batch, names)
            if not batch:
                break
            last, count = batch[-1].pk, count + len(batch)
        rewritten[model._meta.label] = count
    return rewritten
