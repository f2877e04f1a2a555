"""Offline checks for Chinese identifiers: the unified social credit code and the resident ID.

Why: a mistyped code should be caught on the form, not months later by a regulator. A code that
passes is well formed (right alphabet, structure and check characters); it may still never have
been issued, which only the registries can tell.

Validators accept any case and surrounding whitespace; store the `normalize_*` form.
"""

from __future__ import annotations

from datetime import date

from core.clock import SHANGHAI, now

# --- Unified social credit code (统一社会信用代码), GB 32100-2015 -------------------------------

# GB 32100-2015 §4: digits and capitals except I, O, Z, S, V; a char's value is its index.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {char: value for value, char in enumerate(USCC_ALPHABET)}
# GB 32100-2015 §5 (ISO 7064 MOD 31-3 style): weight of position i is 3**i mod 31.
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# Char 1, registration-management department: the standard's table as since extended (1 机构编制,
# 2 外交, 3 司法行政, 4 文化, 5 民政, 6 旅游, 7 宗教, 8 工会, 9 工商/市场监管,
# A 中央军委改革和编制办公室, N 农业, Y 其他). Char 2 (category) is not checked: each
# department defines its own list and extends it.
USCC_DEPARTMENTS = frozenset("123456789ANY")

# Chars 9-17 are the organisation code (主体标识码), GB 11714-1997: 8 body chars, 1 check char.
_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # value = index, so A=10 … Z=35
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

_DIGITS = frozenset("0123456789")


def normalize_uscc(code: str) -> str:
    """The stored form: no surrounding whitespace, upper case."""
    return code.strip().upper()


def make_org_code(body8: str) -> str:
    """Append the GB 11714-1997 check char to an 8-char organisation-code body.

    Check = 11 - (weighted sum mod 11), written 'X' for 10 and '0' for 11.
    """
    if len(body8) != 8 or any(char not in _ORG_ALPHABET for char in body8):
        raise ValueError("an organisation-code body is 8 digits or capital letters")
    total = sum(_ORG_ALPHABET.index(char) * w for char, w in zip(body8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body8 + {10: "X", 11: "0"}.get(check, str(check))


def _uscc_check_char(body17: str) -> str:
    total = sum(_USCC_VALUE[char] * w for char, w in zip(body17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def _uscc_problem(code: str) -> str | None:
    """Why `code` (already normalised) is not a valid USCC, or None when it is."""
    if len(code) != 18:
        return "a unified social credit code has 18 characters"
    if any(char not in _USCC_VALUE for char in code):
        return "only digits and capital letters other than I, O, Z, S, V are allowed"
    if code[0] not in USCC_DEPARTMENTS:
        return "character 1 must be a registration department code: 1-9, A, N or Y"
    if not set(code[2:8]) <= _DIGITS:
        return "characters 3-8 are an administrative-division code (GB/T 2260): digits only"
    if make_org_code(code[8:16]) != code[8:17]:
        return "characters 9-17 are not a valid organisation code (GB 11714 check character)"
    if _uscc_check_char(code[:17]) != code[17]:
        return "the check character (character 18) is wrong"
    return None


def is_valid_uscc(code: str) -> bool:
    """True when `code` is a well-formed GB 32100-2015 code with both check chars right."""
    return _uscc_problem(normalize_uscc(code)) is None


def make_uscc(body17: str) -> str:
    """Append the check char to the first 17 chars; raises ValueError rather than mint a bad code.

    The body's own rules still apply, including the organisation-code check char at position 17
    (`make_org_code` computes it).
    """
    body = normalize_uscc(body17)
    if len(body) != 17 or any(char not in _USCC_VALUE for char in body):
        raise ValueError("a USCC body is 17 characters from the GB 32100 alphabet")
    code = body + _uscc_check_char(body)
    problem = _uscc_problem(code)
    if problem is not None:
        raise ValueError(problem)
    return code


# --- Citizen identity number (公民身份号码), GB 11643-1999 -------------------------------------

# GB 11643-1999 §8.2 (ISO 7064 MOD 11-2): weight of position i is 2**(17 - i) mod 11.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
EARLIEST_BIRTH_DATE = date(1900, 1, 1)  # pdex's floor, not the standard's: older is a typo


def normalize_resident_id(number: str) -> str:
    """The stored form: no surrounding whitespace, a check 'x' written 'X'."""
    return number.strip().upper()


def _id_check_char(body17: str) -> str:
    total = sum(int(char) * w for char, w in zip(body17, _ID_WEIGHTS, strict=True))
    check = (12 - total % 11) % 11
    return "X" if check == 10 else str(check)


def _id_birth_date(number: str) -> date | None:
    """The birth date in chars 7-14 (GB 11643-1999 §6.2), or None if it is not a calendar date."""
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def _resident_id_problem(number: str, today: date) -> str | None:
    """Why `number` (already normalised) is not a valid resident ID, or None when it is."""
    if len(number) != 18:
        return "a resident ID number has 18 characters"
    if not set(number[:17]) <= _DIGITS or number[17] not in _DIGITS | {"X"}:
        return "a resident ID number is 17 digits and a digit or X"
    born = _id_birth_date(number)
    if born is None:
        return "characters 7-14 are not a real date of birth"
    if not EARLIEST_BIRTH_DATE <= born <= today:
        return "the date of birth is in the future or before 1900"
    if _id_check_char(number[:17]) != number[17]:
        return "the check character (character 18) is wrong"
    return None


def _shanghai_today() -> date:
    return now().astimezone(SHANGHAI).date()


def is_valid_resident_id(number: str, today: date | None = None) -> bool:
    """True for a well-formed GB 11643-1999 number born on a real date in [1900-01-01, today].

    `today` defaults to the current date in China; the 6-digit area code is not looked up
    (codes of abolished areas stay on valid cards).
    """
    return _resident_id_problem(normalize_resident_id(number), today or _shanghai_today()) is None


def make_resident_id(body17: str, today: date | None = None) -> str:
    """Append the check digit to 17 digits; raises ValueError rather than mint a bad ID."""
    body = body17.strip()
    if len(body) != 17 or not set(body) <= _DIGITS:
        raise ValueError("a resident ID body is 17 digits")
    number = body + _id_check_char(body)
    problem = _resident_id_problem(number, today or _shanghai_today())
    if problem is not None:
        raise ValueError(problem)
    return number
