"""GraphQL for the working-day calendar statutory deadlines are counted in (Art. 15)."""

from __future__ import annotations

import datetime as dt

import strawberry

import authority
from core import workdays
from core.identity import require
from schema.context import Info
from schema.errors import UserErrorType, perform


@strawberry.type(description="A day the data authority set explicitly.")
class CalendarDay:
    day: dt.date
    working: bool
    note: str


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


@strawberry.input
class CalendarDayInput:
    day: dt.date
    working: bool
    note: str = ""


@strawberry.input
class SetCalendarDaysInput:
    days: list[CalendarDayInput]


@strawberry.type
class SetCalendarDaysPayload:
    days: list[CalendarDay]
    user_errors: list[UserErrorType]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Enter or correct working days (e.g. next year's holiday notice); recorded "
        "in the ledger. Data authority only. userErrors codes: DAYS_REQUIRED, TOO_MANY_DAYS, "
        "DUPLICATE_DAY, NOTE_TOO_LONG."
    )
    async def set_calendar_days(
        self, info: Info, input: SetCalendarDaysInput
    ) -> SetCalendarDaysPayload:
        settings = [authority.DaySetting(d.day, d.working, d.note) for d in input.days]
        rows, errors = await perform(
            info, lambda session, actor: authority.set_calendar_days(session, actor, settings)
        )
        days = [CalendarDay(day=r.day, working=r.working, note=r.note) for r in rows or []]
        return SetCalendarDaysPayload(days=days, user_errors=errors)
