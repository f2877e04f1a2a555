"""Async engines and sessions for PostgreSQL (production) and SQLite (embedded default).

Two rules from DESIGN.md shape this module:
- a session is short-lived and owned by one piece of work (a DataLoader batch, a connection
  page, one mutation), so no two resolvers ever share one and no pooled connection is held
  while another is checked out;
- SQLite gets exactly one writer connection: writes queue in the pool instead of spinning on
  `database is locked`, and readers use their own connections thanks to WAL. SQLite's code
  runs on the event loop's thread (`_InlineSqlite`), except a statement that may wait for
  another process's lock, which goes to aiosqlite's thread.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import sqlite3
import uuid
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

import aiosqlite
from sqlalchemy import event, func, make_url, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import SessionTransaction
from sqlalchemy.util.concurrency import greenlet_spawn
from sqlmodel.ext.asyncio.session import AsyncSession

from core.settings import Settings

__all__ = [
    "AsyncSession",
    "Database",
    "DatabaseUnavailable",
    "DriverConnection",
    "advisory_lock",
    "after_commit",
    "before_commit",
    "dialect_insert",
    "within",
]

DRIVERS = {"postgresql+asyncpg": "postgresql://…", "sqlite+aiosqlite": "sqlite:///…"}
CONNECT_TIMEOUT = 10.0


async def advisory_lock(session: AsyncSession, key: int, *, shared: bool = False) -> None:
    """Take PostgreSQL's advisory lock `key` (any 63-bit number no other lock uses) until
    this transaction ends: for work that must not run twice at once but has no row to lock.
    SQLite needs nothing: its writers already take turns whole (`BEGIN IMMEDIATE`)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    take = func.pg_advisory_xact_lock_shared if shared else func.pg_advisory_xact_lock
    await session.execute(select(take(key)))


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """`INSERT` with the engine's `ON CONFLICT` clauses (both engines spell them alike)."""
    insert = postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
    return insert(table)


_BEFORE_COMMIT = "pdex.db.before_commit"  # session.info keys: the hooks below
_AFTER_COMMIT = "pdex.db.after_commit"


def before_commit(session: AsyncSession, hook: Callable[[], Awaitable[None]]) -> None:
    """Run `hook` in the transaction `Database.transaction` opened, as its last statements
    before the commit. (The ledger queues the transaction's facts there, in one statement.)"""
    session.sync_session.info.setdefault(_BEFORE_COMMIT, []).append(hook)


def after_commit(
    session: AsyncSession, hook: Callable[[], Awaitable[None]], *, first: bool = False
) -> None:
    """Run `hook` once the transaction `Database.transaction` opened has committed and its
    connection has gone back to the pool, before `transaction` returns; not after a rollback.
    Hooks run in the order added; `first` puts this one before those (the ledger's wait for
    the transaction's facts to be sequenced, so that later hooks see their seqs)."""
    hooks = session.sync_session.info.setdefault(_AFTER_COMMIT, [])
    hooks.insert(0, hook) if first else hooks.append(hook)


def within(transaction: SessionTransaction | None, savepoint: SessionTransaction) -> bool:
    """Whether `transaction` (a session's nested transaction when something was recorded in
    it, or None) is `savepoint` or inside it: what a savepoint's rollback takes back."""
    while transaction is not None:
        if transaction is savepoint:
            return True
        transaction = transaction.parent
    return False


@dataclass(frozen=True)
class DriverConnection:
    """A pooled PostgreSQL connection as asyncpg's own (`Database.read_statements`): run a
    statement with `driver.fetch`, after telling `engine`'s `before_cursor_execute` listeners
    (the suite's statement counter) of it."""

    driver: Any  # asyncpg.Connection
    dialect: Dialect
    engine: Engine


class DatabaseUnavailable(Exception):
    """The configured database cannot be used; the message says why in one line, with no
    password in it (the CLI prints it and exits 2)."""


def redact(url: str) -> str:
    """The URL with its password replaced by ***."""
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


def check_url(url: str) -> None:
    """Refuse a URL pdex cannot use before any driver is imported for it."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUnavailable(
            f"PDEX_DATABASE_URL {redact(url)!r} is not a database URL "
            "(expected postgresql://user@host:port/name or sqlite:///path)"
        ) from None
    if parsed.drivername not in DRIVERS:
        raise DatabaseUnavailable(
            f"PDEX_DATABASE_URL uses {parsed.drivername.split('+')[0]!r}: pdex runs on "
            "PostgreSQL (postgresql://…) or SQLite (sqlite:///path)"
        )
    if parsed.drivername.startswith("sqlite") and not parsed.database:
        raise DatabaseUnavailable("PDEX_DATABASE_URL names no SQLite file (sqlite:///path)")


def explain(exc: BaseException, url: str) -> str:
    """One line for a failed first connection: refused, unknown database, refused user, …"""
    parsed = make_url(url)
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    names = {type(e).__name__ for e in chain}
    last = chain[-1]
    if parsed.drivername.startswith("sqlite"):
        return (
            f"cannot open the SQLite database {parsed.database}: {last} "
            "(does its directory exist, and may pdex write there?)"
        )
    if "InvalidCatalogNameError" in names:
        return (
            f"database {parsed.database!r} does not exist on {where} "
            f"(create it: createdb -h {parsed.host} -p {parsed.port or 5432} {parsed.database})"
        )
    if names & {"InvalidAuthorizationSpecificationError", "InvalidPasswordError"}:
        return f"the PostgreSQL server at {where} refused user {parsed.username!r}: {last}"
    if isinstance(last, TimeoutError) or "TimeoutError" in names:
        return f"no answer from the PostgreSQL server at {where} within {CONNECT_TIMEOUT:g} s"
    if isinstance(last, ConnectionRefusedError):
        return f"the PostgreSQL server at {where} refused the connection (is it running there?)"
    if isinstance(last, OSError):
        reason = last.strerror or str(last)
        return f"cannot connect to the PostgreSQL server at {where}: {reason}"
    first_line = (str(last).strip().splitlines() or [""])[0]
    return f"cannot use the database {redact(url)}: {type(last).__name__}: {first_line}"


class _InlineSqlite(aiosqlite.Connection):
    """aiosqlite that runs calls in the event loop's thread instead of handing each to the
    connection's own thread and back (two wake-ups per call, four or more per statement).

    A statement runs in microseconds in SQLite itself, less than the hand-offs cost. Only a
    statement that may wait for another process's lock still goes to the thread, so the loop
    never sleeps in `busy_timeout`: the writer's `BEGIN IMMEDIATE`, and switching the
    journal mode on connect. Once the writer holds the write lock, nothing else it runs
    waits for one (WAL: readers never block it, and commits do not wait for readers).
    """

    MAY_WAIT = ("BEGIN", "PRAGMA JOURNAL_MODE")

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], str) and args[0].lstrip().upper().startswith(self.MAY_WAIT):
            return await super()._execute(fn, *args, **kwargs)
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)


GLOBAL_ID_FUNCTION = "pdex_global_id"  # SQLite has no base64 (PostgreSQL: `encode`)


def global_id(type_name: str, row_id: Any) -> str:
    """SQLite's `pdex_global_id(type, id)` for compiled reads (core.jsonread): the string
    `schema.relay.to_global_id` makes, base64 of `Type:uuid`."""
    value = row_id if isinstance(row_id, uuid.UUID) else uuid.UUID(str(row_id))
    return base64.b64encode(f"{type_name}:{value}".encode()).decode()


def _inline_connector(path: str) -> Any:
    def connect() -> aiosqlite.Connection:
        connection = _InlineSqlite(
            lambda: sqlite3.connect(path, check_same_thread=False), iter_chunk_size=64
        )
        connection._thread.daemon = True  # as SQLAlchemy's own aiosqlite dialect does
        return connection

    return connect


def _sqlite_engine(url: str, *, pool_size: int, immediate: bool) -> AsyncEngine:
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=60,
        pool_pre_ping=False,
        hide_parameters=True,  # no bound values (personal data) in errors or logs
        async_creator=_inline_connector(make_url(url).database),
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
        dbapi_connection.create_function(GLOBAL_ID_FUNCTION, 2, global_id, deterministic=True)

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
        check_url(settings.database_url)
        self.settings = settings  # e.g. for `pdex ledger verify`'s worker processes
        self.url = settings.database_url
        self.is_sqlite = settings.is_sqlite
        if self.is_sqlite:
            self.writer = _sqlite_engine(self.url, pool_size=1, immediate=True)
            self.reader = _sqlite_engine(
                self.url, pool_size=max(2, settings.db_pool_size // 2), immediate=False
            )
        else:
            self.writer = create_async_engine(
                self.url,
                # Every connection kept: an overflow connection is closed when it comes back,
                # so under 16 clients a pool of 10 + 10 overflow reconnected all the time
                # (6.8 % of a profile in asyncpg `connect`; 20 kept: +23 % req/s, BENCHMARKS).
                pool_size=settings.db_pool_size,
                max_overflow=0,
                hide_parameters=True,  # no bound values (personal data) in errors or logs
            )
            self.reader = self.writer
        self._read_sessions = async_sessionmaker(
            self.reader, class_=AsyncSession, expire_on_commit=False
        )
        self._write_sessions = async_sessionmaker(
            self.writer, class_=AsyncSession, expire_on_commit=False
        )
        # asyncio's locks belong to one event loop: each loop gets its own (`_turn`)
        self._turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Any]] = (
            weakref.WeakKeyDictionary()
        )

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A short read-only session; its connection returns to the pool on exit."""
        async with self._read_sessions() as session:
            yield session

    @asynccontextmanager
    async def read_statements(self) -> AsyncIterator[AsyncConnection | DriverConnection]:
        """A pooled connection for reads that are one statement each (compiled reads): no
        transaction around them, so a statement is one round trip on PostgreSQL instead of
        BEGIN, statement, ROLLBACK (under READ COMMITTED a transaction gives a lone statement
        nothing). SQLite's readers send no BEGIN anyway.

        On PostgreSQL, asyncpg's own connection out of the same pool (`DriverConnection`):
        SQLAlchemy's `Connection` around it, its switch to autocommit and back, cost ~150 µs
        of a ~950 µs organisation page (issue 14), and nothing here needs them. Its statements
        never open a transaction, so handing it back (a rollback of none) sends nothing; one
        left mid-statement (cancelled, or its socket gone) is closed, not reused."""
        if self.is_sqlite:
            async with self.reader.connect() as connection:
                yield connection
            return
        async with self._reader_turn():
            pooled = await self.reader.raw_connection()
            driver = pooled.driver_connection
            try:
                yield DriverConnection(driver, self.reader.dialect, self.reader.sync_engine)
            except BaseException as exc:
                if isinstance(exc, asyncio.CancelledError) or driver.is_closed():
                    await greenlet_spawn(pooled.invalidate)
                raise
            finally:
                pooled.close()

    def _reader_turn(self) -> asyncio.Semaphore:
        """PostgreSQL compiled reads take the pool's connections first come, first served.
        The pool's own queue lets a newcomer take a connection that just came back ahead of
        the waiter woken for it, and the waiter queues again at the back: with 64 clients on
        a pool of 10 a 20-row page had p50 25 ms and p99 550 ms (BENCHMARKS, issue 14).
        `asyncio.Semaphore` queues newcomers behind woken waiters (as `_writer_turn`)."""
        return self._turn("read", lambda: asyncio.Semaphore(self.settings.db_pool_size))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commits on success, rolls back everything on any exception.
        `before_commit` hooks run last in it, and `after_commit` hooks after it committed."""
        async with self._writer_turn(), self._write_sessions() as session:
            async with session.begin():
                yield session
                for hook in session.sync_session.info.pop(_BEFORE_COMMIT, ()):
                    await hook()
            hooks = session.sync_session.info.pop(_AFTER_COMMIT, ())
        for hook in hooks:
            await hook()

    def _writer_turn(self) -> AbstractAsyncContextManager[object]:
        """SQLite: in-process writers take turns first come, first served. With the
        one-connection pool alone, a writer that turns up as the connection comes back takes
        it ahead of the waiter just woken for it (statements no longer yield to the loop):
        under 16 clients a 230 ms p99 where the median was 55 ms. `asyncio.Lock` queues
        newcomers behind woken waiters."""
        if not self.is_sqlite:
            return nullcontext()
        return self._turn("write", asyncio.Lock)

    def _turn(self, kind: str, make: Callable[[], Any]) -> Any:
        """The running event loop's queue of `kind`, made on first use."""
        turns = self._turns.setdefault(asyncio.get_running_loop(), {})
        if kind not in turns:
            turns[kind] = make()
        return turns[kind]

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()

    async def probe(self) -> None:
        """Connect once and run `SELECT 1`; raise `DatabaseUnavailable` saying what is wrong."""
        if self.is_sqlite:  # opened here first: a failure in aiosqlite's thread outlives the loop
            try:
                sqlite3.connect(make_url(self.url).database or "").close()
            except sqlite3.Error as exc:
                raise DatabaseUnavailable(explain(exc, self.url)) from exc
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT), self.writer.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:  # every driver's own errors: translated into one line
            raise DatabaseUnavailable(explain(exc, self.url)) from exc

    def storage_problem(self) -> str | None:
        """Why the embedded SQLite file cannot be written (immutable or read-only file or
        directory, read-only mount), or None. Reads still work on such a file, so without
        this check the server looks ready while every write fails."""
        if not self.is_sqlite:
            return None
        path = make_url(self.url).database or ""
        if not path or path == ":memory:" or path.startswith("file:"):
            return None
        directory = os.path.dirname(os.path.abspath(path)) or "."
        for target in (path, path + "-wal", path + "-shm"):
            if os.path.exists(target) and not os.access(target, os.W_OK):
                return f"the SQLite file {target} is read-only (immutable or not writable)"
        if not os.access(directory, os.W_OK):
            return f"the directory {directory} of the SQLite file is read-only"
        return None
