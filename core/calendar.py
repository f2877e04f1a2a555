"""The mainland-China working-day calendar that statutory deadlines are counted in.

Why: time limits in the Measures are set in working days (工作日), which exclude statutory
holidays (Administrative Licensing Law art. 82) but include the make-up working weekends
(调休上班日) the State Council sets each year, so a plain Mon-Fri count is wrong around every
long holiday.

A year is **confirmed** when its official arrangement is known, and **provisional** otherwise.
The calendar never refuses a date in `YEARS`: the law's time limits run whatever our calendar
knows, and a subject who cannot file a complaint (Art. 27) has lost a right.

Sources, in order of precedence, for a day:
1. `overrides`, the table the data authority keeps: explicit days, True = working, False = off
   (a whole year entered from the State Council notice, or single corrections).
2. A year the authority entered whole (`entered_years`): Mon-Fri apart from the overrides.
3. The `chinesecalendar` package, which transcribes the State Council's yearly holiday notices
   (国务院办公厅关于部分节假日安排的通知) for `PACKAGE_YEARS`. Confirmed.
4. Any other year in `YEARS` is provisional: weekends off, plus the statutory holidays of the
   National Annual Holidays Regulations (全国年节及纪念日放假办法, as revised in 2024: New
   Year's Day 1, Spring Festival 4 from New Year's Eve, Qingming 1, Labour Day 2, Dragon Boat 1,
   Mid-Autumn 1, National Day 3) on their actual dates, without the make-up swaps the notice will
   add. The lunar and solar-term dates (Spring Festival, Qingming, Dragon Boat, Mid-Autumn) come
   from the `holidays` package (vacanza/holidays), never typed by hand: it is maintained (monthly
   releases), implements the Chinese lunisolar calendar and the 2024 revision (New Year's Eve
   from 2025), covers 1950-2100, and with `observed=False` yields exactly the statutory days.
   It is pinned (requirements-lock.txt) because a release may add a year's substituted days
   off; the tests pin the 13 statutory days of 2027 that this version gives.
A date outside `YEARS` is an input error (`CalendarNotCoveredError`), not a calendar gap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from types import MappingProxyType

import chinese_calendar
import holidays

from core.clock import SHANGHAI

# The years the installed package has notices for (2004-2026 in chinesecalendar 1.11).
PACKAGE_YEARS = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)
# The years a deadline may be counted in at all (the People's Republic's holiday regulations
# date from 1949; the `holidays` package computes China's from 1950 to 2100).
YEARS = range(holidays.China.start_year, holidays.China.end_year + 1)

_ONE_DAY = timedelta(days=1)


class CalendarNotCoveredError(LookupError):
    """`year` is outside `YEARS`: no sensible deadline is counted there."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"{year} is outside the years deadlines are counted in "
            f"({YEARS.start}-{YEARS.stop - 1}); check the date."
        )


@dataclass(frozen=True)
class Deadline:
    """When a working-day period ends, and whether a day of it was counted on a provisional
    year (one whose official holiday arrangement is not known yet: it may still move)."""

    at: datetime
    provisional: bool


@cache
def statutory_holidays(year: int) -> frozenset[date]:
    """The statutory holidays of `year` on their actual dates (no make-up swaps)."""
    if year not in YEARS:
        raise CalendarNotCoveredError(year)
    return frozenset(holidays.China(years=year, observed=False))


def _civil_date(day: date) -> date:
    """Reject datetimes: their calendar date depends on a time zone the caller did not state."""
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"expected a date, got {type(day).__name__}; use deadline_at for instants")
    return day


class WorkingCalendar:
    """Answers "is this a working day?" and counts working days for deadlines."""

    def __init__(
        self, overrides: Mapping[date, bool] | None = None, entered_years: Iterable[int] = ()
    ) -> None:
        table: dict[date, bool] = {}
        for day, working in (overrides or {}).items():
            if not isinstance(working, bool):
                raise TypeError(f"override for {day} must be a bool, got {working!r}")
            table[_civil_date(day)] = working
        self._overrides: Mapping[date, bool] = MappingProxyType(table)
        self._entered_years = frozenset(entered_years)

    @property
    def overrides(self) -> Mapping[date, bool]:
        """The authority's explicit days, read-only."""
        return self._overrides

    def is_confirmed(self, year: int) -> bool:
        """True when `year`'s official arrangement is known (the package, or entered whole)."""
        return year in self._entered_years or year in PACKAGE_YEARS

    def is_working_day(self, day: date) -> bool:
        """True for a working day, including make-up weekends; False for weekends and holidays."""
        day = _civil_date(day)
        if day.year not in YEARS:
            raise CalendarNotCoveredError(day.year)
        if day in self._overrides:
            return self._overrides[day]
        if day.year in self._entered_years:
            return day.weekday() < 5  # the authority entered this year's exceptions
        if day.year in PACKAGE_YEARS:
            return chinese_calendar.is_workday(day)
        return day.weekday() < 5 and day not in statutory_holidays(day.year)  # provisional

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

    def deadline(self, received_at: datetime, n: int) -> Deadline:
        """The last instant of the n-th working day after receipt, as an aware UTC datetime,
        provisional when a counted day falls in a provisional year.

        Receipt is dated in Asia/Shanghai civil time, and a period ends at 24:00 of its last day
        (Civil Code art. 203), so the result is that day's 23:59:59.999999 in Shanghai.
        """
        if received_at.tzinfo is None or received_at.utcoffset() is None:
            raise ValueError("received_at must be timezone-aware (UTC), not naive")
        received = received_at.astimezone(SHANGHAI).date()
        last_day = self.add_working_days(received, n)
        counted_years = range((received + _ONE_DAY).year, last_day.year + 1)
        return Deadline(
            at=datetime.combine(last_day, time.max, tzinfo=SHANGHAI).astimezone(UTC),
            provisional=not all(self.is_confirmed(year) for year in counted_years),
        )

    def deadline_at(self, received_at: datetime, n: int) -> datetime:
        """`deadline(received_at, n).at`, for callers that do not store the basis."""
        return self.deadline(received_at, n).at
