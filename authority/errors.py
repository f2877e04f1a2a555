"""The codes of the `UserError`s authority raises (organisations and the working calendar).

Raise sites name a member (`UserError(Code.NAME_INVALID, …)`), never a string; the schema
builds each mutation's description from the members it can raise (`schema.errors.with_codes`),
and `tests/house/test_error_codes.py` fails when a mutation can raise a code its description
does not list. The codes live beside the rules that raise them (a domain's vocabulary, used by
demo and tests as well as the API); values are stable: programs match on them.
"""

from enum import StrEnum


class Code(StrEnum):
    DAYS_REQUIRED = "DAYS_REQUIRED"
    DUPLICATE_DAY = "DUPLICATE_DAY"
    HOLIDAYS_OVERLAP = "HOLIDAYS_OVERLAP"
    HOLIDAYS_REQUIRED = "HOLIDAYS_REQUIRED"
    HOLIDAY_NAME_REQUIRED = "HOLIDAY_NAME_REQUIRED"
    HOLIDAY_RANGE_INVALID = "HOLIDAY_RANGE_INVALID"
    LAST_AUTHORITY = "LAST_AUTHORITY"
    NAME_REQUIRED = "NAME_REQUIRED"
    NAME_TOO_LONG = "NAME_TOO_LONG"
    NOTE_TOO_LONG = "NOTE_TOO_LONG"
    NOTHING_CHANGED = "NOTHING_CHANGED"
    NOTICE_REQUIRED = "NOTICE_REQUIRED"
    ORGANIZATION_NOT_FOUND = "ORGANIZATION_NOT_FOUND"
    REASON_REQUIRED = "REASON_REQUIRED"
    TOO_MANY_DAYS = "TOO_MANY_DAYS"
    USCC_INVALID = "USCC_INVALID"
    USCC_TAKEN = "USCC_TAKEN"
    WORKING_DAY_INVALID = "WORKING_DAY_INVALID"
