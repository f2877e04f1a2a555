"""The working-day table through GraphQL: the authority extends it; deadlines use it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.identity import Role
from core.models import OrganizationKind

pytestmark = pytest.mark.article(15)

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


async def test_every_change_is_a_ledger_entry_and_bad_input_is_refused(gql, authority):
    """A day moves every working-day deadline (Art. 15, 25, 27): who set it, and what it was
    before, is on the ledger; input that would change nothing sensible changes nothing."""
    day = {"day": "2032-10-09", "working": False, "note": "  test: extra holiday  "}
    first = await gql(SET, {"input": {"days": [day]}}, authority)
    assert first["data"]["setCalendarDays"]["days"] == [
        {"day": "2032-10-09", "working": False, "note": "test: extra holiday"}
    ]
    again = await gql(SET, {"input": {"days": [{**day, "working": True}]}}, authority)
    assert again["data"]["setCalendarDays"]["userErrors"] == []
    entries = await gql(
        '{ ledgerEntries(kind: "authority.calendar.days_set", first: 100) { nodes { body } } }',
        caller=authority,
    )
    bodies = [n["body"]["days"] for n in entries["data"]["ledgerEntries"]["nodes"]]
    assert [{"day": "2032-10-09", "working": False, "note": "test: extra holiday",
             "before": None}] in bodies  # fmt: skip
    assert [{"day": "2032-10-09", "working": True, "note": "test: extra holiday",
             "before": False}] in bodies  # fmt: skip

    cases = [
        ([], "DAYS_REQUIRED"),
        ([{"day": (date(2033, 1, 1) + timedelta(days=i)).isoformat(), "working": False}
          for i in range(401)], "TOO_MANY_DAYS"),
        ([{"day": "2033-01-01", "working": False, "note": "x" * 201}], "NOTE_TOO_LONG"),
    ]  # fmt: skip
    for days, code in cases:
        refused = await gql(SET, {"input": {"days": days}}, authority)
        assert [e["code"] for e in refused["data"]["setCalendarDays"]["userErrors"]] == [code]
    days = await gql("{ calendarDays(year: 2033) { day } }", caller=authority)
    assert days["data"]["calendarDays"] == []  # nothing of the refused calls was kept


async def test_naive_time_is_a_clear_error(gql, authority):
    result = await gql(DEADLINE, {"at": "2025-09-26T10:00:00", "n": 5}, authority)
    assert result["errors"][0]["extensions"]["reason"] == "TIME_ZONE_REQUIRED"
