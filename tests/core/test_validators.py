import pytest

from rencai.core.validators import (
    is_valid_credit_code,
    is_valid_id_number,
    parse_id_number,
    validate_credit_code,
)

VALID_IDS = ["330881199003070020", "330825198501011239"]
VALID_CODES = ["91330800MA28F0000M", "91330881MA2DK1234X"]


@pytest.mark.parametrize("number", VALID_IDS)
def test_glossary_id_numbers_are_valid(number):
    assert is_valid_id_number(number)


@pytest.mark.parametrize("number", VALID_IDS)
def test_changing_any_digit_of_an_id_number_breaks_it(number):
    for position in range(18):
        for replacement in "0123456789X":
            if replacement != number[position]:
                assert not is_valid_id_number(number[:position] + replacement + number[position + 1 :])


def test_id_number_yields_birth_date_and_gender():
    facts = parse_id_number("330825198501011239")
    assert (facts.birth_date.isoformat(), facts.gender, facts.region_code) == ("1985-01-01", "male", "330825")
    assert parse_id_number("330881199003070020").gender == "female"


def test_id_number_error_is_bilingual():
    with pytest.raises(ValueError, match=r"校验位.*check digit"):
        parse_id_number("330881199003070021")


@pytest.mark.parametrize("code", VALID_CODES)
def test_glossary_credit_codes_are_valid(code):
    assert validate_credit_code(code.lower()) == code


@pytest.mark.parametrize("code", VALID_CODES)
def test_changing_any_character_of_a_credit_code_breaks_it(code):
    for position in range(18):
        for replacement in "0123456789ABCDEFGHJKLMNPQRTUWXY":
            if replacement != code[position]:
                assert not is_valid_credit_code(code[:position] + replacement + code[position + 1 :])


def test_credit_code_rejects_forbidden_letters():
    with pytest.raises(ValueError, match="I、O、S、V、Z"):
        validate_credit_code("91330800MA28F000OM")
