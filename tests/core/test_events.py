"""core.events around savepoints, and the same payload shape and size limit on both engines."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from core import events


async def _received(queue: asyncio.Queue, settle: float = 0.2) -> list[dict]:
    await asyncio.sleep(settle)  # PostgreSQL: the relay's LISTEN connection hears it
    got = []
    while not queue.empty():
        got.append(queue.get_nowait())
    return got


@pytest.fixture
def audience() -> str:
    return f"test:{uuid.uuid4()}"


async def test_a_failed_savepoint_keeps_what_was_published_before_it(db, settings, audience):
    async with events.relay(settings):
        with events.subscribed([audience]) as queue:
            with pytest.raises(RuntimeError):
                async with db.transaction() as session:
                    await events.publish(session, [audience], {"n": 1})
                    with pytest.raises(RuntimeError):
                        async with session.begin_nested():
                            await session.execute(sa.select(1))
                            await events.publish(session, [audience], {"n": 2})
                            raise RuntimeError("the savepoint fails")
                    await events.publish(session, [audience], {"n": 3})
                    raise RuntimeError("and then the whole transaction")
            assert await _received(queue) == []  # the outer rollback tells no one
            async with db.transaction() as session:
                await events.publish(session, [audience], {"n": 1})
                with pytest.raises(RuntimeError):
                    async with session.begin_nested():
                        await session.execute(sa.select(1))
                        await events.publish(session, [audience], {"n": 2})
                        raise RuntimeError("the savepoint fails")
                await events.publish(session, [audience], {"n": 3})
            assert await _received(queue) == [{"n": 1}, {"n": 3}]


async def test_a_released_savepoint_does_not_send_before_the_commit(db, settings, audience):
    async with events.relay(settings):
        with events.subscribed([audience]) as queue:
            with pytest.raises(RuntimeError):
                async with db.transaction() as session:
                    await events.publish(session, [audience], {"n": 1})
                    async with session.begin_nested():
                        await events.publish(session, [audience], {"n": 2})
                    assert await _received(queue) == []  # released, not committed
                    raise RuntimeError("rolled back after the savepoint was released")
            assert await _received(queue) == []
            async with db.transaction() as session, session.begin_nested():
                await events.publish(session, [audience], {"n": 2})
            assert await _received(queue) == [{"n": 2}]


async def test_subscribers_get_the_json_shape_on_both_engines(db, settings, audience):
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    consent_id = uuid.uuid4()
    async with events.relay(settings):
        with events.subscribed([audience]) as queue:
            async with db.transaction() as session:
                await events.publish(
                    session, (audience,), {"id": consent_id, "at": at, "items": ("a", "b")}
                )
            assert await _received(queue) == [
                {"id": str(consent_id), "at": str(at), "items": ["a", "b"]}
            ]


async def test_an_oversize_event_is_refused_on_both_engines(db, audience):
    with pytest.raises(ValueError, match="too large"):
        async with db.transaction() as session:
            await events.publish(session, [audience], {"text": "x" * events.MAX_PAYLOAD})
