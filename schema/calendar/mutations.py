"""GraphQL for the working-day calendar: the mutations and their payloads."""

from __future__ import annotations

import strawberry

import authority
from authority import Code
from core.errors import Code as CoreCode
from schema.calendar.inputs import SetCalendarDaysInput, SetCalendarYearInput
from schema.calendar.types import CalendarDay, CalendarYear
from schema.context import Info
from schema.errors import UserErrorType, perform, with_codes


@strawberry.type
class SetCalendarDaysPayload:
    days: list[CalendarDay]
    user_errors: list[UserErrorType]


@strawberry.type
class SetCalendarYearPayload:
    calendar_year: CalendarYear | None
    deadlines_recomputed: int = strawberry.field(
        description="Open provisional deadlines counted again on the entered year."
    )
    deadlines_moved: int = strawberry.field(
        description="Of those, how many changed date (each an authority.deadline.recomputed fact)."
    )
    user_errors: list[UserErrorType]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description=with_codes(
            (
                "Correct single working days; recorded in the ledger. Entering single days "
                "does not confirm a year: enter the whole year with setCalendarYear. Data "
                "authority only."
            ),
            Code.DAYS_REQUIRED,
            Code.TOO_MANY_DAYS,
            Code.DUPLICATE_DAY,
            Code.NOTE_TOO_LONG,
            CoreCode.YEAR_OUT_OF_RANGE,
        )
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

    @strawberry.mutation(
        description=with_codes(
            (
                "Enter a year's official holiday arrangement whole, from the State Council "
                "notice: the holiday ranges off and the make-up working days; every other day"
                " is Mon-Fri. The year becomes confirmed (entering it again replaces its "
                "days), and every open deadline counted on it provisionally (complaints not "
                "resolved, running asset public notices, …) is recomputed in the same "
                "transaction, each moved date a ledger fact. Data authority only."
            ),
            CoreCode.YEAR_OUT_OF_RANGE,
            Code.NOTICE_REQUIRED,
            Code.HOLIDAYS_REQUIRED,
            Code.HOLIDAY_NAME_REQUIRED,
            Code.HOLIDAY_RANGE_INVALID,
            Code.HOLIDAYS_OVERLAP,
            Code.WORKING_DAY_INVALID,
            Code.DUPLICATE_DAY,
        )
    )
    async def set_calendar_year(
        self, info: Info, input: SetCalendarYearInput
    ) -> SetCalendarYearPayload:
        arrangement = authority.YearArrangement(
            year=input.year,
            notice=input.notice,
            holidays=tuple(authority.HolidayRange(h.name, h.from_, h.to) for h in input.holidays),
            working_days=tuple(input.working_days),
        )
        entered, errors = await perform(
            info, lambda session, actor: authority.set_calendar_year(session, actor, arrangement)
        )
        if entered is None:
            return SetCalendarYearPayload(
                calendar_year=None, deadlines_recomputed=0, deadlines_moved=0, user_errors=errors
            )
        row = entered.year
        return SetCalendarYearPayload(
            calendar_year=CalendarYear(
                year=row.year, confirmed=True, notice=row.notice, entered_at=row.set_at
            ),
            deadlines_recomputed=len(entered.recomputed),
            deadlines_moved=sum(item.moved for item in entered.recomputed),
            user_errors=errors,
        )
