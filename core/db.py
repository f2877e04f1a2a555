"""Async engines and sessions for PostgreSQL (production) and SQLite (embedded default).

Two rules from DESIGN.md shape this module:
- a session is short-lived and owned by one piece of work (a DataLoader batch, a connection
  page, one mutation), so no two resolvers ever share one and no pooled connection is held
  while another is checked out;
- SQLite gets exactly one writer connection: writes queue in the pool instead of spinning on
  `database is locked`, and readers use their own connections thanks to WAL. Readers run
  SQLite's code on the event loop's thread (`_InlineSqlite`); the writer on aiosqlite's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite
from sqlalchemy import event, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from core.settings import Settings

__all__ = ["AsyncSession", "Database"]


class _InlineSqlite(aiosqlite.Connection):
    """aiosqlite that runs each call in the event loop's thread instead of handing it to the
    connection's own thread and back (two wake-ups per call, four or more per statement).

    Used for the readers only: a read of a page takes tens of microseconds in SQLite itself,
    less than the hand-offs cost, and WAL readers never wait for a lock. The writer keeps the
    thread, since BEGIN IMMEDIATE may wait up to busy_timeout for another process.
    """

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)


def _inline_connector(path: str) -> Any:
    def connect() -> aiosqlite.Connection:
        connection = _InlineSqlite(
            lambda: sqlite3.connect(path, check_same_thread=False), iter_chunk_size=64
        )
        connection._thread.daemon = True  # as SQLAlchemy's own aiosqlite dialect does
        return connection

    return connect


def _sqlite_engine(url: str, *, pool_size: int, immediate: bool) -> AsyncEngine:
    inline = {} if immediate else {"async_creator": _inline_connector(make_url(url).database)}
    engine = create_async_engine(
        url, pool_size=pool_size, max_overflow=0, pool_timeout=60, pool_pre_ping=False, **inline
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" event below issue BEGIN itself (pysqlite's own
        # transaction handling would defer it and break IMMEDIATE).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        # The writer takes the write lock up front, so a transaction never fails half-way
        # with SQLITE_BUSY when it upgrades from read to write. Readers send no BEGIN: each
        # statement sees the latest commit, as under PostgreSQL's READ COMMITTED, and a read
        # saves two trips to aiosqlite's thread.
        if immediate:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Database:
    """The process's engines. Use `read()` for queries and `transaction()` for changes."""

    def __init__(self, settings: Settings) -> None:
        self.url = settings.database_url
        self.is_sqlite = settings.is_sqlite
        if self.is_sqlite:
            self.writer = _sqlite_engine(self.url, pool_size=1, immediate=True)
            self.reader = _sqlite_engine(
                self.url, pool_size=max(2, settings.db_pool_size // 2), immediate=False
            )
        else:
            self.writer = create_async_engine(
                self.url, pool_size=settings.db_pool_size, max_overflow=settings.db_pool_size
            )
            self.reader = self.writer
        self._read_sessions = async_sessionmaker(
            self.reader, class_=AsyncSession, expire_on_commit=False
        )
        self._write_sessions = async_sessionmaker(
            self.writer, class_=AsyncSession, expire_on_commit=False
        )

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A short read-only session; its connection returns to the pool on exit."""
        async with self._read_sessions() as session:
            yield session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commits on success, rolls back everything on any exception."""
        async with self._write_sessions() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()
