"""What every demo seeding module needs: run one use case in its own transaction, and go on
without a part that needs a year the working-day calendar does not know yet."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from core.db import AsyncSession, Database
from core.errors import UserError
from core.identity import Principal
from core.usecase import run

T = TypeVar("T")
log = logging.getLogger("pdex.demo")


async def step(
    db: Database, work: Callable[[AsyncSession], Awaitable[T]], actor: Principal | None = None
) -> T:
    """One use case, one transaction, as a mutation runs it (`core.usecase.run`): should it be
    refused with an after-rollback step (`broker.Refused`), that step runs with `actor`."""
    return await run(db, actor, lambda session, _actor: work(session))


@asynccontextmanager
async def unless_calendar_missing(part: str) -> AsyncIterator[None]:
    """Leave `part` out (with a warning) when a deadline in it reaches a year the calendar
    package does not cover and the authority has not entered yet (setCalendarDays)."""
    try:
        yield
    except UserError as exc:
        if exc.code != "CALENDAR_NOT_COVERED":
            raise
        log.warning("%s left incomplete: %s", part, exc.problems[0].message)
