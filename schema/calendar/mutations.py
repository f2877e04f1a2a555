"""GraphQL for the working-day calendar: the mutations and their payloads."""

from __future__ import annotations

import strawberry

import authority
from schema.calendar.inputs import SetCalendarDaysInput
from schema.calendar.types import CalendarDay
from schema.context import Info
from schema.errors import UserErrorType, perform


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
