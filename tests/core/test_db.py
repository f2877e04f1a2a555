"""The engines. On SQLite, statements run on the event loop's thread (no aiosqlite hop),
except one that may wait for another process's lock: the loop must never sleep in it."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa

from core.db import Database


async def thread_running_sql(session) -> int:
    """The id of the thread that runs SQLite's code for this session's statements."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    sqlite = raw.driver_connection._conn  # the sqlite3.Connection under aiosqlite
    sqlite.create_function("thread_id", 0, threading.get_ident)
    return (await session.execute(sa.text("SELECT thread_id()"))).scalar_one()


async def test_sqlite_statements_run_on_the_loop_thread(db, is_postgres):
    if is_postgres:
        pytest.skip("SQLite's engines only")
    loop_thread = threading.get_ident()
    async with db.read() as session:
        assert await thread_running_sql(session) == loop_thread
    async with db.transaction() as session:
        assert await thread_running_sql(session) == loop_thread


async def test_a_writer_waiting_for_another_process_leaves_the_loop_free(
    fresh_db, fresh_settings, is_postgres
):
    if is_postgres:
        pytest.skip("SQLite's engines only")
    path = sa.make_url(fresh_settings.database_url).database
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def write() -> int:
        async with fresh_db.transaction() as session:
            return await thread_running_sql(session)

    ticker = asyncio.create_task(tick())
    writer = asyncio.create_task(write())
    try:
        await asyncio.sleep(0.3)
        assert not writer.done()  # BEGIN IMMEDIATE waits in busy_timeout, off the loop…
        assert ticks >= 10  # …while the loop goes on serving
        other.execute("COMMIT")
        assert await asyncio.wait_for(writer, 10) == threading.get_ident()
    finally:
        ticker.cancel()
        other.close()


async def test_a_reader_sees_each_commit_at_once(fresh_db):
    db = fresh_db
    async with db.transaction() as session:
        await session.execute(sa.text("CREATE TABLE IF NOT EXISTS probe_seen (n INTEGER)"))
    async with db.read() as reader:
        before = (await reader.execute(sa.text("SELECT count(*) FROM probe_seen"))).scalar_one()
        async with db.transaction() as writer:
            await writer.execute(sa.text("INSERT INTO probe_seen VALUES (1)"))
        after = (await reader.execute(sa.text("SELECT count(*) FROM probe_seen"))).scalar_one()
    assert after == before + 1


async def arrival_order(hold: Any) -> list[str]:
    """Who got the connection in which order: a holder has it, a waiter queues for it, and a
    late comer turns up just as the holder lets go (woken before the waiter, as under load).
    `hold(name)`: an async context that holds the one connection while it is open."""
    order: list[str] = []
    release, barge = asyncio.Event(), asyncio.Event()

    async def use(name: str) -> None:
        async with hold(name):
            order.append(name)
            if name == "holder":
                await release.wait()
                barge.set()

    async def late() -> None:
        await barge.wait()
        await use("barger")

    holder = asyncio.create_task(use("holder"))
    await asyncio.sleep(0.05)
    waiter = asyncio.create_task(use("waiter"))
    barger = asyncio.create_task(late())
    await asyncio.sleep(0.05)
    release.set()
    await asyncio.wait_for(asyncio.gather(holder, waiter, barger), 10)
    return order


async def test_sqlite_writers_take_turns_in_arrival_order(fresh_db, is_postgres):
    """A writer that turns up just as the writer connection comes free must queue behind
    the writer already waiting for it. The one-connection pool alone let it barge in (its
    `get` finds the connection back before the woken waiter runs): under 16 clients, a
    230 ms p99 against a 55 ms median."""
    if is_postgres:
        pytest.skip("PostgreSQL has a pool of writers")

    @asynccontextmanager
    async def write(name: str) -> AsyncIterator[None]:
        async with fresh_db.transaction() as session:
            await session.execute(sa.text("SELECT 1"))  # holds the writer connection
            yield

    assert await arrival_order(write) == ["holder", "waiter", "barger"]


async def test_read_statements_hands_its_connection_back_and_drops_a_cancelled_one(
    fresh_db, is_postgres
):
    """PostgreSQL's compiled reads take asyncpg's own connection out of the pool: it goes
    back after a read or an error, opens no transaction, and one cancelled mid-statement is
    closed rather than handed to the next read."""
    if not is_postgres:
        pytest.skip("SQLite's compiled reads use SQLAlchemy's connection")
    pool = fresh_db.reader.sync_engine.pool
    async with fresh_db.read_statements() as connection:
        assert await connection.driver.fetchval("SELECT 1") == 1
        assert not connection.driver.is_in_transaction()
    assert pool.checkedout() == 0
    with pytest.raises(ZeroDivisionError):
        async with fresh_db.read_statements() as connection:
            1 / 0  # noqa: B018
    assert pool.checkedout() == 0 and not connection.driver.is_closed()
    started, drivers = asyncio.Event(), []

    async def slow() -> None:
        async with fresh_db.read_statements() as connection:
            drivers.append(connection.driver)
            started.set()
            await connection.driver.fetchval("SELECT pg_sleep(30)")

    task = asyncio.create_task(slow())
    await started.wait()
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert pool.checkedout() == 0 and drivers[0].is_closed()
    async with fresh_db.read_statements() as connection:
        assert await connection.driver.fetchval("SELECT 2") == 2


async def test_postgres_compiled_reads_take_the_pool_in_arrival_order(settings, is_postgres):
    """A compiled read that turns up just as a connection comes back must queue behind the
    read already waiting for it. The pool's own queue let it barge in (it finds the
    connection back before the woken waiter runs, and the waiter queues again): under 64
    clients on a pool of 10, a 550 ms p99 against a 25 ms median."""
    if not is_postgres:
        pytest.skip("SQLite's writers take turns (the test above); its readers do not wait")
    db = Database(replace(settings, db_pool_size=1))

    @asynccontextmanager
    async def read(name: str) -> AsyncIterator[None]:
        async with db.read_statements() as connection:
            await connection.driver.fetchval("SELECT 1")  # holds the pool's one connection
            yield

    try:
        assert await arrival_order(read) == ["holder", "waiter", "barger"]
    finally:
        await db.dispose()
