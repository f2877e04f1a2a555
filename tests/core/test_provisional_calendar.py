"""Years without their official arrangement are provisional, never refused (issue 10 §1):
weekends plus the statutory holidays of the 2024 National Annual Holidays Regulations, with
the lunar dates from the `holidays` package; confirmed years are exactly the package's, and the
State Council notices for 2025 and 2026 (tests/data) entered whole give the same days."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from core.calendar import PACKAGE_YEARS, WorkingCalendar, statutory_holidays

CAL = WorkingCalendar()
ARRANGEMENTS = json.loads(
    (Path(__file__).parents[1] / "data" / "cn-holiday-arrangements.json").read_text()
)["years"]

# 2027 per the Regulations as revised in 2024; the lunar dates checked against the Hong Kong
# Observatory's 2027 Gregorian-lunar table (Spring Festival Sat 6 Feb, Dragon Boat Wed 9 Jun,
# Mid-Autumn Wed 15 Sep) and Qingming (solar term) Mon 5 Apr.
STATUTORY_2027 = {
    "New Year's Day (1)": [date(2027, 1, 1)],
    "Spring Festival (4, from New Year's Eve)": [date(2027, 2, 5) + timedelta(i) for i in range(4)],
    "Qingming (1)": [date(2027, 4, 5)],
    "Labour Day (2)": [date(2027, 5, 1), date(2027, 5, 2)],
    "Dragon Boat (1)": [date(2027, 6, 9)],
    "Mid-Autumn (1)": [date(2027, 9, 15)],
    "National Day (3)": [date(2027, 10, 1) + timedelta(i) for i in range(3)],
}


def days_of(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(i) for i in range((date(year + 1, 1, 1) - first).days)]


def test_each_statutory_holiday_of_2027_is_off_and_nothing_else_is_added() -> None:
    expected = {day for days in STATUTORY_2027.values() for day in days}
    assert len(expected) == 13  # 1 + 4 + 1 + 2 + 1 + 1 + 3 days (2024 revision)
    assert statutory_holidays(2027) == expected
    for name, days in STATUTORY_2027.items():
        assert not any(CAL.is_working_day(day) for day in days), name
    for day in days_of(2027):  # weekends off; every other weekday works
        assert CAL.is_working_day(day) is (day.weekday() < 5 and day not in expected), day
    assert not CAL.is_confirmed(2027)


def test_confirmed_years_are_exactly_the_package() -> None:
    for year in PACKAGE_YEARS:
        assert CAL.is_confirmed(year)
        for day in days_of(year):
            assert CAL.is_working_day(day) is chinese_calendar.is_workday(day), day


@pytest.mark.parametrize("year", ["2025", "2026"])
def test_a_notice_entered_whole_equals_the_package(year: str) -> None:
    notice = ARRANGEMENTS[year]
    overrides = {
        date.fromisoformat(h["from"]) + timedelta(i): False
        for h in notice["holidays"]
        for i in range((date.fromisoformat(h["to"]) - date.fromisoformat(h["from"])).days + 1)
    }
    overrides.update({date.fromisoformat(d): True for d in notice["working_days"]})
    entered = WorkingCalendar(overrides, entered_years=[int(year)])
    for day in days_of(int(year)):
        assert entered.is_working_day(day) is chinese_calendar.is_workday(day), day


@pytest.mark.article(27)
def test_a_deadline_says_when_it_counted_a_provisional_year() -> None:
    # Sun 20 Dec 2026 + 15 working days (Art. 27): 21-25, 28-31 Dec (9), Fri 1 Jan off,
    # 4-8 Jan (14), Mon 11 Jan the 15th.
    december = datetime(2026, 12, 20, 2, 0, tzinfo=UTC)
    due = CAL.deadline(december, 15)
    assert due.provisional
    assert due.at == datetime(2027, 1, 11, 15, 59, 59, 999999, tzinfo=UTC)
    assert not CAL.deadline(datetime(2026, 6, 1, 2, 0, tzinfo=UTC), 15).provisional
    # Received on the last day of a confirmed year: only 2027 days are counted.
    assert CAL.deadline(datetime(2026, 12, 31, 2, 0, tzinfo=UTC), 1).provisional
    entered = WorkingCalendar({date(2027, 1, 1): False}, entered_years=[2027])
    assert not entered.deadline(december, 15).provisional
    # Far years are provisional, never refused: received on New Year's Eve 2031 (Wed 22 Jan),
    # the Spring Festival days 23-25 Jan and the weekend are skipped.
    far = CAL.deadline(datetime(2031, 1, 22, 2, 0, tzinfo=UTC), 1)
    assert far.provisional and far.at.date() == date(2031, 1, 27)
