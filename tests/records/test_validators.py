import pytest
from django.core.exceptions import ValidationError

from records.people.rules import mask_id_number, normalize_id_number, validate_credit_code, validate_id_number

# Real published examples: GB 11643's sample number (X check digit) and well-known public credit codes.
VALID_ID_NUMBERS = ["11010519491231002X", "410402198507150030", "410400196501019005"]
VALID_CREDIT_CODES = ["91110000802100433B", "91310000775785552L", "91410400DD0000000M"]


@pytest.mark.parametrize("number", VALID_ID_NUMBERS)
def test_it_accepts_valid_id_numbers(number):
    validate_id_number(number)


@pytest.mark.parametrize(
    "number, code",
    [
        ("110105194912310021", "id_number_checksum"),  # X replaced by 1
        ("11010519491231002", "id_number_length"),
        ("1101051949123100XX", "id_number_format"),
        ("110105194913310021", "id_number_component"),  # month 13
    ],
)
def test_it_refuses_invalid_id_numbers_with_a_specific_code(number, code):
    with pytest.raises(ValidationError) as err:
        validate_id_number(number)
    assert err.value.code == code
    assert "身份证" in err.value.message


@pytest.mark.parametrize("code", VALID_CREDIT_CODES)
def test_it_accepts_valid_credit_codes(code):
    validate_credit_code(code)


@pytest.mark.parametrize(
    "value, code",
    [
        ("91110000802100433C", "credit_code_checksum"),
        ("9111000080210043", "credit_code_length"),
        ("9111000080210043IB", "credit_code_format"),  # I is not in the GB 32100 alphabet
    ],
)
def test_it_refuses_invalid_credit_codes_with_a_specific_code(value, code):
    with pytest.raises(ValidationError) as err:
        validate_credit_code(value)
    assert err.value.code == code


def test_masking_keeps_only_prefix_and_last_four():
    assert mask_id_number("11010519491231002X") == "1101**********002X"


def _in_script(number: str, zero: int) -> str:
    return "".join(chr(zero + int(c)) if c.isdigit() else c for c in number)


@pytest.mark.parametrize("zero", [0x0660, 0x0966, 0x1D7CE, 0xFF10], ids=["arabic-indic", "devanagari", "math-bold",
                                                                         "full-width"])
def test_only_ascii_digits_make_an_id_number(zero):
    """Python's str.isdigit and \\d take any script's digits; a stored number is ASCII only."""
    with pytest.raises(ValidationError) as err:
        validate_id_number(_in_script("410402198507150030", zero))
    assert err.value.code == "id_number_format"


def test_normalising_forgives_what_an_input_method_types_and_nothing_else():
    assert normalize_id_number(" ４１０４０２ １９８５０７１５００３０ ") == "410402198507150030"
    assert normalize_id_number("11010519491231002ｘ") == "11010519491231002X"
    math_bold = _in_script("410402198507150030", 0x1D7CE)
    assert normalize_id_number(math_bold) == math_bold  # left as typed, and refused by validate_id_number
