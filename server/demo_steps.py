"""What every demo seeding module needs: run one use case in its own transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from core.db import AsyncSession, Database
from core.identity import Principal
from core.usecase import run

T = TypeVar("T")


async def step(
    db: Database, work: Callable[[AsyncSession], Awaitable[T]], actor: Principal | None = None
) -> T:
    """One use case, one transaction, as a mutation runs it (`core.usecase.run`): should it be
    refused with an after-rollback step (`broker.Refused`), that step runs with `actor`."""
    return await run(db, actor, lambda session, _actor: work(session))
