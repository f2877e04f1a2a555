"""USCC (GB 32100-2015) and resident ID (GB 11643-1999) validation."""

from __future__ import annotations

from datetime import date

import pytest

from core.validators import (
    _id_check_char,
    _uscc_check_char,
    is_valid_resident_id,
    is_valid_uscc,
    make_org_code,
    make_resident_id,
    make_uscc,
    normalize_resident_id,
    normalize_uscc,
)

# Published codes; every one also passes the embedded GB 11714 organisation-code check.
REAL_USCCS = [
    "91350100M000100Y43",  # the example most USCC write-ups use
    "91110000802100433B",
    "914403001922038216",  # Huawei Technologies Co., Ltd.
    "9144030071526726XG",  # organisation check char X
    "91110000600037341L",
    "91110000710926094P",
    "91310115MA1K3BTP2B",  # an 'MA' code issued after 2015
    "92340602MA2PBMEM24",  # an individual business (个体工商户)
    "11100000000013127D",  # department 1 (机构编制), category 1 (机关)
]

STANDARD_ID = "11010519491231002X"  # the worked example in GB 11643-1999
TODAY = date(2025, 9, 26)


@pytest.mark.parametrize("code", REAL_USCCS)
def test_real_usccs_are_valid(code: str) -> None:
    assert is_valid_uscc(code)
    assert make_uscc(code[:17]) == code


def test_uscc_is_normalised_before_checking() -> None:
    assert normalize_uscc("  91350100m000100y43\n") == "91350100M000100Y43"
    assert is_valid_uscc(" 91350100m000100y43 ")


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y44",  # wrong check char
        "91110000802100433C",  # wrong check char
        "9135010OM000100Y43",  # forbidden letter O
        "91350100I000100Y43",  # forbidden letter I
        "9135010M000100Y43",  # 17 chars
        "91350100M000100Y430",  # 19 chars
        "",
        "B1350100M000100Y43",  # B is not a registration department
        "913501A0M000100Y43",  # letter in the administrative-division code
        "91-350100M000100Y4",  # punctuation
    ],
)
def test_invalid_usccs(code: str) -> None:
    assert not is_valid_uscc(code)


def test_uscc_with_forbidden_letters_fails_even_with_matching_sum() -> None:
    for letter in "IOZSV":
        assert not is_valid_uscc("9135010" + letter + "M000100Y43")


def test_wrong_embedded_org_code_is_rejected_even_with_right_final_check() -> None:
    body = "91350100M000100Y5"  # org check char should be 4
    with pytest.raises(ValueError, match="organisation code"):
        make_uscc(body)
    assert not is_valid_uscc(body + _uscc_check_char(body))


def test_make_org_code_gb11714() -> None:
    assert make_org_code("80210043") == "802100433"
    assert make_org_code("71526726") == "71526726X"  # 10 -> X
    assert make_org_code("M000100Y") == "M000100Y4"
    with pytest.raises(ValueError):
        make_org_code("1234567")


def test_make_uscc_mints_valid_codes_for_every_department() -> None:
    for department in "123456789ANY":
        code = make_uscc(department + "1440700" + make_org_code("MA000001"))
        assert is_valid_uscc(code), code
    with pytest.raises(ValueError):
        make_uscc("9135010OM000100Y4")  # forbidden letter in the body


@pytest.mark.parametrize("number", [STANDARD_ID, "11010519491231002x", " 11010519491231002X "])
def test_standard_example_resident_id(number: str) -> None:
    assert is_valid_resident_id(number, today=TODAY)
    assert normalize_resident_id(number) == STANDARD_ID


def test_make_resident_id_round_trips() -> None:
    assert make_resident_id(STANDARD_ID[:17]) == STANDARD_ID
    minted = make_resident_id("44070320000229123", today=TODAY)  # leap day 2000
    assert is_valid_resident_id(minted, today=TODAY)


def test_resident_id_born_today_is_valid_but_tomorrow_is_not() -> None:
    born_today = make_resident_id("44070320250926001", today=TODAY)
    assert is_valid_resident_id(born_today, today=TODAY)
    assert not is_valid_resident_id(born_today, today=date(2025, 9, 25))
    with pytest.raises(ValueError, match="future"):
        make_resident_id("44070320250927001", today=TODAY)


def _with_check(body17: str) -> str:
    """Append the right check digit without the date rules, to test those rules alone."""
    return body17 + _id_check_char(body17)


@pytest.mark.parametrize(
    "number",
    [
        "110105194912310021",  # wrong check digit (should be X)
        "11010519491231002Y",  # check char other than X
        _with_check("44070319990230001"),  # 30 February
        _with_check("44070319991301001"),  # month 13
        _with_check("44070320260101001"),  # born after TODAY
        "440524188001010014",  # GB 11643's own 1880 example: right check digit, before 1900
        "1101051949123100X2",  # X not in last place
        "1101051949123100２X",  # full-width digit
        "11010519491231002",  # 17 chars
        "11010519491231002XX",  # 19 chars
        "",
    ],
)
def test_invalid_resident_ids(number: str) -> None:
    assert not is_valid_resident_id(number, today=TODAY)


def test_resident_id_defaults_to_today_in_china() -> None:
    assert is_valid_resident_id(STANDARD_ID)
    assert not is_valid_resident_id(_with_check("44070330000101001"))


def test_make_resident_id_rejects_bad_bodies() -> None:
    for body in ["4407031999023000", "4407031999023000a", "44070319990230001"]:
        with pytest.raises(ValueError):
            make_resident_id(body, today=TODAY)
