"""What the data authority administers that no other domain owns: the working-day table
statutory deadlines are counted in (Art. 15, 25, 27), entered a year at a time from the State
Council notice. Its changes are ledger facts, and entering a year recomputes the open deadlines
every domain registered with `core.deadlines`."""

from authority.calendar import (
    MAX_DAYS_PER_CALL,
    DaySetting,
    HolidayRange,
    YearArrangement,
    YearEntered,
    set_calendar_days,
    set_calendar_year,
)

__all__ = [
    "MAX_DAYS_PER_CALL",
    "DaySetting",
    "HolidayRange",
    "YearArrangement",
    "YearEntered",
    "set_calendar_days",
    "set_calendar_year",
]
