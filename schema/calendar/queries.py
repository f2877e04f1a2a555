"""GraphQL for the working-day calendar: the queries."""

from __future__ import annotations

import datetime as dt

import strawberry

from core import workdays
from core.calendar import PACKAGE_YEARS
from core.identity import require
from schema.calendar.types import CalendarDay, CalendarYear, WorkingDayDeadline
from schema.context import Info


@strawberry.type
class Query:
    @strawberry.field(description="The authority's explicit days of one year. Needs a token.")
    async def calendar_days(self, info: Info, year: int) -> list[CalendarDay]:
        require(info.context.actor)
        async with info.context.db.read() as session:
            rows = await workdays.calendar_days(session, year)
        return [CalendarDay(day=r.day, working=r.working, note=r.note) for r in rows]

    @strawberry.field(description="Is a year confirmed or provisional? Needs a token.")
    async def calendar_year(self, info: Info, year: int) -> CalendarYear:
        require(info.context.actor)
        async with info.context.db.read() as session:
            row = await workdays.calendar_year(session, year)
        return CalendarYear(
            year=year,
            confirmed=row is not None or year in PACKAGE_YEARS,
            notice=row.notice if row else None,
            entered_at=row.set_at if row else None,
        )

    @strawberry.field(
        description="End of the N-th working day after `receivedAt` (Asia/Shanghai civil days; "
        "make-up weekends count, holidays don't), for any year from 1950 to 2100: a year "
        "without its official arrangement gives a provisional date, never a refusal. Needs a "
        "token. Error reasons: WORKING_DAYS_INVALID, TIME_ZONE_REQUIRED, YEAR_OUT_OF_RANGE."
    )
    async def working_day_deadline(
        self, info: Info, received_at: dt.datetime, working_days: int
    ) -> WorkingDayDeadline:
        require(info.context.actor)
        async with info.context.db.read() as session:
            due = await workdays.working_day_deadline(session, received_at, working_days)
        return WorkingDayDeadline(at=due.at, provisional=due.provisional)
