"""GraphQL for the working-day calendar statutory deadlines are counted in (Art. 15)."""

from __future__ import annotations

import datetime as dt

import strawberry

import authority
from core import workdays
from core.calendar import PACKAGE_YEARS
from core.identity import require
from schema.context import Info
from schema.errors import UserErrorType, perform

PROVISIONAL = (
    "True when a day of the period falls in a provisional year: one whose official holiday "
    "arrangement (the State Council notice) is not known yet, so weekends and the statutory "
    "holidays were counted without the notice's make-up swaps. When the data authority enters "
    "that year (setCalendarYear) the date is recomputed once and the move is a ledger fact "
    "(authority.deadline.recomputed)."
)


@strawberry.type(description="A day the data authority set explicitly.")
class CalendarDay:
    day: dt.date
    working: bool
    note: str


@strawberry.type(
    description="Whether a year's working days are confirmed (the official arrangement is "
    "known: the calendar package, or entered whole by the data authority) or provisional."
)
class CalendarYear:
    year: int
    confirmed: bool
    notice: str | None = strawberry.field(
        description="The notice the authority entered the year from; null if it did not."
    )
    entered_at: dt.datetime | None


@strawberry.type(description="When a working-day period ends, and on what basis.")
class WorkingDayDeadline:
    at: dt.datetime = strawberry.field(
        description="The last instant of the period: 24:00 Asia/Shanghai of its last day."
    )
    provisional: bool = strawberry.field(description=PROVISIONAL)


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


@strawberry.input(description="Days off in a row, inclusive, as the notice gives them.")
class HolidayRangeInput:
    name: str
    from_: dt.date = strawberry.field(name="from")
    to: dt.date


@strawberry.input(
    description="One year's holiday arrangement, as the State Council notice gives it."
)
class SetCalendarYearInput:
    year: int
    notice: str = strawberry.field(description="The notice cited, e.g. 国办发明电〔2024〕12号.")
    holidays: list[HolidayRangeInput]
    working_days: list[dt.date] = strawberry.field(
        description="The weekend days worked instead (调休上班)."
    )


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
        description="Correct single working days; recorded in the ledger. Entering single days "
        "does not confirm a year: enter the whole year with setCalendarYear. Data authority "
        "only. userErrors codes: DAYS_REQUIRED, TOO_MANY_DAYS, DUPLICATE_DAY, NOTE_TOO_LONG, "
        "YEAR_OUT_OF_RANGE."
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
        description="Enter a year's official holiday arrangement whole, from the State Council "
        "notice: the holiday ranges off and the make-up working days; every other day is "
        "Mon-Fri. The year becomes confirmed (entering it again replaces its days), and every "
        "open deadline counted on it provisionally (complaints not resolved, running asset "
        "public notices, …) is recomputed in the same transaction, each moved date a ledger "
        "fact. Data authority only. userErrors codes: YEAR_OUT_OF_RANGE, NOTICE_REQUIRED, "
        "HOLIDAYS_REQUIRED, HOLIDAY_NAME_REQUIRED, HOLIDAY_RANGE_INVALID, HOLIDAYS_OVERLAP, "
        "WORKING_DAY_INVALID, DUPLICATE_DAY."
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
