"""What every demo seeding module needs: run one use case in its own transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from core.db import AsyncSession, Database

T = TypeVar("T")


async def step(db: Database, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """One use case, one transaction: as a mutation runs it."""
    async with db.transaction() as session:
        return await work(session)
