"""Background jobs the server runs while it is up: sequence stray ledger facts and sign
checkpoints, finish registrations.

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


async def every(
    seconds: float, job: Callable[[], Awaitable[object]], name: str, db: Database
) -> None:
    """Run `job` every `seconds`. While the database cannot be written (a read-only SQLite
    file: /readyz says why) the job waits, logged once; a failure is logged with its
    traceback once, and while the same failure repeats, as one line without it."""
    trouble: str | None = None
    while True:
        await asyncio.sleep(seconds)
        problem = db.storage_problem()
        if problem:
            if trouble != problem:
                log.warning("background job paused", extra={"job": name, "reason": problem})
            trouble = problem
            continue
        try:
            await job()
        except Exception as exc:  # keep the loop alive; the next tick retries
            failure = type(exc).__name__
            if trouble != failure:
                log.exception("background job failed", extra={"job": name})
            else:
                log.warning("background job failed again", extra={"job": name, "error": failure})
            trouble = failure
        else:
            if trouble is not None:
                log.info("background job running again", extra={"job": name})
            trouble = None


async def checkpoint(db: Database, signer: ledger.Signer) -> None:
    """Sign the log as it stands, after sequencing any fact that waits: one whose process
    died between its commit and its batch (`ledger.sequencer`) joins within one interval."""
    await ledger.sequence_pending(db.writer)
    await ledger.publish_checkpoint(db, signer)


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
                lambda: checkpoint(db, signer),
                "checkpoint",
                db,
            )
        )
    if settings.registration_sweep_interval > 0:
        jobs.append(
            every(
                settings.registration_sweep_interval,
                lambda: complete_due_registrations(db),
                "registrations",
                db,
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
