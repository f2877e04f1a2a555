"""Background jobs the server runs while it is up: sign checkpoints, finish registrations.

Each job is idempotent and safe to run in several processes at once, so scaling out needs no
leader election: at worst two processes do the same small check.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import ledger
import registry
from core.clock import now
from core.db import Database
from core.settings import Settings

log = logging.getLogger("pdex.tasks")


async def every(seconds: float, job: Callable[[], Awaitable[object]], name: str) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            await job()
        except Exception:  # keep the loop alive; the next tick retries
            log.exception("background job failed", extra={"job": name})


async def complete_due_registrations(db: Database) -> None:
    """Art. 25: a notice that ended with no open objection ends in registration."""
    async with db.transaction() as session:
        await registry.complete_due_registrations(session, now())


@asynccontextmanager
async def background_jobs(
    db: Database, signer: ledger.Signer, settings: Settings
) -> AsyncIterator[None]:
    jobs = []
    if settings.ledger_checkpoint_interval > 0:
        jobs.append(
            every(
                settings.ledger_checkpoint_interval,
                lambda: ledger.publish_checkpoint(db, signer),
                "checkpoint",
            )
        )
    if settings.registration_sweep_interval > 0:
        jobs.append(
            every(
                settings.registration_sweep_interval,
                lambda: complete_due_registrations(db),
                "registrations",
            )
        )
    tasks = [asyncio.create_task(job) for job in jobs]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
