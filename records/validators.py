"""Checksums of Chinese identifiers, with messages a person can act on."""
from django.core.exceptions import ValidationError
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc


def normalize_id_number(value: str) -> str:
    # stdnum keeps inner spaces, but people paste numbers grouped as "410402 19900101 1234".
    return "".join(ric.compact(value or "").split()).upper()


def validate_id_number(value: str) -> None:
    """居民身份证号码 (GB 11643): 18 characters, valid birth date, ISO 7064 check digit (may be X)."""
    try:
        ric.validate(value)
    except stdnum_errors.InvalidLength:
        raise ValidationError("身份证号码应为 18 位。", code="id_number_length")
    except stdnum_errors.InvalidChecksum:
        raise ValidationError("身份证号码校验位不正确，请核对最后一位。", code="id_number_checksum")
    except stdnum_errors.InvalidComponent:
        raise ValidationError("身份证号码中的出生日期或地区码无效。", code="id_number_component")
    except stdnum_errors.InvalidFormat:
        raise ValidationError("身份证号码只能包含数字，最后一位可以是 X。", code="id_number_format")


def normalize_credit_code(value: str) -> str:
    return "".join(uscc.compact(value or "").split()).upper()


def validate_credit_code(value: str) -> None:
    """统一社会信用代码 (GB 32100): 18 characters with a check character."""
    try:
        uscc.validate(value)
    except stdnum_errors.InvalidLength:
        raise ValidationError("统一社会信用代码应为 18 位。", code="credit_code_length")
    except stdnum_errors.InvalidChecksum:
        raise ValidationError("统一社会信用代码校验位不正确，请核对最后一位。", code="credit_code_checksum")
    except (stdnum_errors.InvalidFormat, stdnum_errors.InvalidComponent):
        raise ValidationError("统一社会信用代码格式不正确（不得含 I、O、Z、S、V）。", code="credit_code_format")


def mask_id_number(value: str) -> str:
    """Keep the region prefix and the last four: enough to tell people apart, not enough to impersonate."""
    if len(value) < 10:
        return "*" * len(value)
    return f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}"


def validate_mobile(value: str) -> None:
    """Mainland mobile numbers: 11 digits starting 13–19 (the unit calls people on these, not landlines)."""
    if not (len(value) == 11 and value.isdigit() and value[0] == "1" and value[1] in "3456789"):
        raise ValidationError("手机号码应为 11 位数字，以 13–19 开头。", code="phone_format")
