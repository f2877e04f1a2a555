"""The data authority enters a year's holiday arrangement whole (the State Council notice:
holiday ranges plus make-up working days), or corrects single days. Every working-day deadline
moves with these rows — the Art. 15 reply, the Art. 25 public notice, the Art. 27 complaint —
so each change is recorded in the ledger with what it was before, and entering a year
recomputes the open deadlines that were counted on it provisionally (`core.deadlines`).
Reading the table stays in `core.workdays`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

import ledger
from authority.errors import Code
from core import deadlines, workdays
from core.clock import now
from core.db import AsyncSession
from core.errors import Problem, UserError
from core.identity import Principal, Role, require
from core.models import CalendarDay, CalendarYear

MAX_DAYS_PER_CALL = 400
MAX_NOTE = 200
MAX_HOLIDAY_NAME = 50
MAX_HOLIDAY_DAYS = 15  # the longest range a notice has set is 9 days (Spring Festival 2026)
MAX_RANGES = 20


@dataclass(frozen=True)
class DaySetting:
    day: date
    working: bool
    note: str = ""


def _check(days: list[DaySetting]) -> None:
    if not days:
        raise UserError(Code.DAYS_REQUIRED, "Give at least one day.", "days")
    if len(days) > MAX_DAYS_PER_CALL:
        raise UserError(
            Code.TOO_MANY_DAYS, f"Give at most {MAX_DAYS_PER_CALL} days per call.", "days"
        )
    if len({d.day for d in days}) != len(days):
        raise UserError(Code.DUPLICATE_DAY, "A day appears twice; give each day once.", "days")
    if any(len(d.note.strip()) > MAX_NOTE for d in days):
        raise UserError(Code.NOTE_TOO_LONG, f"A note is longer than {MAX_NOTE} characters.", "days")
    for d in days:
        workdays.check_year(d.day.year, "days")


# Art. 15: the data authority enters the holiday notice the deadlines are counted in
async def set_calendar_days(
    session: AsyncSession, actor: Principal | None, days: list[DaySetting]
) -> list[CalendarDay]:
    actor = require(actor, Role.AUTHORITY)
    _check(days)
    existing = {
        row.day: row
        for row in (
            await session.execute(
                sa.select(CalendarDay).where(CalendarDay.day.in_([d.day for d in days]))
            )
        ).scalars()
    }
    rows, changes = [], []
    for setting in sorted(days, key=lambda d: d.day):
        row = existing.get(setting.day)
        changes.append(
            {
                "day": setting.day.isoformat(),
                "working": setting.working,
                "note": setting.note.strip(),
                "before": None if row is None else row.working,  # None: the package's value
            }
        )
        row = row or CalendarDay(day=setting.day, working=setting.working)
        row.working, row.note = setting.working, setting.note.strip()
        row.set_by_id, row.set_at = actor.organization_id, now()
        session.add(row)
        rows.append(row)
    await session.flush()
    await ledger.append(session, ledger.Kind.CALENDAR_DAYS_SET, actor, {"days": changes})
    return rows


@dataclass(frozen=True)
class HolidayRange:
    """Days off in a row, as the notice gives them (inclusive), e.g. 春节 2027-02-05..02-11."""

    name: str
    start: date
    end: date

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


@dataclass(frozen=True)
class YearArrangement:
    """A State Council notice on one year's holidays: the ranges off and the weekend days
    worked instead (调休上班). Every other day is Mon-Fri working, weekends off."""

    year: int
    notice: str
    holidays: tuple[HolidayRange, ...]
    working_days: tuple[date, ...]


@dataclass(frozen=True)
class YearEntered:
    year: CalendarYear
    recomputed: list[deadlines.Recomputed]


def _range_problems(arrangement: YearArrangement) -> list[Problem]:
    problems, taken = [], dict[date, int]()
    for i, holiday in enumerate(arrangement.holidays):
        where = f"holidays[{i}]"
        name = holiday.name.strip()
        if not name or len(name) > MAX_HOLIDAY_NAME:
            problems.append(
                Problem(Code.HOLIDAY_NAME_REQUIRED, f"Name the holiday (1-{MAX_HOLIDAY_NAME} "
                        "characters), as the notice does.", f"{where}.name")
            )  # fmt: skip
        length = (holiday.end - holiday.start).days + 1
        in_year = holiday.start.year == arrangement.year or holiday.end.year == arrangement.year
        if not 1 <= length <= MAX_HOLIDAY_DAYS or not in_year:
            problems.append(
                Problem(Code.HOLIDAY_RANGE_INVALID, f"A holiday runs from a day to the same or a "
                        f"later day, at most {MAX_HOLIDAY_DAYS} days, within the year "
                        f"{arrangement.year} (it may begin or end across New Year).", where)
            )  # fmt: skip
            continue
        overlapped = {taken[day] for day in holiday.days() if day in taken}
        if overlapped:
            problems.append(
                Problem(Code.HOLIDAYS_OVERLAP, f"It overlaps holidays[{min(overlapped)}].", where)
            )
        taken.update((day, i) for day in holiday.days())
    for i, day in enumerate(arrangement.working_days):
        if day.year != arrangement.year or day.weekday() < 5 or day in taken:
            problems.append(
                Problem(Code.WORKING_DAY_INVALID, f"A make-up working day is a Saturday or Sunday "
                        f"of {arrangement.year} outside the holidays.", f"workingDays[{i}]")
            )  # fmt: skip
    if len(set(arrangement.working_days)) != len(arrangement.working_days):
        problems.append(Problem(Code.DUPLICATE_DAY, "A working day appears twice.", "workingDays"))
    return problems


def _check_year(arrangement: YearArrangement) -> None:
    workdays.check_year(arrangement.year)
    problems = []
    if not arrangement.notice.strip() or len(arrangement.notice.strip()) > MAX_NOTE:
        problems.append(
            Problem(Code.NOTICE_REQUIRED, f"Cite the notice (1-{MAX_NOTE} characters).", "notice")
        )
    if not arrangement.holidays or len(arrangement.holidays) > MAX_RANGES:
        problems.append(
            Problem(Code.HOLIDAYS_REQUIRED, f"Give the notice's holidays (1-{MAX_RANGES}).",
                    "holidays")
        )  # fmt: skip
    if len(arrangement.working_days) > MAX_RANGES:
        problems.append(
            Problem(Code.WORKING_DAY_INVALID, f"At most {MAX_RANGES} make-up days.", "workingDays")
        )
    problems += _range_problems(arrangement)
    if problems:
        raise UserError.of(problems)


async def _replace_days(
    session: AsyncSession, actor: Principal, arrangement: YearArrangement
) -> list[dict[str, object]]:
    """The year's explicit days become exactly the notice's; returns the days it replaced."""
    year = arrangement.year
    settings = {day: (False, h.name.strip()) for h in arrangement.holidays for day in h.days()}
    settings.update({day: (True, "make-up working day") for day in arrangement.working_days})
    in_year = CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31))
    old = list(
        (
            await session.execute(
                sa.select(CalendarDay).where(sa.or_(in_year, CalendarDay.day.in_(list(settings))))
            )
        ).scalars()
    )
    replaced = [{"day": r.day.isoformat(), "working": r.working, "note": r.note} for r in old]
    for row in old:
        await session.delete(row)
    await session.flush()
    session.add_all(
        CalendarDay(day=day, working=working, note=note, set_by_id=actor.organization_id)
        for day, (working, note) in sorted(settings.items())
    )
    return replaced


# Art. 15: the data authority enters a year's holiday notice whole; deadlines follow it
async def set_calendar_year(
    session: AsyncSession, actor: Principal | None, arrangement: YearArrangement
) -> YearEntered:
    """Enter a year's official arrangement whole: its deadlines become confirmed, and every
    open deadline counted on it provisionally is recomputed once, here, each moved date a
    ledger fact `authority.deadline.recomputed` (a deadline never moves unrecorded)."""
    actor = require(actor, Role.AUTHORITY)
    _check_year(arrangement)
    await workdays.lock_calendar(session, exclusive=True)  # no deadline counted meanwhile
    replaced = await _replace_days(session, actor, arrangement)
    entry = await session.get(CalendarYear, arrangement.year)
    before = None if entry is None else entry.notice
    entry = entry or CalendarYear(year=arrangement.year, notice="")
    entry.notice, entry.set_by_id, entry.set_at = (
        arrangement.notice.strip(),
        actor.organization_id,
        now(),
    )
    session.add(entry)
    await session.flush()
    await ledger.append(
        session,
        ledger.Kind.CALENDAR_YEAR_SET,
        actor,
        {
            "year": arrangement.year,
            "notice": entry.notice,
            "holidays": [
                {"name": h.name.strip(), "from": h.start.isoformat(), "to": h.end.isoformat()}
                for h in arrangement.holidays
            ],
            "workingDays": sorted(day.isoformat() for day in arrangement.working_days),
            "noticeBefore": before,  # None: the year was not entered whole before
            "daysReplaced": replaced,
        },
    )
    return YearEntered(entry, await _recompute(session, actor, arrangement.year))


async def _recompute(
    session: AsyncSession, actor: Principal, year: int
) -> list[deadlines.Recomputed]:
    calendar = await workdays.load_working_calendar(session)
    done = []
    for kind, hook in sorted(deadlines.holders().items()):
        for item in await hook(session, calendar):
            if item.holder != kind:
                raise ValueError(f"the {kind} hook returned a {item.holder} deadline")
            done.append(item)
            if item.moved:
                await ledger.append(
                    session,
                    ledger.Kind.DEADLINE_RECOMPUTED,
                    actor,
                    {
                        "holder": item.holder,
                        "id": str(item.id),
                        "field": item.field,
                        "before": item.before.isoformat(),
                        "after": item.after.isoformat(),
                        "provisional": item.provisional,
                        "year": year,
                    },
                    subjects=item.subjects,
                    parties=item.parties,
                )
    return done
