"""Working-day deadlines held by domains, recomputed when the official arrangement of a year
they were counted on provisionally becomes known (issue 10 §1).

A domain that stores such a deadline registers a hook once, at import:

    @deadlines.holder("consent.complaint")
    async def _recompute(session, calendar) -> list[deadlines.Recomputed]: ...

The hook recomputes its OPEN provisional deadlines on `calendar` (the new one), updates its
rows, and returns what it recomputed. `authority.set_calendar_year` runs every hook in the
transaction that enters the year and records each moved date as a ledger fact, so the
authority needs to know no domain, and a new domain plugs in without editing authority/.

A use case that counts such a deadline reads the table with `workdays.load_working_calendar`
before it locks any row: that holds the table still (see `workdays.lock_calendar`), so a
deadline counted while a year is being entered is counted on the entered year.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa

from core import workdays
from core.calendar import WorkingCalendar
from core.db import AsyncSession


@dataclass(frozen=True)
class Recomputed:
    """One open deadline counted again: what holds it, which date, before and after."""

    holder: str  # the registered kind, e.g. "consent.complaint"
    id: uuid.UUID
    field: str  # the API field, e.g. "dueAt"
    before: datetime
    after: datetime
    provisional: bool  # still provisional: it also spans a year not confirmed yet
    subjects: tuple[str, ...] = ()  # data subjects concerned (the ledger stores commitments)
    parties: tuple[uuid.UUID, ...] = ()  # organisations that may read the fact

    @property
    def moved(self) -> bool:
        return self.before != self.after


Hook = Callable[[AsyncSession, WorkingCalendar], Awaitable[list[Recomputed]]]
_HOLDERS: dict[str, Hook] = {}


def holder(kind: str) -> Callable[[Hook], Hook]:
    """Register the hook that recomputes the open provisional deadlines of `kind`."""

    def register(hook: Hook) -> Hook:
        known = _HOLDERS.get(kind, hook)
        if (known.__module__, known.__qualname__) != (hook.__module__, hook.__qualname__):
            raise ValueError(f"deadline holder {kind!r} is registered twice")
        _HOLDERS[kind] = hook
        return hook

    return register


def holders() -> Mapping[str, Hook]:
    """Every registered holder, read-only, by kind."""
    return MappingProxyType(_HOLDERS)


async def recount_due_dates(
    session: AsyncSession,
    calendar: WorkingCalendar,
    *,
    kind: str,
    model: Any,
    still_open: sa.ColumnElement[bool],
    counted_from: Callable[[Any], datetime],
    working_days: Callable[[Any], int],
    parties: Callable[[Any], tuple[uuid.UUID, ...]],
    subjects: Callable[[Any], tuple[str, ...]] = lambda row: (),
) -> list[Recomputed]:
    """The usual hook's work, for a `model` whose deadline is `due_at` / `due_provisional`:
    every row `still_open` with a provisional due date, locked, counted again on `calendar`
    from `counted_from(row)` over `working_days(row)`, updated, and reported."""
    rows = await session.scalars(
        sa.select(model)
        .where(still_open, model.due_provisional)
        .order_by(model.due_at, model.id)
        .with_for_update()
    )
    done = []
    for row in rows:
        due = workdays.deadline_on(calendar, counted_from(row), working_days(row))
        done.append(
            Recomputed(
                holder=kind, id=row.id, field="dueAt", before=row.due_at, after=due.at,
                provisional=due.provisional, subjects=subjects(row), parties=parties(row),
            )
        )  # fmt: skip
        row.due_at, row.due_provisional = due.at, due.provisional
    await session.flush()
    return done
