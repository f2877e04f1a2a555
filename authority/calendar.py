"""The data authority enters or corrects working days (e.g. a new year's State Council
holiday notice). Every working-day deadline moves with these rows — the Art. 15 reply, the
Art. 25 public notice, the Art. 27 complaint — so each change is recorded in the ledger
with what the day was before. Reading the table stays in `core.workdays`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

import ledger
from core.clock import now
from core.db import AsyncSession
from core.errors import UserError
from core.identity import Principal, Role, require
from core.models import CalendarDay

MAX_DAYS_PER_CALL = 400
MAX_NOTE = 200


@dataclass(frozen=True)
class DaySetting:
    day: date
    working: bool
    note: str = ""


def _check(days: list[DaySetting]) -> None:
    if not days:
        raise UserError("DAYS_REQUIRED", "Give at least one day.", "days")
    if len(days) > MAX_DAYS_PER_CALL:
        raise UserError("TOO_MANY_DAYS", f"Give at most {MAX_DAYS_PER_CALL} days per call.", "days")
    if len({d.day for d in days}) != len(days):
        raise UserError("DUPLICATE_DAY", "A day appears twice; give each day once.", "days")
    if any(len(d.note.strip()) > MAX_NOTE for d in days):
        raise UserError("NOTE_TOO_LONG", f"A note is longer than {MAX_NOTE} characters.", "days")


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
    await ledger.append(session, "authority.calendar.days_set", actor, {"days": changes})
    return rows
