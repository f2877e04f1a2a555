"""Ledger benchmark: append throughput, proof latency at 100k/1M entries, verify cost.

    .venv/bin/python bench/ledger.py [--quick] [--engines postgres,sqlite] [--output FILE]

In one run, each engine on a fresh migrated database (PostgreSQL: a `pdex_bench_<random>`
database dropped at the end; SQLite: a file in a temporary directory):

1. Appends/s with 1, 4 and 16 concurrent writers, each append its own transaction
   (`async with db.transaction() as s: await ledger.append(s, kind, actor, body)`), entries of
   ~512 bytes of canonical JSON. After each setting `verify_database` must pass. SQLAlchemy
   engine events time every transaction: when it got the head lock (the `FOR UPDATE` select on
   PostgreSQL, `BEGIN IMMEDIATE` on SQLite), how long its statements and its commit took while
   holding it, and how many statements it ran. PostgreSQL only: a 16-writer run with
   `synchronous_commit=off` (diagnostic: the WAL flush's share), a raw-asyncpg floor (the
   least a head-row-locked append can cost), a cProfile of a 16-writer run, and the CPU per
   transaction of each layer (raw driver, SQLAlchemy session, the ledger's own hashing).
2. Inclusion- and consistency-proof latency at 100k and 1M entries (`--quick`: 10k/100k).
   Entries are bulk-loaded, not appended: `canonical_json(entry_document(...))` runs in a
   process pool, the chain and tree (`leaf_hash`, `append_leaf`) in this process, rows go in
   with asyncpg `copy_records_to_table` (SQLite: `executemany`), then `ledger_head` is set.
   Proofs are checked with `merkle.verify_inclusion`/`verify_consistency` against roots taken
   from the loader's own frontier, not from the database.
3. `verify_database` on the large database (µs/entry, CPU), the real `pdex ledger verify` CLI
   once on PostgreSQL, the pure per-entry costs it is made of (fetch, JSON parse, canonical
   JSON, SHA-256, tree), and a cProfile split of a verify of the small size.

Writes the "## Ledger (issue 3)" section of BENCHMARKS.md. Other sections are kept, and so is
a hand-written "### One-off investigations" subsection at the end of ours. The default run
takes ~7.5 min on 2 CPUs, `--quick` ~1 min.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import datetime as dt
import hashlib
import json
import os
import platform
import pstats
import random
import re
import secrets
import shlex
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_HERE = Path(__file__).resolve().parent
# This file is bench/ledger.py: make `import ledger` find the package, not this script.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.orm import Session as SyncSession  # noqa: E402

import ledger  # noqa: E402
from core.db import Database  # noqa: E402
from core.identity import Principal, Role  # noqa: E402
from core.migrate import upgrade  # noqa: E402
from core.settings import load_settings  # noqa: E402
from ledger import merkle  # noqa: E402
from ledger.audit import entry_wire, verify_database  # noqa: E402
from ledger.canonical import GENESIS_PREV, canonical_json, entry_document, format_time  # noqa: E402
from ledger.merkle import append_leaf, leaf_hash, root_from_frontier  # noqa: E402

# sqlmodel's AsyncSession.execute warns on every call; ledger code calls it too, so it stays
# in the measured path, but the message would flood this script's output.
warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"sqlmodel|__main__")

SECTION = "## Ledger (issue 3)"
PG_HOSTPORT = "127.0.0.1:5432"
PG_ADMIN = f"postgresql://postgres@{PG_HOSTPORT}/postgres"
CLK_TCK = os.sysconf("SC_CLK_TCK")
TARGET_DOC_BYTES = 512
KINDS = (
    "registry.asset.registered",
    "sharing.share.granted",
    "consent.consent.granted",
    "broker.flow.recorded",
)
PLACEHOLDER_PREV = "f" * 64
EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
ENTRY_COLUMNS = ["seq", "kind", "actor", "at", "prev", "body", "subjects", "hash"]
NODE_COLUMNS = ["level", "idx", "hash"]
LOAD_CHUNK = 20_000


# --- entries ---------------------------------------------------------------------------------


def make_body(i: int, pad: int) -> dict[str, Any]:
    """A realistic-looking fact: strings and ints only (no floats; money as a string)."""
    return {
        "asset": f"asset-{i:012d}",
        "agency": f"9144070{i % 10**11:011d}",
        "title": f"Jiangmen public dataset {i % 977}",
        "records": (i * 7919) % 1_000_000,
        "bytes": (i * 104_729) % 1_000_000_000,
        "fields": ["id", "name", "district", "updated_at", "status"],
        "price": f"{i % 100_000}.{i % 100:02d}",
        "note": "n" * pad,
    }


def actor_doc(actor: Principal) -> dict[str, Any]:
    """What `ledger.log.actor_document` records for an organisation's principal."""
    return {
        "org": str(actor.organization_id),
        "roles": sorted(r.value for r in actor.roles),
        "sub": actor.subject,
    }


def body_padding(actor: dict[str, Any]) -> int:
    """Padding that makes a whole entry document ~TARGET_DOC_BYTES of canonical JSON."""
    at = format_time(EPOCH)
    doc = entry_document(500_000, KINDS[0], actor, at, GENESIS_PREV, make_body(500_000, 0), [])
    return max(0, TARGET_DOC_BYTES - len(canonical_json(doc)))


def canon_chunk(
    start: int, count: int, actor: dict[str, Any], pad: int
) -> list[tuple[str, str, str, bytes, bytes]]:
    """Process-pool worker: the canonical bytes of entries start..start+count-1, hashed later.

    `prev` is not known yet (it is the previous entry's hash), so the document is canonicalised
    with a placeholder and split around it: (kind, at, body text, bytes before, bytes after).
    In canonical JSON `prev` follows `body` and `kind`, so the last `,"prev":"` is the field.
    """
    out = []
    for seq in range(start, start + count):
        kind = KINDS[seq % len(KINDS)]
        at = format_time(EPOCH + dt.timedelta(milliseconds=seq))
        body = make_body(seq, pad)
        doc = canonical_json(entry_document(seq, kind, actor, at, PLACEHOLDER_PREV, body, []))
        cut = doc.rindex(b',"prev":"') + len(b',"prev":"')
        b0 = doc.index(b',"body":') + len(b',"body":')
        b1 = doc.rindex(b',"kind":"')
        body_text = doc[b0:b1].decode()
        if seq == start:  # the slice is the body's own canonical form
            assert body_text == canonical_json(body).decode()
        out.append((kind, at, body_text, doc[:cut], doc[cut + 64 :]))
    return out


@dataclass
class BulkLoader:
    """Builds the log in memory order and streams rows to sinks; keeps chain and frontier."""

    pool: ProcessPoolExecutor
    actor: dict[str, Any]
    pad: int
    roots_wanted: set[int]
    size: int = 0
    prev: str = GENESIS_PREV
    frontier: list[bytes] = field(default_factory=list)
    roots: dict[int, bytes] = field(default_factory=dict)
    nodes: int = 0
    hash_seconds: float = 0.0  # leaf_hash + append_leaf in this process
    sample_docs: list[bytes] = field(default_factory=list)  # for the pure-hashing measurement

    async def extend(
        self, target: int, sinks: list[Callable[[list[tuple], list[tuple]], Awaitable[None]]]
    ) -> None:
        loop = asyncio.get_running_loop()
        actor_text = canonical_json(self.actor).decode()
        starts = iter(range(self.size, target, LOAD_CHUNK))
        pending: deque[tuple[int, asyncio.Future]] = deque()

        def submit() -> None:
            start = next(starts, None)
            if start is not None:
                count = min(LOAD_CHUNK, target - start)
                fut = loop.run_in_executor(
                    self.pool, canon_chunk, start, count, self.actor, self.pad
                )
                pending.append((start, fut))

        for _ in range(2 * (self.pool._max_workers or 1) + 1):
            submit()
        while pending:
            start, fut = pending.popleft()
            parts = await fut
            submit()
            assert start == self.size
            t0 = time.perf_counter()
            entries, nodes = [], []
            frontier, prev, seq = self.frontier, self.prev, self.size
            for kind, at, body_text, head, tail in parts:
                doc = head + prev.encode() + tail
                digest = leaf_hash(doc)
                frontier, created = append_leaf(frontier, seq, digest)
                nodes.extend(created)
                digest_hex = digest.hex()
                entries.append((seq, kind, actor_text, at, prev, body_text, "[]", digest_hex))
                if seq % 9973 == 0:  # the spliced bytes are the real canonical document
                    real = entry_document(
                        seq, kind, self.actor, at, prev, json.loads(body_text), []
                    )
                    assert canonical_json(real) == doc, f"canonical mismatch at {seq}"
                if len(self.sample_docs) < 100_000:
                    self.sample_docs.append(doc)
                prev = digest_hex
                seq += 1
                if seq in self.roots_wanted:
                    self.roots[seq] = root_from_frontier(frontier)
            self.hash_seconds += time.perf_counter() - t0
            self.frontier, self.prev, self.size = frontier, prev, seq
            self.nodes += len(nodes)
            for sink in sinks:
                await sink(entries, nodes)

    @property
    def head(self) -> tuple[int, str, str]:
        return self.size, self.prev, json.dumps([h.hex() for h in self.frontier])


class PgSink:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.conn: asyncpg.Connection | None = None
        self.seconds = 0.0

    async def __call__(self, entries: list[tuple], nodes: list[tuple]) -> None:
        if self.conn is None:
            self.conn = await asyncpg.connect(self.dsn)
        t0 = time.perf_counter()
        await self.conn.copy_records_to_table(
            "ledger_entry", records=entries, columns=ENTRY_COLUMNS
        )
        await self.conn.copy_records_to_table("ledger_node", records=nodes, columns=NODE_COLUMNS)
        self.seconds += time.perf_counter() - t0

    async def finish(self, head: tuple[int, str, str]) -> None:
        assert self.conn is not None
        t0 = time.perf_counter()
        await self.conn.execute(
            "UPDATE ledger_head SET size = $1, last_hash = $2, frontier = $3 WHERE id = 1", *head
        )
        await self.conn.execute("ANALYZE ledger_entry")
        await self.conn.execute("ANALYZE ledger_node")
        self.seconds += time.perf_counter() - t0

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()
            self.conn = None


class SqliteSink:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn: sqlite3.Connection | None = None
        self.seconds = 0.0

    async def __call__(self, entries: list[tuple], nodes: list[tuple]) -> None:
        if self.conn is None:
            self.conn = sqlite3.connect(self.path, isolation_level=None)
            self.conn.execute("PRAGMA busy_timeout=30000")
            self.conn.execute("PRAGMA synchronous=NORMAL")
        t0 = time.perf_counter()
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        c.executemany(
            f"INSERT INTO ledger_entry ({','.join(ENTRY_COLUMNS)}) VALUES (?,?,?,?,?,?,?,?)",
            entries,
        )
        c.executemany("INSERT INTO ledger_node (level, idx, hash) VALUES (?,?,?)", nodes)
        c.execute("COMMIT")
        self.seconds += time.perf_counter() - t0

    async def finish(self, head: tuple[int, str, str]) -> None:
        assert self.conn is not None
        t0 = time.perf_counter()
        self.conn.execute(
            "UPDATE ledger_head SET size = ?, last_hash = ?, frontier = ? WHERE id = 1", head
        )
        self.conn.execute("ANALYZE")
        self.seconds += time.perf_counter() - t0

    async def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# --- small helpers ---------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def system_busy_seconds() -> float:
    """CPU seconds all CPUs spent busy since boot (user+nice+system+irq+softirq+steal)."""
    with open("/proc/stat") as f:
        fields = f.readline().split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def postgres_cpu_seconds() -> float:
    """utime + stime of every live `postgres` process (server and backends), from /proc."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        comm, rest = raw.split(" (", 1)[1].rsplit(") ", 1)
        if comm == "postgres":
            fields = rest.split()
            total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


@contextlib.contextmanager
def cpu_window(out: dict[str, float]):
    """Wall; CPU of this process, of PostgreSQL, and of everything else, over the block."""
    w0, p0, s0, g0 = (
        time.perf_counter(),
        time.process_time(),
        system_busy_seconds(),
        postgres_cpu_seconds(),
    )
    yield out
    out["wall"] = time.perf_counter() - w0
    out["cpu"] = time.process_time() - p0
    out["pg"] = max(0.0, postgres_cpu_seconds() - g0)
    out["rest"] = max(0.0, system_busy_seconds() - s0 - out["cpu"] - out["pg"])


def classify(file: str, name: str) -> str:
    """Bucket a cProfile row (by its own time) into where the time goes."""
    text = f"{file} {name}"
    if "epoll" in text or "select.poll" in text or "'poll' of" in text:
        return "idle: waiting in epoll (DB, fsync, lock waits)"
    if "_socket.socket" in text:
        return "socket send/recv syscalls (loopback TCP: kernel work)"
    if "sqlalchemy" in file or "sqlmodel" in file:
        return "SQLAlchemy / SQLModel"
    if "asyncpg" in text:
        return "asyncpg driver"
    if "aiosqlite" in file or "sqlite3" in text:
        return "aiosqlite / sqlite3"
    if "rfc8785" in file or file.endswith("ledger/canonical.py"):
        return "canonical JSON (rfc8785 + float check)"
    if "json" in file or "_json" in name or "json." in name:
        return "json.loads/dumps"
    if "sha256" in name or "hashlib" in text:
        return "SHA-256"
    if "greenlet" in text:
        return "greenlet (async/sync bridge)"
    if "asyncio" in file or "selectors" in file:
        return "asyncio event loop"
    if "/ledger/" in file:
        return "ledger (other pdex code)"
    return "other"


def profile_split(profile: cProfile.Profile) -> list[tuple[str, float]]:
    """Own time per bucket. A C built-in (`isinstance`, `str.encode`, …) has no file, so its
    time goes to the bucket of whoever called it (epoll and socket calls keep their own)."""
    stats = pstats.Stats(profile)
    buckets: dict[str, float] = {}

    def add(key: str, seconds: float) -> None:
        buckets[key] = buckets.get(key, 0.0) + seconds

    for (file, _line, name), (_cc, _nc, tottime, _ct, callers) in stats.stats.items():  # type: ignore[attr-defined]
        key = classify(file, name)
        if file != "~" or key != "other" or not callers:
            add(key, tottime)
            continue
        for (cfile, _cline, cname), caller_stats in callers.items():
            add(classify(cfile, cname), caller_stats[2])  # this callee's own time from that caller
    return sorted(buckets.items(), key=lambda kv: -kv[1])


def top_functions(profile: cProfile.Profile, n: int = 8) -> list[tuple[str, float, int]]:
    stats = pstats.Stats(profile)
    rows = []
    for (file, line, name), (_cc, nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        short = file.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
        rows.append((f"{short}:{line}({name})", tottime, nc))
    rows.sort(key=lambda r: -r[1])
    return [r for r in rows if "epoll" not in r[0]][:n]


# --- databases -------------------------------------------------------------------------------


async def pg_create() -> str:
    name = f"pdex_bench_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def pg_drop(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def pg_dsn(name: str) -> str:
    return f"postgresql://postgres@{PG_HOSTPORT}/{name}"


async def open_db(url: str) -> Database:
    db = Database(replace(load_settings(), database_url=url, db_pool_size=20))
    return db


# --- 1. appends ------------------------------------------------------------------------------


@dataclass
class TxnRecord:
    statements: int = 0
    t_exec: float = 0.0
    t_lock: float | None = None  # the head lock is ours from here
    db_under_lock: float = 0.0  # statements run while holding it (commit excluded)
    t_commit: float | None = None  # COMMIT about to be sent
    t_committed: float | None = None  # COMMIT returned (the lock is released)


class Probe:
    """Times each write transaction from SQLAlchemy events (no change to ledger code).

    The record lives in the pooled connection's `info` while the transaction runs; the writer
    coroutine copies its reference into the session's `info`, where the session's
    `after_commit` finds it. The head lock is ours once the `SELECT … FOR UPDATE` on
    `ledger_head` returns (PostgreSQL) or once `BEGIN IMMEDIATE` returns on the single writer
    connection (SQLite); it is released by the commit.
    """

    _session_hook = False

    def __init__(self, db: Database) -> None:
        self.sqlite = db.is_sqlite
        sync = db.writer.sync_engine
        event.listen(sync, "before_cursor_execute", self.before)
        event.listen(sync, "after_cursor_execute", self.after)
        event.listen(sync, "commit", self.on_commit)
        event.listen(sync, "rollback", self.on_rollback)
        # Registered after core.db's own "begin" listener, i.e. after BEGIN IMMEDIATE on SQLite.
        event.listen(sync, "begin", self.on_begin)
        if not Probe._session_hook:
            event.listen(SyncSession, "after_commit", Probe.after_session_commit)
            Probe._session_hook = True

    @staticmethod
    def record(conn: Any) -> TxnRecord:
        rec = conn.info.get("bench_txn")
        if rec is None:
            rec = conn.info["bench_txn"] = TxnRecord()
        return rec

    def before(self, conn, cursor, statement, params, context, executemany) -> None:  # type: ignore[no-untyped-def]
        rec = self.record(conn)
        rec.statements += 1
        rec.t_exec = time.perf_counter()

    def after(self, conn, cursor, statement, params, context, executemany) -> None:  # type: ignore[no-untyped-def]
        rec = self.record(conn)
        now = time.perf_counter()
        if rec.t_lock is not None:
            rec.db_under_lock += now - rec.t_exec
        elif not self.sqlite and "FOR UPDATE" in statement and "ledger_head" in statement:
            rec.t_lock = now

    def on_begin(self, conn) -> None:  # type: ignore[no-untyped-def]
        rec = conn.info["bench_txn"] = TxnRecord()
        if self.sqlite:
            rec.statements, rec.t_lock = 1, time.perf_counter()

    def on_rollback(self, conn) -> None:  # type: ignore[no-untyped-def]
        conn.info.pop("bench_txn", None)

    def on_commit(self, conn) -> None:  # type: ignore[no-untyped-def]
        rec = conn.info.pop("bench_txn", None)
        if rec is not None:
            rec.t_commit = time.perf_counter()

    @staticmethod
    def after_session_commit(session) -> None:  # type: ignore[no-untyped-def]
        rec = session.info.pop("bench_rec", None)
        if rec is not None:
            rec.t_committed = time.perf_counter()


@dataclass
class AppendRun:
    engine: str
    writers: int
    appends: int
    wall: float
    cpu: dict[str, float]
    latencies: list[float]
    records: list[TxnRecord]
    verify_seconds: float
    verified_entries: int
    label: str = ""

    @property
    def rate(self) -> float:
        return self.appends / self.wall

    @property
    def timed(self) -> list[TxnRecord]:
        return [
            r
            for r in self.records
            if r.t_lock is not None and r.t_commit is not None and r.t_committed is not None
        ]

    def holds(self) -> dict[str, float]:
        """Mean ms the head lock was held, split into SQL, COMMIT and Python in between, and
        the mean gap from one holder's commit to the next holder getting the lock."""
        recs = sorted(self.timed, key=lambda r: r.t_lock)  # type: ignore[arg-type, return-value]
        hold = [r.t_committed - r.t_lock for r in recs]  # type: ignore[operator]
        sql = [r.db_under_lock for r in recs]
        commit = [r.t_committed - r.t_commit for r in recs]  # type: ignore[operator]
        gaps = [b.t_lock - a.t_committed for a, b in zip(recs, recs[1:], strict=False)]  # type: ignore[operator]
        return {
            "hold": mean(hold) * 1e3,
            "sql": mean(sql) * 1e3,
            "commit": mean(commit) * 1e3,
            "python": (mean(hold) - mean(sql) - mean(commit)) * 1e3,
            "gap": mean(gaps) * 1e3,
            "busy": sum(hold) / self.wall,
            "statements": mean([float(r.statements) for r in recs]),
            "n": len(recs),
        }


async def run_appends(
    db: Database,
    probe: Probe | None,
    engine: str,
    writers: int,
    total: int,
    seq0: int,
    pad: int,
    *,
    verify: bool = True,
    label: str = "",
) -> AppendRun:
    latencies: list[float] = []
    records: list[TxnRecord] = []
    per_writer = total // writers

    async def writer(w: int) -> None:
        actor = Principal(f"bench-writer-{w}", uuid.UUID(int=w + 1), frozenset({Role.AGENCY}))
        for i in range(per_writer):
            n = seq0 + w * per_writer + i
            body = make_body(n, pad)
            t0 = time.perf_counter()
            async with db.transaction() as session:
                await ledger.append(session, KINDS[n % len(KINDS)], actor, body)
                if probe is not None:
                    rec = (await session.connection()).info.get("bench_txn")
                    if rec is not None:
                        session.info["bench_rec"] = rec
                        records.append(rec)
            latencies.append(time.perf_counter() - t0)

    cpu: dict[str, float] = {}
    with cpu_window(cpu):
        await asyncio.gather(*(writer(w) for w in range(writers)))
    verify_seconds, entries = 0.0, -1
    if verify:
        t0 = time.perf_counter()
        report = await verify_database(db)
        verify_seconds = time.perf_counter() - t0
        assert report.ok, report.problems[:3]
        entries = report.entries
    return AppendRun(
        engine,
        writers,
        per_writer * writers,
        cpu["wall"],
        cpu,
        latencies,
        records,
        verify_seconds,
        entries,
        label,
    )


async def warm_up(db: Database, pad: int, seq0: int, n: int = 48) -> None:
    """Fill the pool and prepared-statement caches (these entries stay in the log)."""
    await run_appends(db, None, "", 16, n, seq0, pad, verify=False)


FLOOR_WRITE = """
WITH entry AS (
  INSERT INTO floor_entry (seq, body, h) VALUES ($1, $2, $3)
), node AS (
  INSERT INTO floor_node (level, idx, hash)
  SELECT * FROM unnest($4::smallint[], $5::bigint[], $6::bytea[])
), party AS (
  INSERT INTO floor_party (party, seq) VALUES ($7, $1)
)
UPDATE floor_head SET size = $1 + 1, h = $3 WHERE id = 1
"""


async def pg_floor(dsn: str, writers: int, total: int, *, sync_commit: bool) -> dict[str, float]:
    """Raw asyncpg, no ORM, no hashing: the least a head-row-locked append can cost.

    BEGIN; SELECT size FROM head FOR UPDATE; one statement inserting the entry (~512 B), two
    tree nodes and a party row and updating the head; COMMIT: 4 round trips, one WAL flush.
    """
    conns = [await asyncpg.connect(dsn) for _ in range(writers)]
    try:
        await conns[0].execute(
            "CREATE TABLE IF NOT EXISTS floor_head (id int PRIMARY KEY, size bigint, h text);"
            "CREATE TABLE IF NOT EXISTS floor_entry (seq bigint PRIMARY KEY, body text, h text);"
            "CREATE TABLE IF NOT EXISTS floor_party (party text, seq bigint,"
            " PRIMARY KEY (party, seq));"
            "CREATE TABLE IF NOT EXISTS floor_node (level smallint, idx bigint, hash bytea,"
            " PRIMARY KEY (level, idx));"
            "TRUNCATE floor_head, floor_entry, floor_party, floor_node;"
            "INSERT INTO floor_head VALUES (1, 0, '')"
        )
        if not sync_commit:
            for c in conns:
                await c.execute("SET synchronous_commit = off")
        payload = "x" * 400
        per = total // writers
        lat: list[float] = []

        async def work(c: asyncpg.Connection) -> None:
            for _ in range(per):
                t0 = time.perf_counter()
                async with c.transaction():
                    size = await c.fetchval("SELECT size FROM floor_head WHERE id = 1 FOR UPDATE")
                    await c.execute(
                        FLOOR_WRITE,
                        size,
                        payload,
                        "h" * 64,
                        [0, 1],
                        [size, size + 10**12],
                        [b"\x00" * 32, b"\x01" * 32],
                        f"org:{size % 16}",
                    )
                lat.append(time.perf_counter() - t0)

        cpu: dict[str, float] = {}
        with cpu_window(cpu):
            await asyncio.gather(*(work(c) for c in conns))
        return {
            "rate": per * writers / cpu["wall"],
            "p50": pct(lat, 0.5),
            "p99": pct(lat, 0.99),
            "cpu_us": cpu["cpu"] / (per * writers) * 1e6,
            **{f"cpu_{k}": v / cpu["wall"] for k, v in cpu.items() if k != "wall"},
        }
    finally:
        for c in conns:
            await c.close()


async def cpu_parts(
    db: Database, dsn: str, pad: int, seq0: int, n: int
) -> tuple[list[tuple[str, float, float]], int]:
    """One writer, one after another: CPU and wall per transaction of an append and of its
    parts, so the Python cost of each layer can be told apart."""
    actor = Principal("bench-parts", uuid.UUID(int=99), frozenset({Role.AGENCY}))
    adoc = actor_doc(actor)
    body = make_body(seq0, pad)
    conn = await asyncpg.connect(dsn)
    lock_sql = "SELECT size FROM ledger_head WHERE id = 1 FOR UPDATE"

    async def raw(_i: int) -> None:
        async with conn.transaction():
            await conn.fetchval(lock_sql)
            await conn.fetchval("SELECT 1")

    async def session_two(_i: int) -> None:
        async with db.transaction() as s:
            await s.execute(sa.text(lock_sql))
            await s.execute(sa.text("SELECT 1"))

    frontier = [bytes(32)] * 3

    async def pure(i: int) -> None:
        canonical_json(body)  # the check before the lock
        doc = entry_document(
            7, KINDS[0], adoc, format_time(dt.datetime.now(dt.UTC)), GENESIS_PREV, body, []
        )
        append_leaf(frontier, 7, leaf_hash(canonical_json(doc)))
        canonical_json(adoc), canonical_json(body), canonical_json([])  # the stored columns

    async def append(i: int) -> None:
        async with db.transaction() as s:
            await ledger.append(s, KINDS[i % len(KINDS)], actor, body)

    rows = [
        ("raw asyncpg: BEGIN; SELECT … FOR UPDATE; SELECT 1; COMMIT", raw),
        ("`db.transaction()` + the same 2 statements via `session.execute(text(…))`", session_two),
        (
            "the ledger's own Python work, approx. (canonical_json of body ×2, actor and "
            "document; leaf_hash; append_leaf), no database",
            pure,
        ),
        ("`ledger.append` in `db.transaction()` (all of the above and more)", append),
    ]
    out = []
    try:
        for _label, fn in rows:  # warm-up
            for i in range(20):
                await fn(i)
        for label, fn in rows:
            c0, w0 = time.process_time(), time.perf_counter()
            for i in range(n):
                await fn(i)
            cpu, wall = time.process_time() - c0, time.perf_counter() - w0
            out.append((label, cpu / n * 1e6, wall / n * 1e6))
    finally:
        await conn.close()
    return out, 20 + n


async def profile_appends(db: Database, writers: int, total: int, seq0: int, pad: int):
    profile = cProfile.Profile()
    t0 = time.perf_counter()
    profile.enable()
    try:
        await run_appends(db, None, "", writers, total, seq0, pad, verify=False)
    finally:
        profile.disable()
    return profile, time.perf_counter() - t0


async def set_sync_commit_off(db: Database) -> None:
    @event.listens_for(db.writer.sync_engine, "connect")
    def _sync_off(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("SET synchronous_commit = off")
        cursor.close()


# --- 2. proofs -------------------------------------------------------------------------------


@dataclass
class ProofRun:
    engine: str
    size: int
    inclusion: list[float]
    consistency: list[float]
    proof_len: int
    checked: int


async def measure_proofs(
    db: Database,
    size: int,
    roots: dict[int, bytes],
    m_values: list[int],
    rng: random.Random,
    n: int,
    budget: float = 20.0,
) -> ProofRun:
    root = roots[size]
    seqs = [rng.randrange(size) for _ in range(n)]
    async with db.read() as s:  # warm-up: caches, prepared statements
        for seq in seqs[:10]:
            await ledger.inclusion_proof(s, seq, size)
    inc: list[float] = []
    con: list[float] = []
    checked, proof_len = 0, 0
    deadline = time.perf_counter() + budget
    for i, seq in enumerate(seqs):
        if time.perf_counter() > deadline and len(inc) >= 20:
            break  # slow engine: enough samples for a p50, keep the run short
        async with db.read() as s:
            t0 = time.perf_counter()
            proof = await ledger.inclusion_proof(s, seq, size)
            inc.append(time.perf_counter() - t0)
        proof_len = max(proof_len, len(proof.hashes))
        if i < 20:
            assert proof.root_hash == root, "root from the database differs from the loader's"
            assert merkle.verify_inclusion(proof.leaf_hash, seq, size, proof.hashes, root)
            assert (
                not merkle.verify_inclusion(
                    proof.leaf_hash, (seq + 1) % size, size, proof.hashes, root
                )
                or size == 1
            )
            checked += 1
    deadline = time.perf_counter() + budget
    for i, m in enumerate(m_values):
        if time.perf_counter() > deadline and len(con) >= 20:
            break
        async with db.read() as s:
            t0 = time.perf_counter()
            proof = await ledger.consistency_proof(s, m, size)
            con.append(time.perf_counter() - t0)
        if i < 20:
            assert proof.from_root == roots[m] and proof.to_root == root
            assert merkle.verify_consistency(m, size, roots[m], root, proof.hashes)
            checked += 1
    return ProofRun("", size, inc, con, proof_len, checked)


# --- 3. verify -------------------------------------------------------------------------------


@dataclass
class VerifyRun:
    engine: str
    entries: int
    wall: float
    cpu: dict[str, float]
    label: str = "verify_database"

    @property
    def us_per_entry(self) -> float:
        return self.wall / self.entries * 1e6


async def time_verify(db: Database, engine: str, expect: int) -> VerifyRun:
    window: dict[str, float] = {}
    with cpu_window(window):
        report = await verify_database(db)
    assert report.ok, report.problems[:3]
    assert report.entries == expect, (report.entries, expect)
    return VerifyRun(engine, expect, window["wall"], window)


async def verify_components(
    dsn: str, db: Database, sample_docs: list[bytes], size: int
) -> list[tuple[str, float, str]]:
    """The per-entry costs verify_database is made of, each measured on its own."""
    out: list[tuple[str, float, str]] = []
    n = len(sample_docs)
    t0 = time.perf_counter()
    for d in sample_docs:
        leaf_hash(d)
    out.append(
        (
            "SHA-256 leaf hash of the ~512 B document",
            (time.perf_counter() - t0) / n * 1e6,
            f"{n:,} docs",
        )
    )

    conn = await asyncpg.connect(dsn)
    try:
        t0 = time.perf_counter()
        after, rows_seen, sample_rows = -1, 0, []
        while True:
            rows = await conn.fetch(
                "SELECT seq, kind, actor, at, prev, body, subjects, hash FROM ledger_entry "
                "WHERE seq > $1 ORDER BY seq LIMIT 5000",
                after,
            )
            if not rows:
                break
            rows_seen += len(rows)
            after = rows[-1]["seq"]
            if len(sample_rows) < 20_000:
                sample_rows.extend(rows[: 20_000 - len(sample_rows)])
        fetch = (time.perf_counter() - t0) / rows_seen * 1e6
        out.append(
            (
                "fetch entry rows, raw asyncpg (same keyset batches of 5,000)",
                fetch,
                f"{rows_seen:,} rows",
            )
        )
        t0 = time.perf_counter()
        nodes = 0
        for lo in range(0, size, 5000):
            hi = min(size, lo + 5000) - 1
            conds = " OR ".join(
                f"(level = {lv} AND idx BETWEEN {lo >> lv} AND {hi >> lv})"
                for lv in range(max(hi, 1).bit_length() + 1)
            )
            nodes += len(
                await conn.fetch(f"SELECT level, idx, hash FROM ledger_node WHERE {conds}")
            )
        out.append(
            (
                "fetch node rows, raw asyncpg (same per-batch OR query)",
                (time.perf_counter() - t0) / size * 1e6,
                f"{nodes:,} nodes",
            )
        )
    finally:
        await conn.close()

    # ORM fetch: what `_entry_batches` does, without any checking
    from ledger import audit

    t0 = time.perf_counter()
    count = 0
    async for rows in audit._entry_batches(db):  # noqa: SLF001 - measuring its cost
        count += len(rows)
    out.append(
        (
            "fetch entry rows as ORM objects (ledger.audit._entry_batches)",
            (time.perf_counter() - t0) / count * 1e6,
            f"{count:,} rows",
        )
    )

    class Row:  # attribute access like the ORM rows
        def __init__(self, r: Any) -> None:
            for k in ENTRY_COLUMNS:
                setattr(self, k, r[k])

    objs = [Row(r) for r in sample_rows]
    m = len(objs)
    t0 = time.perf_counter()
    wires = [entry_wire(o) for o in objs]  # type: ignore[arg-type]
    out.append(
        ("entry_wire: 3 × json.loads per row", (time.perf_counter() - t0) / m * 1e6, f"{m:,} rows")
    )
    t0 = time.perf_counter()
    docs = [entry_document(**{k: w[k] for k in ENTRY_COLUMNS if k != "hash"}) for w in wires]
    blobs = [canonical_json(d) for d in docs]
    out.append(
        (
            "canonical_json of the entry document (rfc8785 + float check)",
            (time.perf_counter() - t0) / m * 1e6,
            f"{m:,} rows",
        )
    )
    import rfc8785

    from ledger.canonical import _reject_floats  # noqa: PLC2701 - measuring its share

    t0 = time.perf_counter()
    for d in docs:
        _reject_floats(d)
    out.append(
        (
            "  of which the float check walk (_reject_floats)",
            (time.perf_counter() - t0) / m * 1e6,
            f"{m:,} rows",
        )
    )
    t0 = time.perf_counter()
    for d in docs:
        rfc8785.dumps(d)
    out.append(("  of which rfc8785.dumps", (time.perf_counter() - t0) / m * 1e6, f"{m:,} rows"))
    t0 = time.perf_counter()
    for d in docs:
        json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    out.append(
        (
            "  (for scale: stdlib json.dumps(sort_keys) of the same dicts)",
            (time.perf_counter() - t0) / m * 1e6,
            f"{m:,} rows",
        )
    )
    assert all(
        json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() == b
        for d, b in zip(docs[:100], blobs[:100], strict=True)
    )
    t0 = time.perf_counter()
    frontier: list[bytes] = []
    for i, w in enumerate(wires):
        frontier, _ = append_leaf(frontier, i, bytes.fromhex(w["hash"]))
    out.append(
        ("append_leaf (tree nodes re-derived)", (time.perf_counter() - t0) / m * 1e6, f"{m:,} rows")
    )
    return out


async def profile_verify(db: Database) -> tuple[cProfile.Profile, float]:
    profile = cProfile.Profile()
    t0 = time.perf_counter()
    profile.enable()
    try:
        report = await verify_database(db)
    finally:
        profile.disable()
    assert report.ok
    return profile, time.perf_counter() - t0


def run_cli_verify(name: str, tmp: Path) -> tuple[float, int, str]:
    env = dict(os.environ, PDEX_DATABASE_URL=pg_dsn(name), PDEX_DATA_DIR=str(tmp / "cli-data"))
    t0 = time.perf_counter()
    proc = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "pdex"), "ledger", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    wall = time.perf_counter() - t0
    return wall, proc.returncode, (proc.stdout + proc.stderr).strip()


# --- orchestration ---------------------------------------------------------------------------


@dataclass
class Results:
    appends: list[AppendRun] = field(default_factory=list)
    floors: list[tuple[str, int, dict[str, float]]] = field(default_factory=list)
    append_profile: list[tuple[str, float]] = field(default_factory=list)
    append_profile_top: list[tuple[str, float, int]] = field(default_factory=list)
    append_profile_meta: dict[str, float] = field(default_factory=dict)
    loads: list[dict[str, Any]] = field(default_factory=list)
    proofs: list[ProofRun] = field(default_factory=list)
    verifies: list[VerifyRun] = field(default_factory=list)
    cli: tuple[float, int, str, int] | None = None
    components: list[tuple[str, float, str]] = field(default_factory=list)
    verify_profile: list[tuple[str, float]] = field(default_factory=list)
    verify_profile_top: list[tuple[str, float, int]] = field(default_factory=list)
    verify_profile_meta: dict[str, float] = field(default_factory=dict)
    doc_bytes: int = 0
    cpu_parts: list[tuple[str, float, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


async def bench_appends(
    engine: str, url: str, dsn: str | None, args: argparse.Namespace, res: Results, pad: int
) -> None:
    db = await open_db(url)
    try:
        await upgrade(db.writer)
        probe = Probe(db)
        seq0 = 0
        await warm_up(db, pad, seq0)
        seq0 += 48
        for writers in (1, 4, 16):
            run = await run_appends(db, probe, engine, writers, args.appends, seq0, pad)
            seq0 += run.appends
            assert run.verified_entries == seq0, (run.verified_entries, seq0)
            res.appends.append(run)
            print_run(run)
        if engine == "postgres" and dsn is not None:
            profile, wall = await profile_appends(db, 16, args.profile_appends, seq0, pad)
            seq0 += args.profile_appends
            res.append_profile = profile_split(profile)
            res.append_profile_top = top_functions(profile)
            res.append_profile_meta = {"wall": wall, "appends": args.profile_appends}
            res.cpu_parts, appended = await cpu_parts(db, dsn, pad, seq0, args.cpu_parts)
            seq0 += appended
            for label, cpu_us, wall_us in res.cpu_parts:
                print(f"  {label}: CPU {cpu_us:,.0f} µs, wall {wall_us:,.0f} µs", flush=True)
            report = await verify_database(db)
            assert report.ok and report.entries == seq0
    finally:
        await db.dispose()
    if engine == "postgres" and dsn is not None:
        # Diagnostic: the same 16-writer run without waiting for the WAL flush at commit.
        db = await open_db(url)
        try:
            await set_sync_commit_off(db)
            probe = Probe(db)
            await warm_up(db, pad, seq0)
            seq0 += 48
            run = await run_appends(
                db,
                probe,
                engine,
                16,
                args.appends,
                seq0,
                pad,
                label="synchronous_commit=off, diagnostic",
            )
            seq0 += run.appends
            assert run.verified_entries == seq0
            res.appends.append(run)
            print_run(run)
        finally:
            await db.dispose()
        for writers, sync in ((1, True), (16, True), (16, False)):
            floor = await pg_floor(dsn, writers, args.appends, sync_commit=sync)
            label = f"{writers} writer{'s' if writers > 1 else ''}" + (
                "" if sync else ", synchronous_commit=off"
            )
            res.floors.append((label, writers, floor))
            print(f"  raw asyncpg floor {label}: {floor['rate']:7.0f} txn/s", flush=True)


async def bench_big(
    engines: dict[str, tuple[str, str | None, Path | None]],
    args: argparse.Namespace,
    res: Results,
    pool: ProcessPoolExecutor,
    pad: int,
    actor: dict[str, Any],
    tmp: Path,
) -> None:
    """Parts 2 and 3 on fresh databases: one loader feeds every engine the same entries."""
    rng = random.Random(20261127)
    small, large = args.sizes
    m_small = [rng.randrange(1, small) for _ in range(args.proofs)]
    m_large = [rng.randrange(1, large) for _ in range(args.proofs)]
    loader = BulkLoader(pool, actor, pad, {small, large, *m_small, *m_large})
    dbs: dict[str, Database] = {}
    sinks: dict[str, PgSink | SqliteSink] = {}
    try:
        for engine, (url, dsn, path) in engines.items():
            db = await open_db(url)
            dbs[engine] = db
            await upgrade(db.writer)
            sinks[engine] = PgSink(dsn) if dsn else SqliteSink(path)  # type: ignore[arg-type]
        for size, m_values in ((small, m_small), (large, m_large)):
            before = loader.size
            for s in sinks.values():
                s.seconds = 0.0
            window: dict[str, float] = {}
            h0 = loader.hash_seconds
            with cpu_window(window):
                await loader.extend(size, list(sinks.values()))
                for s in sinks.values():
                    await s.finish(loader.head)
            res.loads.append(
                {
                    "from": before,
                    "to": size,
                    "wall": window["wall"],
                    "nodes": loader.nodes,
                    "hash": loader.hash_seconds - h0,
                    **{f"write_{e}": s.seconds for e, s in sinks.items()},
                }
            )
            print(
                f"  loaded {before:,} → {size:,} entries in {window['wall']:.1f} s "
                f"({(size - before) / window['wall']:,.0f} entries/s; "
                + ", ".join(f"{e} writes {s.seconds:.1f} s" for e, s in sinks.items())
                + ")",
                flush=True,
            )
            for engine, db in dbs.items():
                run = await measure_proofs(db, size, loader.roots, m_values, rng, args.proofs)
                run.engine = engine
                res.proofs.append(run)
                print(
                    f"  {engine} proofs at {size:,}: inclusion p50 "
                    f"{pct(run.inclusion, 0.5) * 1e3:.2f} ms "
                    f"p99 {pct(run.inclusion, 0.99) * 1e3:.2f} ms; consistency p50 "
                    f"{pct(run.consistency, 0.5) * 1e3:.2f} ms p99 "
                    f"{pct(run.consistency, 0.99) * 1e3:.2f} ms "
                    f"({run.checked} proofs verified)",
                    flush=True,
                )
            for engine, db in dbs.items():
                if size == large and engine != "postgres" and not args.sqlite_large_verify:
                    continue
                v = await time_verify(db, engine, size)
                res.verifies.append(v)
                print(
                    f"  {engine} verify_database at {size:,}: {v.wall:.1f} s = "
                    f"{v.us_per_entry:.1f} µs/entry "
                    f"(CPU {cpu_shares(v.cpu)})",
                    flush=True,
                )
            if size == small and "postgres" in dbs:
                profile, wall = await profile_verify(dbs["postgres"])
                res.verify_profile = profile_split(profile)
                res.verify_profile_top = top_functions(profile)
                res.verify_profile_meta = {"wall": wall, "entries": size}
        for s in sinks.values():
            await s.close()
        if "postgres" in dbs:
            dsn = engines["postgres"][1]
            assert dsn is not None
            res.components = await verify_components(
                dsn, dbs["postgres"], loader.sample_docs, large
            )
            for label, us, n in res.components:
                print(f"  {label}: {us:.2f} µs/entry ({n})", flush=True)
            name = dsn.rsplit("/", 1)[1]
            wall, rc, output = run_cli_verify(name, tmp)
            res.cli = (wall, rc, output, large)
            print(
                f"  pdex ledger verify ({large:,} entries): {wall:.1f} s, exit {rc}: {output}",
                flush=True,
            )
            assert rc == 0, output
    finally:
        for s in sinks.values():
            await s.close()
        for db in dbs.values():
            await db.dispose()


def code_fingerprint() -> str:
    return ", ".join(
        f"`{name}` sha256 {hashlib.sha256((ROOT / name).read_bytes()).hexdigest()[:12]}"
        for name in ("ledger/log.py", "ledger/proofs.py", "ledger/audit.py", "ledger/canonical.py")
    )


def machine() -> dict[str, str]:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    pg = "n/a"
    with contextlib.suppress(Exception):
        pg = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "SHOW server_version"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    settings = ""
    with contextlib.suppress(Exception):
        settings = subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-Atc",
                "SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ', ' "
                "ORDER BY name) FROM pg_settings "
                "WHERE name IN ('shared_buffers','synchronous_commit','fsync','wal_sync_method')",
            ],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    return {
        "code": code_fingerprint(),
        "nproc": str(os.cpu_count()),
        "model": model,
        "python": platform.python_version(),
        "pg": pg,
        "pg_settings": settings,
        "sqlite": sqlite3.sqlite_version,
        "kernel": platform.platform(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


# --- report ----------------------------------------------------------------------------------


def cpu_shares(cpu: dict[str, float]) -> str:
    w = cpu["wall"]
    return f"{cpu['cpu'] / w:.0%} / {cpu['pg'] / w:.0%} / {cpu['rest'] / w:.0%}"


def print_run(run: AppendRun) -> None:
    h = run.holds()
    print(
        f"  {run.engine} {run.writers:>2} writers{' ' + run.label if run.label else ''}: "
        f"{run.rate:6.0f} appends/s, p50 {pct(run.latencies, 0.5) * 1e3:.1f} ms, "
        f"p99 {pct(run.latencies, 0.99) * 1e3:.1f} ms, CPU {cpu_shares(run.cpu)}; lock held "
        f"{h['hold']:.2f} ms = SQL {h['sql']:.2f} + commit {h['commit']:.2f} + py "
        f"{h['python']:.2f}, gap {h['gap']:.2f}, busy {h['busy']:.0%}, "
        f"{h['statements']:.1f} stmts; verify {run.verify_seconds:.2f} s "
        f"({run.verified_entries} ok)",
        flush=True,
    )


def ms(x: float) -> str:
    return f"{x * 1e3:.2f}"


def markdown(
    res: Results, info: dict[str, str], args: argparse.Namespace, command: str, total_wall: float
) -> str:
    small, large = args.sizes
    out = [
        SECTION,
        "",
        "Written by `bench/ledger.py`; rerun it to refresh this section. "
        "Real numbers from one run.",
        "",
        f"- Command: `{command}` (whole run {total_wall / 60:.1f} min)",
        f"- Machine: {info['nproc']} CPUs (`nproc`), {info['model']}, {info['kernel']}",
        f"- Python {info['python']}, PostgreSQL {info['pg']} ({info['pg_settings']}), "
        f"SQLite {info['sqlite']}; {info['date']}",
        f"- Code measured: {info['code']}",
        f"- Entries: {res.doc_bytes} bytes of canonical JSON each (strings and ints only), "
        "an agency principal as actor (so each append also writes one `ledger_party` row), no "
        "subjects. Each database is fresh and migrated; PostgreSQL databases are dropped at "
        "the end.",
        "- The benchmark process, PostgreSQL and anything else running share the CPUs above "
        "(`rest` = every other process on the machine in the same window).",
        "",
        "### 1. Appends (one transaction each)",
        "",
        "| engine | writers | appends | appends/s | p50 ms | p99 ms | bench CPU µs/append "
        "| CPU % bench / PostgreSQL / rest | head lock held ms = SQL + COMMIT + Python "
        "| gap to next holder ms | lock busy | statements/txn | verify after |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---|",
    ]
    for r in res.appends:
        h = r.holds()
        name = r.engine + (f" ({r.label})" if r.label else "")
        out.append(
            f"| {name} | {r.writers} | {r.appends:,} | **{r.rate:,.0f}** | "
            f"{ms(pct(r.latencies, 0.5))} | {ms(pct(r.latencies, 0.99))} | "
            f"{r.cpu['cpu'] / r.appends * 1e6:,.0f} | {cpu_shares(r.cpu)} | "
            f"{h['hold']:.2f} = {h['sql']:.2f} + {h['commit']:.2f} + {h['python']:.2f} | "
            f"{h['gap']:.2f} | {h['busy']:.0%} | {h['statements']:.1f} | "
            f"ok, {r.verified_entries:,} entries, {r.verify_seconds:.2f} s |"
        )
    out += [
        "",
        "Columns: `CPU %` is CPU time over wall time in the window (100 % = one CPU) of this "
        "process, of all `postgres` processes, and of everything else on the machine. The head "
        "lock is held from the moment the `SELECT … FOR UPDATE` on `ledger_head` returns "
        "(SQLite: `BEGIN IMMEDIATE` returns on the single writer connection) until COMMIT "
        "returns; `SQL` sums the statements run in that time as SQLAlchemy sees them (round "
        "trip plus the wait for this coroutine to be scheduled again), `COMMIT` is the commit "
        "round trip including the WAL flush, `Python` the rest (append's own code, SQLAlchemy). "
        "`gap to next holder` is from one holder's commit returning to the next holder owning "
        "the lock (at 1 writer: the writer's own work between appends). `lock busy` = Σ held / "
        "wall. Appends/s ≈ 1000 / (held + gap) once the lock is busy. `statements/txn` counts "
        "cursor executions (PostgreSQL: BEGIN and COMMIT are extra round trips).",
    ]
    if res.floors:
        out += [
            "",
            "Floor: raw asyncpg on scratch tables in the same database, no ORM and no hashing, "
            "the least a head-row-locked append can cost: BEGIN; `SELECT size … FOR UPDATE`; one "
            "statement inserting the entry (~512 B), 2 tree nodes and a party row and updating "
            "the head; COMMIT (4 round trips, one WAL flush).",
            "",
            "| raw asyncpg | txn/s | p50 ms | p99 ms | bench CPU µs/txn "
            "| CPU % bench / PostgreSQL / rest |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for label, _w, f in res.floors:
            shares = f"{f['cpu_cpu']:.0%} / {f['cpu_pg']:.0%} / {f['cpu_rest']:.0%}"
            out.append(
                f"| {label} | {f['rate']:,.0f} | {ms(f['p50'])} | {ms(f['p99'])} | "
                f"{f['cpu_us']:,.0f} | {shares} |"
            )
    if res.append_profile:
        total = sum(t for _, t in res.append_profile)
        meta = res.append_profile_meta
        out += [
            "",
            f"cProfile of a separate PostgreSQL 16-writer run ({int(meta['appends']):,} appends, "
            f"{meta['wall']:.1f} s wall under the profiler, which slows Python ~1.5–2×): "
            "own time by bucket",
            "",
            "| bucket | share of profiled time |",
            "|---|---:|",
            *[f"| {k} | {t / total:.0%} |" for k, t in res.append_profile],
            "",
            "Top functions by own time (excluding epoll): "
            + "; ".join(f"`{n}` {t / total:.1%}" for n, t, _c in res.append_profile_top),
        ]
    if res.cpu_parts:
        out += [
            "",
            "Python CPU per transaction by layer (PostgreSQL, one writer, one transaction after "
            "another, same database):",
            "",
            "| what | CPU µs/txn | wall µs/txn |",
            "|---|---:|---:|",
            *[f"| {label} | {c:,.0f} | {w:,.0f} |" for label, c, w in res.cpu_parts],
        ]
    derived = append_findings(res, int(info["nproc"]))
    if derived:
        out += ["", "Derived from the rows above (same run):", "", *derived]
    out += [
        "",
        f"### 2. Proof latency at {small:,} and {large:,} entries",
        "",
    ]
    for ld in res.loads:
        writes = ", ".join(
            f"{k[6:]} writes {v:.1f} s" for k, v in ld.items() if k.startswith("write_")
        )
        out.append(
            f"- Bulk load {ld['from']:,} → {ld['to']:,} entries: {ld['wall']:.1f} s "
            f"({(ld['to'] - ld['from']) / ld['wall']:,.0f} entries/s; chain + tree hashing "
            f"{ld['hash']:.1f} s in this process, canonical JSON in a {args.workers}-process "
            f"pool; {writes}); "
            f"{ld['nodes']:,} `ledger_node` rows in total."
        )
    out += [
        "",
        f"Up to {args.proofs} random seqs (inclusion) and {args.proofs} random old sizes "
        "(consistency to the current size), fewer when an engine needs over 20 s for them; each "
        "call timed alone in its own read session (`ledger.inclusion_proof` / "
        "`ledger.consistency_proof`). The first 20 of each were checked with "
        "`merkle.verify_inclusion` / `verify_consistency` against roots computed by the loader, "
        "not read from the database.",
        "",
        "| engine | tree size | inclusion p50 ms | p99 ms | n | consistency p50 ms | p99 ms | n "
        "| max proof hashes | proofs verified |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in res.proofs:
        out.append(
            f"| {p.engine} | {p.size:,} | {ms(pct(p.inclusion, 0.5))} | "
            f"{ms(pct(p.inclusion, 0.99))} | {len(p.inclusion)} | {ms(pct(p.consistency, 0.5))} | "
            f"{ms(pct(p.consistency, 0.99))} | {len(p.consistency)} | {p.proof_len} | "
            f"{p.checked} ok |"
        )
    out += [
        "",
        "### 3. Verify",
        "",
        "| engine | entries | `verify_database` s | µs/entry | CPU % bench / PostgreSQL / rest |",
        "|---|---:|---:|---:|---|",
    ]
    for v in res.verifies:
        out.append(
            f"| {v.engine} | {v.entries:,} | {v.wall:.1f} | **{v.us_per_entry:.1f}** | "
            f"{cpu_shares(v.cpu)} |"
        )
    if res.cli:
        wall, rc, output, n = res.cli
        out += [
            "",
            f"Real CLI, PostgreSQL, {n:,} entries: "
            f"`PDEX_DATABASE_URL=postgresql://postgres@{PG_HOSTPORT}/<db> "
            f".venv/bin/pdex ledger verify` → {wall:.1f} s wall ({wall / n * 1e6:.1f} µs/entry, "
            "including "
            f"interpreter start-up), exit {rc}, output `{output}`.",
        ]
    if res.components:
        out += [
            "",
            "Its parts, each measured alone (PostgreSQL; fetches over the whole large table, the "
            "Python steps over a 20,000-row sample of the stored rows):",
            "",
            "| step | µs/entry | measured over |",
            "|---|---:|---|",
            *[f"| {label} | {us:.2f} | {n} |" for label, us, n in res.components],
        ]
    if res.verify_profile:
        total = sum(t for _, t in res.verify_profile)
        meta = res.verify_profile_meta
        out += [
            "",
            f"cProfile of `verify_database` on PostgreSQL at {int(meta['entries']):,} entries "
            f"({meta['wall']:.1f} s under the profiler): own time by bucket. cProfile charges "
            "every Python call, so it overweights code made of many small calls (rfc8785); "
            "the separately timed steps above are the better guide to absolute costs.",
            "",
            "| bucket | share of profiled time |",
            "|---|---:|",
            *[f"| {k} | {t / total:.0%} |" for k, t in res.verify_profile],
            "",
            "Top functions by own time (excluding epoll): "
            + "; ".join(f"`{n}` {t / total:.1%}" for n, t, _c in res.verify_profile_top),
        ]
    derived = verify_findings(res)
    if derived:
        out += ["", "Derived (same run):", "", *derived]
    if res.notes:
        out += ["", *res.notes]
    return "\n".join(out) + "\n"


def append_findings(res: Results, nproc: int) -> list[str]:
    lines = []
    for engine in dict.fromkeys(r.engine for r in res.appends):
        rows = {r.writers: r for r in res.appends if r.engine == engine and not r.label}
        if not rows:
            continue
        one, top = rows.get(1), rows[max(rows)]
        if one is not None:
            wall_us = 1e6 / one.rate
            cpu_us = one.cpu["cpu"] / one.appends * 1e6
            lines.append(
                f"- {engine}, 1 writer: {wall_us:,.0f} µs per append, of which {cpu_us:,.0f} µs "
                f"({cpu_us / wall_us:.0%}) is CPU in this Python process; the rest is waiting "
                + (
                    "for hand-offs to the aiosqlite thread and the disk."
                    if engine == "sqlite"
                    else "for the database (round trips, WAL flush)."
                )
            )
        h = top.holds()
        cpu_us = top.cpu["cpu"] / top.appends * 1e6
        cycle = h["hold"] + h["gap"]
        machine = (top.cpu["cpu"] + top.cpu["pg"] + top.cpu["rest"]) / top.wall
        lines.append(
            f"- {engine}, {top.writers} writers: {top.rate:,.0f} appends/s"
            + (f" ({top.rate / one.rate:.2f}× 1 writer)" if one is not None else "")
            + f". One head-lock cycle (held {h['hold']:.2f} + gap {h['gap']:.2f} ms = "
            f"{cycle:.2f} ms) → 1000 / {cycle:.2f} = {1000 / cycle:,.0f}/s: appends are "
            f"serialised. CPU per append in this process {cpu_us:,.0f} µs → at most "
            f"{1e6 / cpu_us:,.0f}/s for one Python process even with a whole CPU. Machine "
            f"{machine:.0%} busy of {nproc * 100}% (bench {top.cpu['cpu'] / top.wall:.0%}, "
            f"PostgreSQL {top.cpu['pg'] / top.wall:.0%}, rest {top.cpu['rest'] / top.wall:.0%})."
        )
    parts = [c for _label, c, _w in res.cpu_parts]
    if len(parts) == 4:
        raw, two, pure, full = parts
        lines.append(
            f"- CPU per append by layer (one writer): raw driver + kernel for 4 round trips "
            f"≈ {raw:,.0f} µs; SQLAlchemy async session/transaction on top ≈ {two - raw:,.0f} "
            f"µs; the ledger's canonical JSON + hashing ≈ {pure:,.0f} µs; the remaining "
            f"{full - two - pure:,.0f} µs of the {full:,.0f} µs is append's other statements "
            "and ORM work (head select through the ORM, model objects, parameter processing)."
        )
    diag = [r for r in res.appends if r.label]
    base = [r for r in res.appends if r.engine == "postgres" and r.writers == 16 and not r.label]
    if diag and base:
        d, b = diag[0].holds(), base[0].holds()
        lines.append(
            f"- postgres, 16 writers without waiting for the WAL flush: {diag[0].rate:,.0f} vs "
            f"{base[0].rate:,.0f} appends/s; COMMIT under the lock {b['commit']:.2f} → "
            f"{d['commit']:.2f} ms."
        )
    floors = {label: f for label, _w, f in res.floors}
    if "1 writer" in floors and "16 writers" in floors and base:
        f1, f16 = floors["1 writer"], floors["16 writers"]
        lines.append(
            f"- Raw asyncpg floor: {f1['rate']:,.0f} txn/s at 1 writer, {f16['rate']:,.0f} at 16 "
            f"({f16['cpu_us']:,.0f} µs of client CPU per transaction), vs pdex "
            f"{base[0].rate:,.0f} appends/s with "
            f"{base[0].cpu['cpu'] / base[0].appends * 1e6:,.0f} µs."
        )
    return lines


def verify_findings(res: Results) -> list[str]:
    lines = []
    comps = {label: us for label, us, _n in res.components}
    sha = next((us for label, us in comps.items() if label.startswith("SHA-256")), None)
    pg = [v for v in res.verifies if v.engine == "postgres"]
    if pg and sha:
        v = max(pg, key=lambda v: v.entries)
        lines.append(
            f"- `verify_database` at {v.entries:,} entries: {v.us_per_entry:.1f} µs/entry, "
            f"{v.us_per_entry / sha:.0f}× the {sha:.2f} µs/entry of SHA-256 alone; this process "
            f"was {v.cpu['cpu'] / v.wall:.0%} busy and PostgreSQL {v.cpu['pg'] / v.wall:.0%}: "
            "verification is bound by Python CPU in one process, not by the database."
        )
        parts = [
            (label, us)
            for label, us in comps.items()
            if not label.startswith(("  ", "fetch entry rows, raw"))
        ]
        total = sum(us for _label, us in parts)
        lines.append(
            "- The separately measured steps add up to "
            f"{total:.1f} µs/entry: "
            + "; ".join(f"{label.split(' (')[0]} {us:.1f}" for label, us in parts)
            + "."
        )
    return lines


KEPT = "### One-off investigations"
"""A subsection of ours written by hand: kept, at the end of the section, on every rewrite."""


def write_benchmarks(section: str, path: Path) -> None:
    """Replace (or append) this script's section, keeping every other section and our
    hand-written KEPT subsection."""
    text = (
        path.read_text()
        if path.exists()
        else "# Benchmarks\n\nMeasured numbers only; each section says how it was made.\n"
    )
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    found = pattern.search(text)
    if found:
        old = found.group(0)
        kept = old[old.index(f"\n{KEPT}") + 1 :] if f"\n{KEPT}" in old else ""
        new = section.rstrip("\n") + ("\n\n" + kept.rstrip("\n") if kept else "") + "\n\n"
        text = text[: found.start()] + new + text[found.end() :]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text.rstrip("\n") + "\n")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small sizes (10k/100k) for a smoke check"
    )
    parser.add_argument("--engines", default="postgres,sqlite", help="postgres,sqlite")
    parser.add_argument(
        "--appends", type=int, help="appends per writer setting (default 3000; quick 400)"
    )
    parser.add_argument("--proofs", type=int, default=200, help="proofs timed per tree size")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="canonical JSON processes"
    )
    parser.add_argument(
        "--sqlite-large-verify", action="store_true", help="also verify SQLite at the large size"
    )
    parser.add_argument(
        "--output", type=Path, default=ROOT / "BENCHMARKS.md", help="'-' to skip writing"
    )
    args = parser.parse_args(argv)
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if set(args.engines) - {"postgres", "sqlite"}:
        parser.error("engines: postgres, sqlite")
    args.sizes = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    if args.appends is None:
        args.appends = 400 if args.quick else 3000
    args.appends -= args.appends % 16  # every writer setting divides it evenly
    args.profile_appends = 480 if args.quick else 1600
    args.cpu_parts = 300 if args.quick else 1000
    return args


async def main_async(args: argparse.Namespace, pool: ProcessPoolExecutor, command: str) -> int:
    started = time.perf_counter()
    res = Results()
    code_at_start = code_fingerprint()
    actor = actor_doc(Principal("bench-loader", uuid.UUID(int=1), frozenset({Role.AGENCY})))
    pad = body_padding(actor)
    res.doc_bytes = len(
        canonical_json(
            entry_document(
                500_000,
                KINDS[0],
                actor,
                format_time(EPOCH),
                GENESIS_PREV,
                make_body(500_000, pad),
                [],
            )
        )
    )
    databases: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="pdex-bench-ledger-") as tmpdir:
            tmp = Path(tmpdir)
            print("1. appends", flush=True)
            for engine in args.engines:
                if engine == "postgres":
                    name = await pg_create()
                    databases.append(name)
                    await bench_appends(
                        engine,
                        "postgresql+asyncpg://" + pg_dsn(name).split("://", 1)[1],
                        pg_dsn(name),
                        args,
                        res,
                        pad,
                    )
                else:
                    path = tmp / "appends.sqlite3"
                    await bench_appends(engine, f"sqlite+aiosqlite:///{path}", None, args, res, pad)
            print("2./3. proofs and verify", flush=True)
            engines: dict[str, tuple[str, str | None, Path | None]] = {}
            for engine in args.engines:
                if engine == "postgres":
                    name = await pg_create()
                    databases.append(name)
                    engines[engine] = (
                        "postgresql+asyncpg://" + pg_dsn(name).split("://", 1)[1],
                        pg_dsn(name),
                        None,
                    )
                else:
                    path = tmp / "big.sqlite3"
                    engines[engine] = (f"sqlite+aiosqlite:///{path}", None, path)
            await bench_big(engines, args, res, pool, pad, actor, tmp)
    finally:
        for name in databases:
            await pg_drop(name)
    total = time.perf_counter() - started
    info = machine()
    if info["code"] != code_at_start:
        res.notes.append(
            f"Note: the ledger code changed during this run (at start: {code_at_start})."
        )
    text = markdown(res, info, args, command, total)
    print()
    print(text)
    if str(args.output) != "-":
        write_benchmarks(text, args.output)
        print(f"wrote the {SECTION!r} section of {args.output}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = ".venv/bin/python bench/ledger.py" + (
        "".join(" " + shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    )
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        # Start the workers now, before the event loop, its threads and connections exist.
        actor = actor_doc(Principal("warm-up", uuid.UUID(int=1), frozenset({Role.AGENCY})))
        for f in [pool.submit(canon_chunk, i, 1, actor, 0) for i in range(2 * args.workers)]:
            f.result()
        return asyncio.run(main_async(args, pool, command))


if __name__ == "__main__":
    sys.exit(main())
