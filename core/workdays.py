"""Use cases for the working-day table the data authority keeps (see core/calendar.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from core.calendar import CalendarNotCoveredError, WorkingCalendar
from core.clock import now
from core.db import AsyncSession
from core.errors import UserError
from core.identity import Principal, Role, require
from core.models import CalendarDay

MAX_DAYS_PER_CALL = 400


@dataclass(frozen=True)
class DaySetting:
    day: date
    working: bool
    note: str = ""


async def set_calendar_days(
    session: AsyncSession, actor: Principal | None, days: list[DaySetting]
) -> list[CalendarDay]:
    """Enter or correct days, e.g. a new year's State Council holiday notice."""
    actor = require(actor, Role.AUTHORITY)
    if not days:
        raise UserError("DAYS_REQUIRED", "Give at least one day.", "days")
    if len(days) > MAX_DAYS_PER_CALL:
        raise UserError("TOO_MANY_DAYS", f"Give at most {MAX_DAYS_PER_CALL} days per call.", "days")
    if len({d.day for d in days}) != len(days):
        raise UserError("DUPLICATE_DAY", "A day appears twice; give each day once.", "days")
    if any(len(d.note) > 200 for d in days):
        raise UserError("NOTE_TOO_LONG", "A note is longer than 200 characters.", "days")
    existing = {
        row.day: row
        for row in (
            await session.execute(
                sa.select(CalendarDay).where(CalendarDay.day.in_([d.day for d in days]))
            )
        ).scalars()
    }
    rows = []
    for setting in days:
        row = existing.get(setting.day) or CalendarDay(day=setting.day, working=setting.working)
        row.working, row.note = setting.working, setting.note.strip()
        row.set_by_id, row.set_at = actor.organization_id, now()
        session.add(row)
        rows.append(row)
    await session.flush()
    return rows


async def calendar_days(session: AsyncSession, year: int) -> list[CalendarDay]:
    statement = (
        sa.select(CalendarDay)
        .where(CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31)))
        .order_by(CalendarDay.day)
    )
    return list((await session.execute(statement)).scalars())


async def load_working_calendar(session: AsyncSession) -> WorkingCalendar:
    rows = await session.execute(sa.select(CalendarDay.day, CalendarDay.working))
    return WorkingCalendar({day: working for day, working in rows})


async def working_day_deadline(session: AsyncSession, received_at: datetime, days: int) -> datetime:
    """End of the `days`-th working day after receipt, in Asia/Shanghai (e.g. Art. 15)."""
    if not 1 <= days <= 365:
        raise UserError("WORKING_DAYS_INVALID", "Give from 1 to 365 working days.", "workingDays")
    if received_at.tzinfo is None:
        raise UserError(
            "TIME_ZONE_REQUIRED", "Give the time with its UTC offset, e.g. …+08:00.", "receivedAt"
        )
    calendar = await load_working_calendar(session)
    try:
        return calendar.deadline_at(received_at, days)
    except CalendarNotCoveredError as exc:
        raise UserError("CALENDAR_NOT_COVERED", str(exc), "receivedAt") from exc
