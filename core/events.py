"""Events for subscribers, sent only when the transaction that caused them commits.

A use case calls `await publish(session, audiences, payload)` inside its transaction.
Subscribers (`subscribe(audiences)`) get the payload once the transaction commits; a rollback
tells no one.

- PostgreSQL: `publish` runs `pg_notify` in the caller's transaction. PostgreSQL delivers
  notifications at commit, in commit order, to every listening connection: each app process
  runs `relay(settings)`, which LISTENs and hands them to its local subscribers. So a
  subscriber on any process hears an event from any other.
- SQLite (embedded, one process): the payload waits on the session and is handed to the
  local subscribers in the session's `after_commit` hook (of the outermost transaction).

Subscribers that fall behind lose events rather than hold up writers (bounded queues); the
database stays the source of truth, so a holder that missed one sees the state on its next
query.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session

from core.db import AsyncSession, within
from core.settings import Settings

CHANNEL = "pdex_events"
QUEUE_SIZE = 1000
_PENDING = "pdex.events.pending"
MAX_PAYLOAD = 7000  # bytes; PostgreSQL refuses notifications of 8000 or more

log = logging.getLogger("pdex.events")

Message = dict[str, Any]  # {"audiences": [...], "payload": {...}}

_subscribers: dict[str, set[asyncio.Queue[dict[str, Any]]]] = {}


def deliver(message: Message) -> None:
    """Hand a committed event to this process's subscribers of any of its audiences."""
    queues: set[asyncio.Queue[dict[str, Any]]] = set()
    for audience in message["audiences"]:
        queues.update(_subscribers.get(audience, ()))
    for queue in queues:
        with suppress(asyncio.QueueFull):  # a stalled client: drop, never hold up writers
            queue.put_nowait(message["payload"])


async def publish(session: AsyncSession, audiences: Sequence[str], payload: dict[str, Any]) -> None:
    """Send `payload` to the subscribers of `audiences` once this transaction commits.

    Both engines encode it once, the same way: subscribers get the JSON-decoded payload, and
    one too large for a PostgreSQL notification is refused on SQLite too."""
    text = _encode(audiences, payload)
    if session.bind.dialect.name == "postgresql":
        await session.execute(sa.select(sa.func.pg_notify(CHANNEL, text)))
    else:
        pending = session.sync_session.info.setdefault(_PENDING, [])
        pending.append((session.sync_session.get_nested_transaction(), json.loads(text)))


async def send(engine: AsyncEngine, audiences: Sequence[str], payload: dict[str, Any]) -> None:
    """Send `payload` now, outside any transaction: for an event that can only be made after
    its transaction committed (`core.db.after_commit`), e.g. one that carries a ledger seq."""
    text = _encode(audiences, payload)
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            await connection.execute(sa.select(sa.func.pg_notify(CHANNEL, text)))
            await connection.commit()
    else:
        deliver(json.loads(text))


def _encode(audiences: Sequence[str], payload: dict[str, Any]) -> str:
    text = json.dumps(
        {"audiences": list(audiences), "payload": payload}, separators=(",", ":"), default=str
    )
    if len(text.encode()) > MAX_PAYLOAD:
        raise ValueError("event payload too large for a notification")
    return text


# SQLite's pending events follow PostgreSQL's notifications: sent when the outermost
# transaction commits, dropped when it rolls back; a savepoint (`begin_nested`) that rolls
# back drops only the events published inside it. SQLAlchemy fires `after_commit` and
# `after_rollback` for savepoints too, with the savepoint still the nested transaction.


@sa.event.listens_for(Session, "after_commit")
def _deliver_pending(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the outer one may still fail
        return
    for _savepoint, message in session.info.pop(_PENDING, ()):
        deliver(message)


@sa.event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    savepoint = session.get_nested_transaction()
    if savepoint is None:
        session.info.pop(_PENDING, None)
        return
    pending = session.info.get(_PENDING)
    if pending:
        pending[:] = [(t, m) for t, m in pending if not within(t, savepoint)]


@contextmanager
def subscribed(audiences: Sequence[str]) -> Iterator[asyncio.Queue[dict[str, Any]]]:
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
    for audience in audiences:
        _subscribers.setdefault(audience, set()).add(queue)
    try:
        yield queue
    finally:
        for audience in audiences:
            listeners = _subscribers.get(audience)
            if listeners is not None:
                listeners.discard(queue)
                if not listeners:
                    del _subscribers[audience]


async def subscribe(audiences: Sequence[str]) -> AsyncIterator[dict[str, Any]]:
    """Payloads for any of `audiences`, as their transactions commit, until the caller stops."""
    with subscribed(audiences) as queue:
        while True:
            yield await queue.get()


def subscriber_count(audience: str) -> int:
    return len(_subscribers.get(audience, ()))


def _on_notification(_connection: Any, _pid: int, _channel: str, text: str) -> None:
    try:
        message = json.loads(text)
    except ValueError:
        log.warning("event dropped: not JSON")
        return
    deliver(message)


@contextlib.asynccontextmanager
async def relay(settings: Settings, *, retry_after: float = 1.0) -> AsyncIterator[None]:
    """While open, this process hears every process's events (PostgreSQL; a no-op on SQLite).

    One dedicated connection LISTENs; if it drops, it is re-opened. Events committed while
    it was down are not replayed (subscribers re-read the state, as after any gap)."""
    if settings.is_sqlite:
        yield
        return
    import asyncpg

    dsn = settings.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    listening = asyncio.Event()

    async def keep_listening() -> None:
        while True:
            try:
                connection = await asyncpg.connect(dsn)
                try:
                    await connection.add_listener(CHANNEL, _on_notification)
                    listening.set()
                    while not connection.is_closed():
                        await asyncio.sleep(retry_after)
                finally:
                    listening.clear()
                    with suppress(Exception):
                        await connection.close()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database restarted or is unreachable: try again
                log.warning("event relay lost its connection; retrying", exc_info=True)
            await asyncio.sleep(retry_after)

    task = asyncio.create_task(keep_listening())
    try:
        with suppress(asyncio.TimeoutError):  # start serving even if the database is late
            await asyncio.wait_for(listening.wait(), 10)
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
