"""Reading the working-day table the data authority keeps (see core/calendar.py): the
explicit days, and deadlines counted in working days. Changing it is a ledger fact, so that
use case lives above the ledger, in `authority.calendar`."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from core.calendar import CalendarNotCoveredError, WorkingCalendar
from core.db import AsyncSession
from core.errors import UserError
from core.models import CalendarDay


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


# Art. 15: answer within 5 working days, deliver within 5 more: counted here
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
