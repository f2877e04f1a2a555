"""The engines: on SQLite, reads run on the event loop's thread and writes on aiosqlite's."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa


async def thread_running_sql(session) -> int:
    """The id of the thread that runs SQLite's code for this session's statements."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    sqlite = raw.driver_connection._conn  # the sqlite3.Connection under aiosqlite
    sqlite.create_function("thread_id", 0, threading.get_ident)
    return (await session.execute(sa.text("SELECT thread_id()"))).scalar_one()


async def test_sqlite_reads_skip_the_thread_hop_and_writes_keep_it(db, is_postgres):
    if is_postgres:
        pytest.skip("SQLite's engines only")
    loop_thread = threading.get_ident()
    async with db.read() as session:
        assert await thread_running_sql(session) == loop_thread
    async with db.transaction() as session:
        # The writer may wait up to busy_timeout for another process's lock: not on the loop.
        assert await thread_running_sql(session) != loop_thread


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
