"""The one way a use case runs: in one transaction, as one mutation (or one demo or test
step) does.

A `UserError` rolls the transaction back: nothing the use case wrote survives. Should the
error carry an `after_rollback` step (a refusal supervision must count, `broker.Refused`),
that step runs next with the same database and actor, then the error is raised on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from core.db import AsyncSession, Database
from core.errors import UserError
from core.identity import Principal

T = TypeVar("T")

UseCase = Callable[[AsyncSession, Principal | None], Awaitable[T]]


async def run(db: Database, actor: Principal | None, use_case: UseCase[T]) -> T:
    """`use_case(session, actor)` in one transaction; a refusal's after-rollback step after."""
    try:
        async with db.transaction() as session:
            return await use_case(session, actor)
    except UserError as error:
        if error.after_rollback is not None:
            await error.after_rollback(db, actor)
        raise
