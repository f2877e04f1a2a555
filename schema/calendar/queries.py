"""GraphQL for the working-day calendar: the queries."""

from __future__ import annotations

import datetime as dt

import strawberry

from core import workdays
from core.identity import require
from schema.calendar.types import CalendarDay
from schema.context import Info


@strawberry.type
class Query:
    @strawberry.field(description="The authority's explicit days of one year. Needs a token.")
    async def calendar_days(self, info: Info, year: int) -> list[CalendarDay]:
        require(info.context.actor)
        async with info.context.db.read() as session:
            rows = await workdays.calendar_days(session, year)
        return [CalendarDay(day=r.day, working=r.working, note=r.note) for r in rows]

    @strawberry.field(
        description="End of the N-th working day after `receivedAt` (Asia/Shanghai civil days; "
        "make-up weekends count, holidays don't). Needs a token."
    )
    async def working_day_deadline(
        self, info: Info, received_at: dt.datetime, working_days: int
    ) -> dt.datetime:
        require(info.context.actor)
        async with info.context.db.read() as session:
            return await workdays.working_day_deadline(session, received_at, working_days)
