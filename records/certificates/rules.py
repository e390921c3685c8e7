"""What makes a certificate: its serial, its verification code and who may have one, as plain functions.

The serial is random (60 bits), so nobody can walk through the public verification page by counting.
The code on the QR link is an HMAC of the serial with a server secret: a link whose code does not match
was not made by the portal, whatever its serial says.
"""
import base64
import datetime as dt
import hashlib
import hmac
import secrets
from decimal import Decimal
from urllib.parse import urlencode

from records.hours.rules import Assessment, Refusal

# Crockford's base32: no I, L, O or U, so a serial read aloud or copied from paper is not misread.
SERIAL_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


SERIAL_GROUPS = 3


SERIAL_GROUP_LEN = 4


# What a person may type for a look-alike character, and the separators they may leave out or add.
_TYPED = str.maketrans({"O": "0", "I": "1", "L": "1", " ": None, "\u3000": None, "-": None})


CODE_BYTES = 16  # 128 bits of the HMAC: far beyond guessing, and short enough for a small QR code


def serial_new(year: int, randbits=secrets.randbits) -> str:
    """A fresh serial such as 2025-7K3M-Q9TD-X2HF; `randbits` is injectable so tests can fix it."""
    value = randbits(5 * SERIAL_GROUPS * SERIAL_GROUP_LEN)
    chars = []
    for _ in range(SERIAL_GROUPS * SERIAL_GROUP_LEN):
        value, digit = divmod(value, 32)
        chars.append(SERIAL_ALPHABET[digit])
    groups = ["".join(chars[i:i + SERIAL_GROUP_LEN]) for i in range(0, len(chars), SERIAL_GROUP_LEN)]
    return "-".join([f"{year:04d}", *groups])


def serial_normalize(text: str) -> str | None:
    """The canonical serial for what someone typed or scanned, or None when it cannot be one."""
    compact = (text or "").upper().translate(_TYPED)
    year, body = compact[:4], compact[4:]
    if not (year.isascii() and year.isdigit() and len(body) == SERIAL_GROUPS * SERIAL_GROUP_LEN):
        return None
    if any(char not in SERIAL_ALPHABET for char in body):
        return None
    return "-".join([year, *(body[i:i + SERIAL_GROUP_LEN] for i in range(0, len(body), SERIAL_GROUP_LEN))])


def verification_code(serial: str, key: str) -> str:
    digest = hmac.new(key.encode(), serial.encode(), hashlib.sha256).digest()[:CODE_BYTES]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def verification_code_valid(serial: str, code: str, key: str) -> bool:
    """Constant-time check; any text at all (non-ASCII, overlong) is simply not valid."""
    expected = verification_code(serial, key).encode()
    return hmac.compare_digest(expected, (code or "").encode("utf-8", "replace"))


def verification_url(site_url: str, path: str, serial: str, key: str) -> str:
    """What the QR code holds: the public page for the serial, with the code proving the portal made it."""
    return f"{site_url.rstrip('/')}{path}?{urlencode({'c': verification_code(serial, key)})}"


def mask_name(name: str) -> str:
    """张爱丽 → 张*丽, 李博 → 李*: enough to match a person in front of you, not to find one."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return f"{name[0]}*"
    return f"{name[0]}{'*' * (len(name) - 2)}{name[-1]}"


def _fmt(hours: Decimal) -> str:
    return f"{hours.normalize():f}"


def certificate_interim(year: int, now: dt.datetime, *, filing_close: dt.datetime) -> bool:
    """A certificate of a year still open to filing is an interim statement (阶段性证明) of the hours so far.

    The notice ties results to the year, and hours may still be added until its close; so such a certificate
    says "as of" its date, and once the year has closed, asking again issues the year-end certificate that
    supersedes it (issue 12's reading of rule 10)."""
    return now <= filing_close


def certificate_refusal(*, year: int, current_year: int, assessment: Assessment, pending_claims: int) -> Refusal | None:
    """Why no certificate may be issued for the year, or None when one may.

    A certificate states a compliant year: it is refused while any claim of that year is still under review
    (its outcome could change the figures) and for a year that has not begun.
    """
    if year > current_year:
        return Refusal("year_in_future", f"{year} 年尚未开始，不能出具该年度的学时证明。")
    if pending_claims:
        return Refusal(
            "claims_pending",
            f"{year} 年度还有 {pending_claims} 项学时申报正在审核中，审核结束后才能出具学时证明。",
        )
    if not assessment.compliant:
        shorts = [
            f"{label}还差 {_fmt(short)} 学时"
            for label, short in (("公需科目", assessment.public_short), ("专业科目", assessment.professional_short),
                                 ("总学时", assessment.total_short))
            if short
        ]
        return Refusal("not_compliant", f"{year} 年度已认定学时未达到要求（{'，'.join(shorts)}），不能出具学时证明。")
    return None
