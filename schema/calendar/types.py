"""GraphQL for the working-day calendar: the object types."""

from __future__ import annotations

import datetime as dt

import strawberry


@strawberry.type(description="A day the data authority set explicitly.")
class CalendarDay:
    day: dt.date
    working: bool
    note: str
