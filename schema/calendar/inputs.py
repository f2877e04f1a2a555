"""GraphQL for the working-day calendar: the input types."""

from __future__ import annotations

import datetime as dt

import strawberry


@strawberry.input
class CalendarDayInput:
    day: dt.date
    working: bool
    note: str = ""


@strawberry.input
class SetCalendarDaysInput:
    days: list[CalendarDayInput]


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
