"""The working-day table through GraphQL: the authority extends it; deadlines use it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from core.calendar import PACKAGE_YEARS
from core.identity import Role
from core.models import OrganizationKind
from schema.relay import from_global_id, to_global_id

pytestmark = pytest.mark.article(15)

DEADLINE = """query($at: DateTime!, $n: Int!) {
  workingDayDeadline(receivedAt: $at, workingDays: $n) { at provisional } }"""
SET = """mutation($input: SetCalendarDaysInput!) { setCalendarDays(input: $input) {
  days { day working note } userErrors { field code message } } }"""


async def test_deadline_across_national_day(gql, authority):
    # Art. 15: 5 working days from Fri 2025-09-26 ends on Fri 2025-10-10 (Shanghai).
    result = await gql(DEADLINE, {"at": "2025-09-26T10:00:00+08:00", "n": 5}, authority)
    assert result["data"]["workingDayDeadline"] == {
        "at": "2025-10-10T15:59:59.999999+00:00",
        "provisional": False,
    }


async def test_a_provisional_year_then_the_authority_corrects_days(gql, authority, make_caller, db):
    result = await gql(DEADLINE, {"at": "2031-03-02T09:00:00+08:00", "n": 3}, authority)
    # Sun 03-02 received: Mon 03-03, Tue 03-04, Wed 03-05, provisional (2031 not entered).
    assert result["data"]["workingDayDeadline"] == {
        "at": "2031-03-05T15:59:59.999999+00:00",
        "provisional": True,
    }

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
    assert result["data"]["workingDayDeadline"]["at"].startswith("2031-03-06T15:59:59")
    # Corrections do not confirm a year: only a year entered whole is confirmed.
    assert result["data"]["workingDayDeadline"]["provisional"] is True
    # ... Fri 03-07 is the 4th and the make-up Saturday counts: the 5th is Sat 03-08.
    result = await gql(DEADLINE, {"at": "2031-03-02T09:00:00+08:00", "n": 5}, authority)
    assert result["data"]["workingDayDeadline"]["at"].startswith("2031-03-08T15:59:59")
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


async def test_absurd_years_are_a_clear_error(gql, authority):
    for at in ("2101-01-04T10:00:00+08:00", "1949-06-01T10:00:00+08:00"):
        result = await gql(DEADLINE, {"at": at, "n": 5}, authority)
        assert result["errors"][0]["extensions"]["reason"] == "YEAR_OUT_OF_RANGE"
    for year in (0, 2147483647):
        result = await gql("query($y: Int!) { calendarDays(year: $y) { day } }", {"y": year},
                           authority)  # fmt: skip
        assert result["errors"][0]["extensions"]["reason"] == "YEAR_OUT_OF_RANGE"


FILE = """mutation($input: FileComplaintInput!) { fileComplaint(input: $input) {
  complaint { id receivedAt dueAt dueProvisional } userErrors { code } } }"""
SET_YEAR = """mutation($input: SetCalendarYearInput!) { setCalendarYear(input: $input) {
  calendarYear { year confirmed notice } deadlinesRecomputed deadlinesMoved
  userErrors { field code } } }"""


@pytest.mark.article(27)
async def test_a_complaint_filed_today_says_whether_its_due_date_is_provisional(
    gql, authority, make_caller
):
    """Whatever today is: the due date is provisional exactly when it counts a day of a year
    the package does not cover (and the shared database enters no year)."""
    citizen = await make_caller(Role.DATA_SUBJECT)
    firm = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    against = to_global_id("Organization", firm.org_id)
    filed = await gql(FILE, {"input": {"againstOrganization": against, "text": "Why?"}}, citizen)
    complaint = filed["data"]["fileComplaint"]["complaint"]
    due = datetime.fromisoformat(complaint["dueAt"])
    received = datetime.fromisoformat(complaint["receivedAt"])
    counted = range(received.year, due.year + 1)
    assert complaint["dueProvisional"] is any(y not in PACKAGE_YEARS for y in counted)
    check = await gql(DEADLINE, {"at": complaint["receivedAt"], "n": 15}, authority)
    assert check["data"]["workingDayDeadline"] == {
        "at": complaint["dueAt"],
        "provisional": complaint["dueProvisional"],
    }


@pytest.mark.article(27)
async def test_entering_a_year_through_the_api_moves_a_complaint_and_records_it(
    gql, authority, make_caller, monkeypatch
):
    citizen = await make_caller(Role.DATA_SUBJECT)
    firm = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    against = to_global_id("Organization", firm.org_id)
    # Mon 2 Jan 2090, provisionally: only weekends (and Sun 1 Jan) off → Mon 23 Jan.
    received = datetime(2090, 1, 2, 2, 0, tzinfo=UTC)
    monkeypatch.setattr("consent.complaints.now", lambda: received)
    filed = await gql(FILE, {"input": {"againstOrganization": against, "text": "Why?"}}, citizen)
    complaint = filed["data"]["fileComplaint"]["complaint"]
    assert complaint["dueAt"] == "2090-01-23T15:59:59.999999+00:00"
    assert complaint["dueProvisional"] is True

    year = {
        "year": 2090,
        "notice": "test: 2090",
        "holidays": [{"name": "元旦", "from": "2090-01-01", "to": "2090-01-01"}],
        "workingDays": ["2090-01-07"],
    }
    clerk = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    refused = await gql(SET_YEAR, {"input": year}, clerk)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    wrong = await gql(SET_YEAR, {"input": {**year, "workingDays": ["2090-01-09"]}}, authority)
    assert wrong["data"]["setCalendarYear"]["userErrors"] == [
        {"field": "workingDays[0]", "code": "WORKING_DAY_INVALID"}
    ]
    assert wrong["data"]["setCalendarYear"]["calendarYear"] is None

    entered = (await gql(SET_YEAR, {"input": year}, authority))["data"]["setCalendarYear"]
    assert entered["userErrors"] == []
    assert entered["calendarYear"] == {"year": 2090, "confirmed": True, "notice": "test: 2090"}
    assert entered["deadlinesMoved"] >= 1 and entered["deadlinesRecomputed"] >= 1
    state = await gql("{ calendarYear(year: 2090) { confirmed notice } }", caller=citizen)
    assert state["data"]["calendarYear"] == {"confirmed": True, "notice": "test: 2090"}

    # The make-up Saturday 7 Jan counts: due three days EARLIER, Fri 20 Jan — with the fact.
    mine = await gql("{ myComplaints(first: 100) { nodes { id dueAt dueProvisional } } }",
                     caller=citizen)  # fmt: skip
    (now_due,) = [n for n in mine["data"]["myComplaints"]["nodes"] if n["id"] == complaint["id"]]
    assert now_due["dueAt"] == "2090-01-20T15:59:59.999999+00:00"
    assert now_due["dueProvisional"] is False
    facts = await gql(
        '{ ledgerEntries(kind: "authority.deadline.recomputed", first: 100) { nodes { body } } }',
        caller=authority,
    )
    bodies = [n["body"] for n in facts["data"]["ledgerEntries"]["nodes"]]
    assert {
        "holder": "consent.complaint", "id": str(from_global_id(complaint["id"])[1]),
        "field": "dueAt", "before": "2090-01-23T15:59:59.999999+00:00",
        "after": "2090-01-20T15:59:59.999999+00:00", "provisional": False, "year": 2090,
    } in bodies  # fmt: skip
