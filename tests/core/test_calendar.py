"""Working-day arithmetic over the mainland-China holiday calendar.

Expected dates follow the State Council's notices on the 2025 and 2026 holiday arrangements and
were checked against chinesecalendar 1.11.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from core.calendar import PACKAGE_YEARS, YEARS, CalendarNotCoveredError, WorkingCalendar

pytestmark = pytest.mark.article(15)

CAL = WorkingCalendar()


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        # National Day + Mid-Autumn 2025: off 1-8 Oct, make-up Sun 28 Sep and Sat 11 Oct.
        (date(2025, 9, 26), date(2025, 10, 10)),  # 28 Sep, 29, 30, 9 Oct, 10 Oct
        (date(2025, 9, 30), date(2025, 10, 14)),  # 9 Oct, 10, Sat 11, 13, 14
        # Spring Festival 2026: off 15-23 Feb, make-up Sat 14 Feb and Sat 28 Feb.
        (date(2026, 2, 12), date(2026, 2, 26)),  # 13 Feb, Sat 14, 24, 25, 26
        (date(2025, 9, 27), date(2025, 10, 10)),  # received on a Saturday: same count
    ],
)
def test_fifth_working_day(received: date, expected: date) -> None:
    assert CAL.add_working_days(received, 5) == expected
    assert CAL.working_days_between(received, expected) == 5


def test_make_up_weekend_counts_and_holiday_does_not() -> None:
    assert CAL.is_working_day(date(2025, 9, 28))  # Sunday, make-up day
    assert CAL.is_working_day(date(2025, 10, 11))  # Saturday, make-up day
    assert not CAL.is_working_day(date(2025, 10, 1))  # National Day, a Wednesday
    assert not CAL.is_working_day(date(2025, 9, 27))  # ordinary Saturday
    assert CAL.add_working_days(date(2025, 9, 26), 1) == date(2025, 9, 28)
    assert CAL.add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)


def test_day_of_receipt_is_not_counted() -> None:
    assert CAL.add_working_days(date(2025, 9, 22), 1) == date(2025, 9, 23)  # Mon -> Tue
    assert CAL.working_days_between(date(2025, 9, 22), date(2025, 9, 22)) == 0
    assert CAL.working_days_between(date(2025, 9, 23), date(2025, 9, 22)) == 0


def test_n_must_be_positive() -> None:
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2025, 9, 26), 0)


def test_datetimes_are_not_dates_here() -> None:
    with pytest.raises(TypeError, match="deadline_at"):
        CAL.is_working_day(datetime(2025, 9, 26, tzinfo=UTC))


def test_package_covers_2004_to_2026() -> None:
    assert (PACKAGE_YEARS.start, PACKAGE_YEARS.stop - 1) == (2004, 2026)


def test_an_absurd_year_raises_with_a_clear_message() -> None:
    for day in (date(1949, 12, 31), date(2101, 1, 1)):
        with pytest.raises(CalendarNotCoveredError) as caught:
            CAL.is_working_day(day)
        assert caught.value.year == day.year
        assert isinstance(caught.value, LookupError)
        assert "1950-2100" in str(caught.value)
    assert (YEARS.start, YEARS.stop - 1) == (1950, 2100)


def test_overrides_correct_a_provisional_year_without_confirming_it() -> None:
    cal = WorkingCalendar({date(2027, 1, 4): False, date(2027, 2, 20): True})
    assert not cal.is_confirmed(2027)
    assert not cal.is_working_day(date(2027, 1, 4))  # listed day off, a Monday
    assert cal.is_working_day(date(2027, 2, 20))  # listed make-up Saturday
    assert not cal.is_working_day(date(2027, 1, 1))  # statutory New Year's Day, unlisted
    assert cal.is_working_day(date(2027, 1, 5))  # unlisted Tuesday
    # Thu 31 Dec 2026 (package) -> Fri 1 Jan off, weekend, Mon 4 Jan listed off -> Tue 5 Jan.
    assert cal.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 5)


def test_a_year_entered_whole_is_mon_fri_plus_its_days() -> None:
    cal = WorkingCalendar({date(2027, 1, 1): False, date(2027, 2, 20): True}, entered_years=[2027])
    assert cal.is_confirmed(2027) and not cal.is_confirmed(2028)
    assert not cal.is_working_day(date(2027, 1, 1))
    assert cal.is_working_day(date(2027, 2, 20))
    assert cal.is_working_day(date(2027, 2, 8))  # a Monday the notice did not list
    assert not cal.is_working_day(date(2027, 1, 9))  # unlisted Saturday
    assert not cal.is_working_day(date(2028, 1, 1))  # 2028 is provisional: statutory day off


def test_an_override_beats_the_package() -> None:
    cal = WorkingCalendar({date(2025, 10, 10): False, date(2025, 10, 8): True})
    assert not cal.is_working_day(date(2025, 10, 10))
    assert cal.is_working_day(date(2025, 10, 8))
    assert CAL.is_working_day(date(2025, 10, 10))  # the default calendar is unaffected


def test_overrides_are_checked_and_read_only() -> None:
    with pytest.raises(TypeError):
        WorkingCalendar({date(2027, 1, 1): "no"})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        WorkingCalendar({datetime(2027, 1, 1): False})
    cal = WorkingCalendar({date(2027, 1, 1): False})
    with pytest.raises(TypeError):
        cal.overrides[date(2027, 1, 2)] = False  # type: ignore[index]


def test_deadline_dates_receipt_in_shanghai() -> None:
    # 17:30 UTC on Thu 25 Sep is 01:30 on Fri 26 Sep in Shanghai.
    deadline = CAL.deadline_at(datetime(2025, 9, 25, 17, 30, tzinfo=UTC), 5)
    assert deadline == datetime(2025, 10, 10, 15, 59, 59, 999999, tzinfo=UTC)
    assert deadline.tzinfo is UTC
    # 15:59 UTC is still 23:59 on Thu 25 Sep in Shanghai: a day earlier.
    earlier = CAL.deadline_at(datetime(2025, 9, 25, 15, 59, tzinfo=UTC), 5)
    assert earlier == datetime(2025, 10, 9, 15, 59, 59, 999999, tzinfo=UTC)


def test_deadline_accepts_any_aware_datetime_and_rejects_naive() -> None:
    shanghai_time = timezone(timedelta(hours=8))
    received = datetime(2026, 2, 12, 9, 0, tzinfo=shanghai_time)
    assert CAL.deadline_at(received, 5) == datetime(2026, 2, 26, 15, 59, 59, 999999, tzinfo=UTC)
    with pytest.raises(ValueError, match="naive"):
        CAL.deadline_at(datetime(2025, 9, 26, 9, 0), 5)
