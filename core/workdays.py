"""Reading the working-day table the data authority keeps (see core/calendar.py): the
explicit days, the years entered whole, and deadlines counted in working days. Changing it is
a ledger fact, so that use case lives above the ledger, in `authority.calendar`."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from core.calendar import YEARS, CalendarNotCoveredError, Deadline, WorkingCalendar
from core.db import AsyncSession, advisory_lock
from core.errors import Code, UserError
from core.models import CalendarDay, CalendarYear

MAX_WORKING_DAYS = 365


def check_year(year: int, field: str = "year") -> None:
    """A year deadlines can be counted in, or a clear user error (not a calendar gap)."""
    if year not in YEARS:
        raise UserError(
            Code.YEAR_OUT_OF_RANGE, f"Give a year from {YEARS.start} to {YEARS.stop - 1}.", field
        )


async def calendar_days(session: AsyncSession, year: int) -> list[CalendarDay]:
    check_year(year)
    statement = (
        sa.select(CalendarDay)
        .where(CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31)))
        .order_by(CalendarDay.day)
    )
    return list((await session.execute(statement)).scalars())


async def calendar_year(session: AsyncSession, year: int) -> CalendarYear | None:
    """The authority's entry of `year`'s arrangement, if it entered it whole."""
    check_year(year)
    return await session.get(CalendarYear, year)


# Any 63-bit number no other lock uses: "pdex.calendar" as ASCII.
CALENDAR_LOCK = int.from_bytes(b"pdexcal", "big")


async def lock_calendar(session: AsyncSession, *, exclusive: bool = False) -> None:
    """Hold the working-day table still until this transaction ends.

    Entering a year takes it exclusively; every transaction that counts a deadline takes it
    shared before reading the table. So a deadline is counted either wholly before the year
    is entered (and its recompute then sees the committed row) or wholly after (on the
    confirmed year): never on a provisional year the entry has just replaced, which nothing
    would recompute again. Take it before any row lock, as entering the year updates the
    rows holding deadlines. SQLite needs nothing: its writers already take turns whole
    (`BEGIN IMMEDIATE`)."""
    await advisory_lock(session, CALENDAR_LOCK, shared=not exclusive)


async def load_working_calendar(session: AsyncSession) -> WorkingCalendar:
    """The table as it stands, held still (shared) until the transaction ends."""
    await lock_calendar(session)
    rows = await session.execute(sa.select(CalendarDay.day, CalendarDay.working))
    years = await session.scalars(sa.select(CalendarYear.year))
    return WorkingCalendar({day: working for day, working in rows}, entered_years=list(years))


# Art. 15: answer within 5 working days, deliver within 5 more: counted here
def deadline_on(calendar: WorkingCalendar, received_at: datetime, days: int) -> Deadline:
    """End of the `days`-th working day after receipt on `calendar`, and its basis."""
    if not 1 <= days <= MAX_WORKING_DAYS:
        raise UserError(
            Code.WORKING_DAYS_INVALID,
            f"Give from 1 to {MAX_WORKING_DAYS} working days.",
            "workingDays",
        )
    if received_at.tzinfo is None:
        raise UserError(
            Code.TIME_ZONE_REQUIRED,
            "Give the time with its UTC offset, e.g. …+08:00.",
            "receivedAt",
        )
    try:
        return calendar.deadline(received_at, days)
    except CalendarNotCoveredError as exc:
        raise UserError(Code.YEAR_OUT_OF_RANGE, str(exc), "receivedAt") from exc


async def working_day_deadline(session: AsyncSession, received_at: datetime, days: int) -> Deadline:
    """End of the `days`-th working day after receipt, in Asia/Shanghai (e.g. Art. 15), and
    whether it was counted on a provisional year. Never refused for a year in 1950-2100."""
    return deadline_on(await load_working_calendar(session), received_at, days)
