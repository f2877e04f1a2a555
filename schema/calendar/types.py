"""GraphQL for the working-day calendar: the object types."""

from __future__ import annotations

import datetime as dt

import strawberry

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
