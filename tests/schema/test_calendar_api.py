"""The working-day table through GraphQL: the authority extends it; deadlines use it."""

from __future__ import annotations

from core.identity import Role
from core.models import OrganizationKind

DEADLINE = (
    "query($at: DateTime!, $n: Int!) { workingDayDeadline(receivedAt: $at, workingDays: $n) }"
)
SET = """mutation($input: SetCalendarDaysInput!) { setCalendarDays(input: $input) {
  days { day working note } userErrors { field code message } } }"""


async def test_deadline_across_national_day(gql, authority):
    # Art. 15: 5 working days from Fri 2025-09-26 ends on Fri 2025-10-10 (Shanghai).
    result = await gql(DEADLINE, {"at": "2025-09-26T10:00:00+08:00", "n": 5}, authority)
    assert result["data"]["workingDayDeadline"] == "2025-10-10T15:59:59.999999+00:00"


async def test_uncovered_year_then_the_authority_enters_it(gql, authority, make_caller, db):
    result = await gql(DEADLINE, {"at": "2031-03-02T09:00:00+08:00", "n": 3}, authority)
    error = result["errors"][0]
    assert error["extensions"]["reason"] == "CALENDAR_NOT_COVERED"
    assert "2031" in error["message"] and "data authority" in error["message"]

    agency = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    refused = await gql(SET, {"input": {"days": [{"day": "2031-03-03", "working": False}]}}, agency)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    duplicate = await gql(
        SET, {"input": {"days": [{"day": "2031-03-03", "working": False}] * 2}}, authority
    )
    assert duplicate["data"]["setCalendarDays"]["userErrors"][0]["code"] == "DUPLICATE_DAY"

    ok = await gql(
        SET,
        {
            "input": {
                "days": [
                    {"day": "2031-03-03", "working": False, "note": "test holiday"},
                    {"day": "2031-03-08", "working": True, "note": "make-up Saturday"},
                ]
            }
        },
        authority,
    )
    assert ok["data"]["setCalendarDays"]["userErrors"] == []
    # Sun 03-02 received: Mon 03-03 off, Tue 03-04, Wed 03-05, Thu 03-06 → the 3rd is Thu.
    result = await gql(DEADLINE, {"at": "2031-03-02T09:00:00+08:00", "n": 3}, authority)
    assert result["data"]["workingDayDeadline"].startswith("2031-03-06T15:59:59")
    # ... Fri 03-07 is the 4th and the make-up Saturday counts: the 5th is Sat 03-08.
    result = await gql(DEADLINE, {"at": "2031-03-02T09:00:00+08:00", "n": 5}, authority)
    assert result["data"]["workingDayDeadline"].startswith("2031-03-08T15:59:59")
    days = await gql("{ calendarDays(year: 2031) { day working note } }", caller=agency)
    assert {d["day"] for d in days["data"]["calendarDays"]} >= {"2031-03-03", "2031-03-08"}


async def test_naive_time_is_a_clear_error(gql, authority):
    result = await gql(DEADLINE, {"at": "2025-09-26T10:00:00", "n": 5}, authority)
    assert result["errors"][0]["extensions"]["reason"] == "TIME_ZONE_REQUIRED"
