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
