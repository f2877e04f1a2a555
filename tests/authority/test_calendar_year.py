"""Entering a year whole (issue 10 §1): the notice's shape in one call, the year confirmed, and
every open deadline counted on it provisionally recomputed once, each move a ledger fact.
Runs on a fresh database, so no other test sees 2027 confirmed."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

import authority
import consent
import registry
from core import deadlines, workdays
from core.calendar import WorkingCalendar
from core.db import Database
from core.errors import AuthError, UserError
from core.identity import Principal, Role
from core.models import CalendarDay, Organization, OrganizationKind
from ledger.models import LedgerEntry
from registry.models import AssetKind, AssetRight, UpdateFrequency

ARRANGEMENTS = json.loads(
    (Path(__file__).parents[1] / "data" / "cn-holiday-arrangements.json").read_text()
)["years"]


def arrangement(year: int, notice: dict) -> authority.YearArrangement:
    return authority.YearArrangement(
        year=year,
        notice=notice["notice"],
        holidays=tuple(
            authority.HolidayRange(
                h["name"], date.fromisoformat(h["from"]), date.fromisoformat(h["to"])
            )
            for h in notice["holidays"]
        ),
        working_days=tuple(date.fromisoformat(d) for d in notice["working_days"]),
    )


# A plausible 2027 notice, built around the statutory days the `holidays` package gives for
# 2027 (Spring Festival: New Year's Eve Fri 5 Feb; 9 days off with two make-up weekend days,
# as in 2026). Not the real notice: that is published in late 2026.
PLAUSIBLE_2027 = {
    "notice": "test: a plausible 2027 arrangement",
    "holidays": [
        {"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"},
        {"name": "春节", "from": "2027-02-05", "to": "2027-02-13"},
        {"name": "清明节", "from": "2027-04-03", "to": "2027-04-05"},
        {"name": "劳动节", "from": "2027-05-01", "to": "2027-05-05"},
        {"name": "端午节", "from": "2027-06-09", "to": "2027-06-09"},
        {"name": "中秋节", "from": "2027-09-15", "to": "2027-09-15"},
        {"name": "国庆节", "from": "2027-10-01", "to": "2027-10-07"},
    ],
    "working_days": [
        "2027-01-31", "2027-02-20", "2027-04-25", "2027-05-08", "2027-09-25", "2027-10-09",
    ],
}  # fmt: skip


def at(day: str) -> datetime:
    """10:00 Shanghai time on `day`."""
    return datetime.fromisoformat(f"{day}T02:00:00+00:00")


def end_of(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T15:59:59.999999+00:00")


async def org(db: Database, kind: OrganizationKind, new_uscc) -> uuid.UUID:
    async with db.transaction() as session:
        row = Organization(kind=kind, name=f"{kind.value} {uuid.uuid4().hex[:6]}", uscc=new_uscc())
        session.add(row)
        await session.flush()
        return row.id


async def recomputed_facts(db: Database) -> list[dict]:
    async with db.read() as session:
        bodies = await session.scalars(
            sa.select(LedgerEntry.body)
            .where(LedgerEntry.kind == "authority.deadline.recomputed")
            .order_by(LedgerEntry.seq)
        )
        return [json.loads(b) if isinstance(b, str) else b for b in bodies]


@pytest.mark.article(27)
@pytest.mark.article(25)
async def test_entering_2027_recomputes_open_provisional_deadlines_once(
    fresh_db, new_uscc, monkeypatch
):
    db = fresh_db
    boss = Principal("officer", await org(db, OrganizationKind.AUTHORITY, new_uscc),
                     frozenset({Role.AUTHORITY}))  # fmt: skip
    firm_id = await org(db, OrganizationKind.MARKET_ENTITY, new_uscc)
    firm = Principal("analyst", firm_id, frozenset({Role.MARKET_ENTITY}))
    citizen = Principal("person-cal", None, frozenset({Role.DATA_SUBJECT}))

    async def file(day: str) -> consent.Complaint:
        monkeypatch.setattr("consent.complaints.now", lambda: at(day))
        async with db.transaction() as session:
            return await consent.file_complaint(
                session, citizen, consent.ComplaintFields(against_id=firm_id, text="Why?")
            )

    async def notice(day: str) -> registry.Asset:
        monkeypatch.setattr("registry.assets.now", lambda: at(day))
        fields = registry.AssetFields(
            kind=AssetKind.DATA_PRODUCT, name=f"Index {day}", scenario="Lending",
            rights=(AssetRight.OPERATION,), update_frequency=UpdateFrequency.MONTHLY,
            sources=(registry.SourceSpec(dataset_name="Loans", dataset_holder="Bank",
                                         legal_basis="Contracts"),),
        )  # fmt: skip
        async with db.transaction() as session:
            asset = await registry.register_asset(session, firm, fields)
            await registry.submit_asset_registration(session, firm, asset.id)
            return await registry.review_asset_registration(
                session, boss, asset.id, accept=True, reason=""
            )

    # Sun 20 Dec 2026 + 15 working days reaches into 2027: provisional, never refused.
    december = await file("2026-12-20")
    assert december.due_provisional and december.due_at == end_of("2027-01-11")
    # Thu 28 Jan 2027: provisionally only New Year's Eve (Fri 5 Feb) and Mon 8 Feb are off.
    spring = await file("2027-01-28")
    assert spring.due_provisional and spring.due_at == end_of("2027-02-22")
    resolved = await file("2027-01-28")
    async with db.transaction() as session:
        await consent.resolve_complaint(session, boss, resolved.id,
                                        outcome=consent.ComplaintOutcome.REJECTED, resolution="No")  # fmt: skip
    asset = await notice("2027-01-28")  # Art. 25: 29 Jan, 1-4 Feb provisionally
    assert asset.notice_ends_provisional and asset.notice_ends_at == end_of("2027-02-04")
    before_2027 = await notice("2026-06-01")  # confirmed: not touched
    assert not before_2027.notice_ends_provisional

    async with db.transaction() as session:
        entered = await authority.set_calendar_year(
            session, boss, arrangement(2027, PLAUSIBLE_2027)
        )
    assert entered.year.year == 2027 and entered.year.notice == PLAUSIBLE_2027["notice"]
    assert {(r.holder, r.id) for r in entered.recomputed} == {
        ("consent.complaint", december.id), ("consent.complaint", spring.id),
        ("registry.asset", asset.id),
    }  # fmt: skip

    async with db.read() as session:
        rows = {c.id: c for c in await session.scalars(sa.select(consent.Complaint))}
        moved_asset = await session.get(registry.Asset, asset.id)
    # Unchanged date (1-3 Jan off anyway), now confirmed: no fact.
    assert rows[december.id].due_at == end_of("2027-01-11")
    assert not rows[december.id].due_provisional
    # Across Spring Festival 2027: off 5-13 Feb, make-up Sun 31 Jan and Sat 20 Feb → Wed 24 Feb.
    assert rows[spring.id].due_at == end_of("2027-02-24")
    assert not rows[spring.id].due_provisional
    assert rows[resolved.id].due_provisional  # resolved: its deadline is history, not recomputed
    # The make-up Sunday 31 Jan counts: the notice ends a day EARLIER, and says so in a fact.
    assert moved_asset.notice_ends_at == end_of("2027-02-03")
    assert not moved_asset.notice_ends_provisional

    facts = await recomputed_facts(db)
    assert sorted(facts, key=lambda f: f["holder"]) == [
        {"holder": "consent.complaint", "id": str(spring.id), "field": "dueAt",
         "before": end_of("2027-02-22").isoformat(), "after": end_of("2027-02-24").isoformat(),
         "provisional": False, "year": 2027},
        {"holder": "registry.asset", "id": str(asset.id), "field": "noticeEndsAt",
         "before": end_of("2027-02-04").isoformat(), "after": end_of("2027-02-03").isoformat(),
         "provisional": False, "year": 2027},
    ]  # fmt: skip

    # Once: entering the year again (a corrected notice) recomputes nothing confirmed.
    async with db.transaction() as session:
        again = await authority.set_calendar_year(session, boss, arrangement(2027, PLAUSIBLE_2027))
    assert again.recomputed == [] and len(await recomputed_facts(db)) == 2
    async with db.read() as session:
        entries = await session.scalars(
            sa.select(LedgerEntry.body).where(LedgerEntry.kind == "authority.calendar.year_set")
        )
        year_facts = [json.loads(b) if isinstance(b, str) else b for b in entries]
    assert [f["noticeBefore"] for f in year_facts] == [None, PLAUSIBLE_2027["notice"]]
    assert year_facts[0]["holidays"][1] == {
        "name": "春节",
        "from": "2027-02-05",
        "to": "2027-02-13",
    }


@pytest.mark.parametrize("year", ["2025", "2026"])
async def test_the_notices_entered_whole_give_the_package_days(fresh_db, new_uscc, year):
    boss = Principal("officer", await org(fresh_db, OrganizationKind.AUTHORITY, new_uscc),
                     frozenset({Role.AUTHORITY}))  # fmt: skip
    async with fresh_db.transaction() as session:
        await authority.set_calendar_year(session, boss, arrangement(int(year), ARRANGEMENTS[year]))
    async with fresh_db.read() as session:
        entered = await workdays.load_working_calendar(session)
    assert entered.is_confirmed(int(year))
    package = WorkingCalendar()
    day = date(int(year), 1, 1)
    while day.year == int(year):
        assert entered.is_working_day(day) is package.is_working_day(day), day
        day = date.fromordinal(day.toordinal() + 1)


async def test_a_year_is_entered_only_whole_and_well_formed(fresh_db, new_uscc):
    boss = Principal("officer", await org(fresh_db, OrganizationKind.AUTHORITY, new_uscc),
                     frozenset({Role.AUTHORITY}))  # fmt: skip
    good = arrangement(2027, PLAUSIBLE_2027)
    H = authority.HolidayRange

    def bad(**changes) -> authority.YearArrangement:
        return authority.YearArrangement(**{**good.__dict__, **changes})

    cases = [
        (bad(year=2101), {"YEAR_OUT_OF_RANGE"}),
        (bad(notice="  "), {"NOTICE_REQUIRED"}),
        (bad(holidays=()), {"HOLIDAYS_REQUIRED"}),
        (bad(holidays=(H("", date(2027, 1, 1), date(2027, 1, 1)),)), {"HOLIDAY_NAME_REQUIRED"}),
        (bad(holidays=(H("x", date(2027, 1, 3), date(2027, 1, 1)),)), {"HOLIDAY_RANGE_INVALID"}),
        (bad(holidays=(H("x", date(2028, 1, 1), date(2028, 1, 2)),)), {"HOLIDAY_RANGE_INVALID"}),
        (bad(holidays=(H("x", date(2027, 1, 1), date(2027, 1, 30)),)), {"HOLIDAY_RANGE_INVALID"}),
        (bad(holidays=(H("a", date(2027, 2, 5), date(2027, 2, 9)),
                       H("b", date(2027, 2, 8), date(2027, 2, 10)))), {"HOLIDAYS_OVERLAP"}),
        (bad(working_days=(date(2027, 2, 1),)), {"WORKING_DAY_INVALID"}),  # a Monday
        (bad(working_days=(date(2027, 2, 6),)), {"WORKING_DAY_INVALID"}),  # inside 春节
        (bad(working_days=(date(2028, 1, 8),)), {"WORKING_DAY_INVALID"}),  # another year
        (bad(working_days=(date(2027, 1, 31),) * 2), {"DUPLICATE_DAY"}),
    ]  # fmt: skip
    for wrong, codes in cases:
        with pytest.raises(UserError) as caught:
            async with fresh_db.transaction() as session:
                await authority.set_calendar_year(session, boss, wrong)
        assert {p.code for p in caught.value.problems} == codes, wrong
    with pytest.raises(AuthError):
        async with fresh_db.transaction() as session:
            clerk = Principal("clerk", boss.organization_id, frozenset({Role.AGENCY}))
            await authority.set_calendar_year(session, clerk, good)
    async with fresh_db.read() as session:
        assert await workdays.calendar_year(session, 2027) is None
        assert not list(await session.scalars(sa.select(CalendarDay)))
        # A single corrected day does not make the year confirmed.
    async with fresh_db.transaction() as session:
        await authority.set_calendar_days(
            session, boss, [authority.DaySetting(date(2027, 1, 4), False)]
        )
    async with fresh_db.read() as session:
        calendar = await workdays.load_working_calendar(session)
    assert not calendar.is_confirmed(2027)


def test_every_domain_deadline_holder_is_registered():
    assert {"consent.complaint", "registry.asset"} <= set(deadlines.holders())
    with pytest.raises(ValueError, match="twice"):

        @deadlines.holder("consent.complaint")
        async def another(session, calendar):  # pragma: no cover
            return []


@pytest.mark.article(27)
async def test_a_deadline_counted_while_the_year_is_entered_is_counted_on_it(
    fresh_db, new_uscc, monkeypatch
):
    """The race: a complaint filed while the authority's entry of 2027 is uncommitted. Without
    the calendar lock it is counted on the provisional 2027, commits after the entry's
    recompute has run, and stays provisional (and a day early) for good."""
    import asyncio

    db = fresh_db
    boss = Principal("officer", await org(db, OrganizationKind.AUTHORITY, new_uscc),
                     frozenset({Role.AUTHORITY}))  # fmt: skip
    firm_id = await org(db, OrganizationKind.MARKET_ENTITY, new_uscc)
    citizen = Principal("person-race", None, frozenset({Role.DATA_SUBJECT}))
    monkeypatch.setattr("consent.complaints.now", lambda: at("2027-01-28"))
    entering = asyncio.Event()

    async def enter_2027() -> None:
        async with db.transaction() as session:
            await authority.set_calendar_year(session, boss, arrangement(2027, PLAUSIBLE_2027))
            entering.set()
            await asyncio.sleep(0.5)  # the complaint is filed meanwhile, if it can be

    async def file() -> consent.Complaint:
        await entering.wait()
        async with db.transaction() as session:
            complaint = await consent.file_complaint(
                session, citizen, consent.ComplaintFields(against_id=firm_id, text="Why?")
            )
        return complaint

    _, complaint = await asyncio.gather(enter_2027(), file())
    async with db.read() as session:
        row = await session.get(consent.Complaint, complaint.id)
    # Across Spring Festival 2027 on the entered year (see the test above), not provisional.
    assert not row.due_provisional
    assert row.due_at == end_of("2027-02-24")
