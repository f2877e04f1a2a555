"""The mainland-China working-day calendar that statutory deadlines are counted in.

Why: time limits in the Measures are set in working days (工作日), which exclude statutory
holidays (Administrative Licensing Law art. 82) but include the make-up working weekends
(调休上班日) the State Council sets each year, so a plain Mon-Fri count is wrong around every
long holiday.

Sources, in order of precedence:
1. `overrides`, the table the data authority keeps: explicit days, True = working, False = off.
2. The `chinesecalendar` package, which transcribes the State Council's yearly holiday notices
   (国务院办公厅关于部分节假日安排的通知) for `PACKAGE_YEARS`.
3. For a year the package lacks but the overrides mention (at least one entry in that year):
   Mon-Fri. The authority must then enter every holiday and make-up day of that year.
Any other year raises `CalendarNotCoveredError`: a guessed deadline is worse than none.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType

import chinese_calendar

from core.clock import SHANGHAI

# The years the installed package has notices for (2004-2026 in chinesecalendar 1.11).
PACKAGE_YEARS = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)

_ONE_DAY = timedelta(days=1)


class CalendarNotCoveredError(LookupError):
    """No holiday data for `year`: neither the package nor the authority's overrides cover it."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"No working-day calendar for {year}: the chinesecalendar package covers "
            f"{PACKAGE_YEARS.start}-{PACKAGE_YEARS.stop - 1} only, so the data authority must "
            f"enter {year}'s statutory holidays and make-up working days as calendar overrides."
        )


def _civil_date(day: date) -> date:
    """Reject datetimes: their calendar date depends on a time zone the caller did not state."""
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"expected a date, got {type(day).__name__}; use deadline_at for instants")
    return day


class WorkingCalendar:
    """Answers "is this a working day?" and counts working days for deadlines."""

    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        table: dict[date, bool] = {}
        for day, working in (overrides or {}).items():
            if not isinstance(working, bool):
                raise TypeError(f"override for {day} must be a bool, got {working!r}")
            table[_civil_date(day)] = working
        self._overrides: Mapping[date, bool] = MappingProxyType(table)
        self._override_years = frozenset(day.year for day in table)

    @property
    def overrides(self) -> Mapping[date, bool]:
        """The authority's explicit days, read-only."""
        return self._overrides

    def covers(self, year: int) -> bool:
        """True when days of `year` can be answered without raising."""
        return year in PACKAGE_YEARS or year in self._override_years

    def is_working_day(self, day: date) -> bool:
        """True for a working day, including make-up weekends; False for weekends and holidays."""
        day = _civil_date(day)
        if day in self._overrides:
            return self._overrides[day]
        if day.year in PACKAGE_YEARS:
            return chinese_calendar.is_workday(day)
        if day.year in self._override_years:
            return day.weekday() < 5  # the authority listed this year's exceptions
        raise CalendarNotCoveredError(day.year)

    # Art. 15: deadlines count mainland-China working days: holidays off, make-up days on
    def add_working_days(self, received: date, n: int) -> date:
        """The n-th working day strictly after `received`.

        The day of receipt is never counted, even if it is a working day (Civil Code art. 201).
        """
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        day = _civil_date(received)
        left = n
        while left:
            day += _ONE_DAY
            if self.is_working_day(day):
                left -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: 0 when end is not after start.

        Inverse of `add_working_days`: working_days_between(d, add_working_days(d, n)) == n.
        """
        start, end = _civil_date(start), _civil_date(end)
        count = 0
        day = start + _ONE_DAY
        while day <= end:
            if self.is_working_day(day):
                count += 1
            day += _ONE_DAY
        return count

    def deadline_at(self, received_at: datetime, n: int) -> datetime:
        """The last instant of the n-th working day after receipt, as an aware UTC datetime.

        Receipt is dated in Asia/Shanghai civil time, and a period ends at 24:00 of its last day
        (Civil Code art. 203), so the result is that day's 23:59:59.999999 in Shanghai.
        """
        if received_at.tzinfo is None or received_at.utcoffset() is None:
            raise ValueError("received_at must be timezone-aware (UTC), not naive")
        received = received_at.astimezone(SHANGHAI).date()
        last_day = self.add_working_days(received, n)
        return datetime.combine(last_day, time.max, tzinfo=SHANGHAI).astimezone(UTC)
