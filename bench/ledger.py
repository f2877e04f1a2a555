"""Ledger benchmark (issue 3): append throughput, proof latency, `pdex ledger verify` time.

    .venv/bin/python bench/ledger.py [--quick] [--engines postgres,sqlite] [--output FILE]

On fresh migrated databases (PostgreSQL: `pdex_bench_<random>`, dropped at the end):

1. Appends/s with 1, 4 and 16 concurrent writers, each append its own transaction as the app
   makes it (`async with db.transaction() as s: await ledger.append(s, kind, actor, body)`),
   ~512-byte entries. `verify_database` must pass after each setting.
2. Inclusion- and consistency-proof latency at 100k and 1M entries (`--quick`: 10k and 100k).
   The entries are bulk-loaded, not appended (`BulkLoader`), and the proofs are checked
   against roots the loader computed itself, not read from the database.
3. `verify_database` time per entry at both sizes, one real `pdex ledger verify` CLI run on
   PostgreSQL at the large size, and the cost of each step of the verify path on its own.

It prints its results and rewrites the "## Ledger (issue 3)" section of BENCHMARKS.md. Other
sections stay as they are, and so does a hand-written "### One-off investigations"
subsection at the end of ours. The default run takes ~4 min on 2 CPUs; `--quick` ~30 s.
"""

# ruff: noqa: E402 (pdex is imported after sys.path is fixed below)
from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import hashlib
import importlib.util
import json
import os
import platform
import random
import secrets
import shlex
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from itertools import repeat
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# This file is bench/ledger.py: make `import ledger` find the package, not this script.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

import asyncpg
import orjson

if "bench_api" not in sys.modules:  # bench/api.py: the section writer the benches share
    _spec = importlib.util.spec_from_file_location("bench_api", ROOT / "bench" / "api.py")
    assert _spec and _spec.loader
    sys.modules["bench_api"] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules["bench_api"])
api = sys.modules["bench_api"]

import ledger
from core.db import Database
from core.identity import Principal, Role
from core.migrate import upgrade
from core.settings import load_settings
from ledger import audit, merkle, ranges
from ledger.canonical import GENESIS_PREV, canonical_json, entry_document, format_time
from ledger.merkle import append_leaf, leaf_hash, root_from_frontier

# sqlmodel's AsyncSession.execute warns on every call; ledger code calls it too, so it stays
# in the measured path, but the message would flood this script's output.
warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"sqlmodel|__main__")

SECTION = "## Ledger (issue 3)"
KEPT = "### One-off investigations"  # hand-written, at the end of SECTION: kept on rewrite
PG_HOSTPORT = "127.0.0.1:5432"
PG_ADMIN = f"postgresql://postgres@{PG_HOSTPORT}/postgres"
CLK_TCK = os.sysconf("SC_CLK_TCK")
TARGET_APPENDS = 2000  # appends/s at 16 writers on PostgreSQL (issue 3)
TARGET_DOC_BYTES = 512
KINDS = ("registry.asset.registered", "sharing.share.granted", "consent.consent.granted")
EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
SET_HEAD = "UPDATE ledger_head SET size = ?1, last_hash = ?2, frontier = ?3 WHERE id = 1"
LOAD_CHUNK = 20_000  # entries per process-pool task and per bulk insert


# --- entries -----------------------------------------------------------------------------------
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


def agency(n: int) -> Principal:
    """An agency's principal: each append by it also writes one `ledger_party` row."""
    return Principal(f"bench-{n}", uuid.UUID(int=n + 1), frozenset({Role.AGENCY}))


def actor_doc(actor: Principal) -> dict[str, Any]:
    """What `ledger.log.actor_document` records for an organisation's principal."""
    roles = sorted(r.value for r in actor.roles)
    return {"org": str(actor.organization_id), "roles": roles, "sub": actor.subject}


def document_bytes(pad: int) -> bytes:
    """A typical entry document's canonical bytes."""
    body, at = make_body(500_000, pad), format_time(EPOCH)
    actor = actor_doc(agency(0))
    return canonical_json(entry_document(500_000, KINDS[0], actor, at, GENESIS_PREV, body, []))


def canon_chunk(start: int, count: int, actor: dict[str, Any], pad: int) -> list[tuple]:
    """Process-pool worker: entries start..start+count-1 as (kind, at, body text, canonical
    bytes before `prev`, after `prev`). `prev`, the hash of the entry before, is not known yet;
    in canonical JSON it follows `body` and `kind`, so the last `,"prev":"` is the field."""
    out = []
    for seq in range(start, start + count):
        kind = KINDS[seq % len(KINDS)]
        at = format_time(EPOCH + dt.timedelta(milliseconds=seq))
        body = make_body(seq, pad)
        doc = canonical_json(entry_document(seq, kind, actor, at, "f" * 64, body, []))
        cut = doc.rindex(b',"prev":"') + len(b',"prev":"')
        body_text = doc[doc.index(b',"body":') + 8 : doc.rindex(b',"kind":"')].decode()
        out.append((kind, at, body_text, doc[:cut], doc[cut + 64 :]))
    return out


@dataclass
class BulkLoader:
    """Builds the log in seq order, fast: canonical JSON in a process pool, the chain and the
    tree here. Keeps the roots of the sizes in `roots_wanted`, computed without the database."""

    pool: ProcessPoolExecutor
    pad: int
    roots_wanted: set[int]
    actor: dict[str, Any] = field(default_factory=lambda: actor_doc(agency(0)))
    size: int = 0
    prev: str = GENESIS_PREV
    frontier: list[bytes] = field(default_factory=list)
    roots: dict[int, bytes] = field(default_factory=dict)
    nodes: int = 0

    def extend(self, target: int) -> Iterator[tuple[list[tuple], list[tuple]]]:
        """Entries size..target-1: (entry rows, node rows) a chunk at a time."""
        actor_text = canonical_json(self.actor).decode()
        starts = range(self.size, target, LOAD_CHUNK)
        counts = [min(LOAD_CHUNK, target - start) for start in starts]
        # map() queues every chunk at once: the workers may run ahead (~1 KB per entry).
        chunks = self.pool.map(canon_chunk, starts, counts, repeat(self.actor), repeat(self.pad))
        for parts in chunks:
            entries, nodes = [], []
            frontier, prev, seq = self.frontier, self.prev, self.size
            for kind, at, body_text, head, tail in parts:
                doc = head + prev.encode() + tail
                digest = leaf_hash(doc)
                frontier, created = append_leaf(frontier, seq, digest)
                nodes += created
                entries.append((seq, kind, actor_text, at, prev, body_text, "[]", digest.hex()))
                if seq % 9973 == 0:  # the spliced bytes are the real canonical document
                    body = json.loads(body_text)
                    real = entry_document(seq, kind, self.actor, at, prev, body, [])
                    assert canonical_json(real) == doc, f"canonical mismatch at {seq}"
                prev = digest.hex()
                seq += 1
                if seq in self.roots_wanted:
                    self.roots[seq] = root_from_frontier(frontier)
            self.frontier, self.prev, self.size = frontier, prev, seq
            self.nodes += len(nodes)
            yield entries, nodes

    @property
    def head(self) -> tuple[int, str, str]:
        """The `ledger_head` row: size, last hash, frontier."""
        return self.size, self.prev, json.dumps([h.hex() for h in self.frontier])


# --- measuring ---------------------------------------------------------------------------------
def pct(values: list[float], q: float) -> float:
    ordered = sorted(values) or [float("nan")]
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f}"


def busy_seconds() -> tuple[float, float]:
    """CPU seconds since boot: all CPUs busy, and all `postgres` processes (from /proc)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    busy = sum(int(fields[i]) for i in (0, 1, 2, 5, 6, 7))  # all but idle and iowait
    pg = 0
    for entry in os.scandir("/proc"):
        with contextlib.suppress(OSError):
            if entry.name.isdigit():
                comm, rest = Path(entry.path, "stat").read_text().split(" (", 1)[1].split(") ")
                if comm == "postgres":
                    pg += sum(int(x) for x in rest.split()[11:13])  # utime, stime
    return busy / CLK_TCK, pg / CLK_TCK


@contextlib.contextmanager
def cpu_window() -> Iterator[dict[str, float]]:
    """Over the block: `wall` seconds; CPU seconds of this process (`cpu`), of PostgreSQL
    (`pg`) and of every other process on the machine (`rest`)."""
    out: dict[str, float] = {}
    w0, c0, (b0, g0) = time.perf_counter(), time.process_time(), busy_seconds()
    yield out
    b1, g1 = busy_seconds()
    out.update(wall=time.perf_counter() - w0, cpu=time.process_time() - c0, pg=g1 - g0)
    out["rest"] = max(0.0, b1 - b0 - out["cpu"] - out["pg"])


def cpu_shares(cpu: dict[str, float]) -> str:
    """`bench / PostgreSQL / rest` as % of one CPU."""
    return " / ".join(f"{cpu[k] / cpu['wall']:.0%}" for k in ("cpu", "pg", "rest"))


# --- databases ---------------------------------------------------------------------------------
async def pg_admin(sql: str) -> str:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        return str(await conn.fetchval(sql))
    finally:
        await conn.close()


@dataclass
class Store:
    """One fresh database: pdex's URL for it, and a direct connection for the bulk loader."""

    engine: str
    url: str
    dsn: str | None = None  # PostgreSQL, for asyncpg
    path: Path | None = None  # SQLite file
    conn: Any = None

    @classmethod
    async def create(cls, engine: str, tmp: Path, name: str, made: list[str]) -> Store:
        """A new, empty database; PostgreSQL names go to `made` (to drop at the end)."""
        if engine == "sqlite":
            path = tmp / f"{name}.sqlite3"
            return cls(engine, f"sqlite+aiosqlite:///{path}", path=path)
        made.append(f"pdex_bench_{secrets.token_hex(4)}")
        await pg_admin(f'CREATE DATABASE "{made[-1]}"')
        dsn = f"postgresql://postgres@{PG_HOSTPORT}/{made[-1]}"
        return cls(engine, dsn.replace("postgresql:", "postgresql+asyncpg:"), dsn=dsn)

    async def open(self) -> Database:
        """pdex's `Database` on it, migrated."""
        db = Database(replace(load_settings(), database_url=self.url, db_pool_size=20))
        await upgrade(db.writer)
        return db

    async def write(self, entries: list[tuple], nodes: list[tuple]) -> None:
        """Bulk insert (rows in table column order): COPY on PostgreSQL, executemany in one
        transaction on SQLite."""
        if self.dsn:
            self.conn = self.conn or await asyncpg.connect(self.dsn)
            await self.conn.copy_records_to_table("ledger_entry", records=entries)
            await self.conn.copy_records_to_table("ledger_node", records=nodes)
            return
        self.conn = self.conn or sqlite3.connect(self.path)  # type: ignore[arg-type]
        with self.conn:
            self.conn.executemany(
                "INSERT INTO ledger_entry VALUES (?, ?, ?, ?, ?, ?, ?, ?)", entries
            )
            self.conn.executemany("INSERT INTO ledger_node VALUES (?, ?, ?)", nodes)

    async def finish(self, head: tuple[int, str, str]) -> None:
        """Set `ledger_head` to the loaded log, refresh the planner's statistics, disconnect."""
        if self.dsn:
            await self.conn.execute(SET_HEAD.replace("?", "$"), *head)
            await self.conn.execute("ANALYZE ledger_entry, ledger_node")
            await self.conn.close()
        else:
            with self.conn:
                self.conn.execute(SET_HEAD, head)
            self.conn.execute("ANALYZE")
            self.conn.close()
        self.conn = None


# --- 1. appends --------------------------------------------------------------------------------
@dataclass
class AppendRun:
    engine: str
    writers: int
    appends: int
    cpu: dict[str, float]
    latencies: list[float]
    verify_seconds: float = 0.0
    verified_entries: int = -1

    @property
    def rate(self) -> float:
        return self.appends / self.cpu["wall"]

    @property
    def cpu_us(self) -> float:
        """CPU of the benchmark process per append (µs)."""
        return self.cpu["cpu"] / self.appends * 1e6


async def run_appends(
    db: Database, engine: str, writers: int, total: int, seq0: int, pad: int, verify: bool = True
) -> AppendRun:
    """`total` appends by `writers` concurrent writers, one transaction each; then verify."""
    latencies: list[float] = []
    per_writer = total // writers

    async def writer(w: int) -> None:
        actor = agency(w)
        for n in range(seq0 + w * per_writer, seq0 + (w + 1) * per_writer):
            body = make_body(n, pad)
            t0 = time.perf_counter()
            async with db.transaction() as session:
                await ledger.append(session, KINDS[n % len(KINDS)], actor, body)
            latencies.append(time.perf_counter() - t0)

    with cpu_window() as cpu:
        await asyncio.gather(*(writer(w) for w in range(writers)))
    run = AppendRun(engine, writers, per_writer * writers, cpu, latencies)
    if verify:
        t0 = time.perf_counter()
        report = await audit.verify_database(db)
        assert report.ok, report.problems[:3]
        run.verify_seconds, run.verified_entries = time.perf_counter() - t0, report.entries
    return run


async def bench_appends(store: Store, appends: int, pad: int) -> list[AppendRun]:
    """Part 1 for one engine: a warm-up (pool, prepared statements), then 1, 4, 16 writers."""
    db = await store.open()
    runs = []
    try:
        seq0 = (await run_appends(db, store.engine, 16, 48, 0, pad, verify=False)).appends
        for writers in (1, 4, 16):
            run = await run_appends(db, store.engine, writers, appends, seq0, pad)
            seq0 += run.appends
            assert run.verified_entries == seq0, (run.verified_entries, seq0)
            runs.append(run)
            print(f"  {run.engine}, writers={writers}: {run.rate:,.0f} appends/s", flush=True)
    finally:
        await db.dispose()
    return runs


# --- 2. proofs ---------------------------------------------------------------------------------
@dataclass
class ProofRun:
    engine: str
    size: int
    inclusion: list[float] = field(default_factory=list)
    consistency: list[float] = field(default_factory=list)
    proof_len: int = 0


async def measure_proofs(
    db: Database, engine: str, size: int, roots: dict[int, bytes], old_sizes: list[int]
) -> ProofRun:
    """Times an inclusion proof of a random seq and a consistency proof from each old size to
    `size`, each call alone in its own read session; checks the first 20 of each kind."""
    rng, root, run = random.Random(size), roots[size], ProofRun(engine, size)
    async with db.read() as s:  # warm-up: pool, prepared statements
        for seq in range(10):
            await ledger.inclusion_proof(s, seq, size)
    for i, m in enumerate(old_sizes):
        seq = rng.randrange(size)
        async with db.read() as s:
            t0 = time.perf_counter()
            inclusion = await ledger.inclusion_proof(s, seq, size)
            run.inclusion.append(time.perf_counter() - t0)
        async with db.read() as s:
            t0 = time.perf_counter()
            consistency = await ledger.consistency_proof(s, m, size)
            run.consistency.append(time.perf_counter() - t0)
        run.proof_len = max(run.proof_len, len(inclusion.hashes))
        if i < 20:
            assert inclusion.root_hash == root, "root from the database differs from the loader's"
            assert merkle.verify_inclusion(inclusion.leaf_hash, seq, size, inclusion.hashes, root)
            assert consistency.from_root == roots[m] and consistency.to_root == root
            assert merkle.verify_consistency(m, size, roots[m], root, consistency.hashes)
    return run


# --- 3. verify ---------------------------------------------------------------------------------
@dataclass
class VerifyRun:
    engine: str
    entries: int
    cpu: dict[str, float]

    @property
    def us_per_entry(self) -> float:
        return self.cpu["wall"] / self.entries * 1e6


async def time_verify(db: Database, engine: str, expect: int) -> VerifyRun:
    """`verify_database` once, as `pdex ledger verify` runs it; it must pass."""
    with cpu_window() as cpu:
        report = await audit.verify_database(db)
    assert report.ok, report.problems[:3]
    assert report.entries == expect, (report.entries, expect)
    return VerifyRun(engine, expect, cpu)


async def verify_parts(db: Database, size: int) -> list[tuple[str, float, float]]:
    """Each step of checking the log's ranges (`ledger.ranges.check_range`), timed alone over
    the whole log, range by range in this one process over one driver connection: (step,
    wall µs/entry, this process's CPU µs/entry). Wall minus CPU in the database steps is
    PostgreSQL's part (and the wire's)."""
    totals: dict[str, list[float]] = {}

    @contextlib.contextmanager
    def step(label: str) -> Iterator[None]:
        w0, c0 = time.perf_counter(), time.process_time()
        yield
        spent = totals.setdefault(label, [0.0, 0.0])
        spent[0] += time.perf_counter() - w0
        spent[1] += time.process_time() - c0

    connection = await asyncpg.connect(ranges.postgres_dsn(db.settings.database_url))
    reader = ranges.PgReader(connection)
    width = len(ranges.COLUMNS)
    try:
        for start in range(0, size, audit.CHUNK):
            end = min(start + audit.CHUNK, size)
            prev = await reader.hash_before(start)
            chunks: list[bytes] = []

            async def keep(data: bytes, chunks: list[bytes] = chunks) -> None:
                chunks.append(data)

            with step("COPY of the range's rows (`PgReader.fields`)"):
                query = ranges._ROWS.format(start=start, end=end)
                await connection.copy_from_query(query, output=keep)
                data = b"".join(chunks)
            with step("split into fields (`copy_fields`)"):
                fields = ranges.copy_fields(data, width)
            with step("seq, prev, document, SHA-256, JSON checks (`entry_leaves`)"):
                leaves, problem = ranges.entry_leaves(fields, start, prev)
            assert not problem and len(leaves) == end - start, problem
            with step("… of which the JSON checks of actor and subjects (timed apart)"):
                loads = orjson.loads
                for i in range(0, len(fields), width):
                    loads(fields[i + 2])
                    loads(fields[i + 6])
            with step("tree recomputed a level at a time (`tree_levels`)"):
                levels = ranges.tree_levels(leaves)
            with step("stored nodes compared a level at a time (`node_problem`)"):
                assert await ranges.node_problem(reader, start, levels) is None
    finally:
        await connection.close()
    return [(label, wall / size * 1e6, cpu / size * 1e6) for label, (wall, cpu) in totals.items()]


def run_cli_verify(store: Store, tmp: Path) -> tuple[float, int, str]:
    """The real `pdex ledger verify` against `store`: wall seconds, exit status, output."""
    env = dict(os.environ, PDEX_DATABASE_URL=store.dsn or store.url, PDEX_DATA_DIR=str(tmp))
    t0 = time.perf_counter()
    argv = [str(ROOT / ".venv" / "bin" / "pdex"), "ledger", "verify"]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - t0, proc.returncode, (proc.stdout + proc.stderr).strip()


# --- the run -----------------------------------------------------------------------------------
@dataclass
class Results:
    appends: list[AppendRun] = field(default_factory=list)
    nodes: int = 0
    proofs: list[ProofRun] = field(default_factory=list)
    verifies: list[VerifyRun] = field(default_factory=list)
    parts: list[tuple[str, float, float]] = field(default_factory=list)
    cli: tuple[float, int, str] | None = None  # wall, exit status, output


async def bench_large(
    stores: list[Store], args: argparse.Namespace, res: Results, pool: ProcessPoolExecutor
) -> None:
    """Parts 2 and 3: one loader gives every engine the same entries, small size then large."""
    rng = random.Random(20261127)
    old_sizes = {size: [rng.randrange(1, size) for _ in range(args.proofs)] for size in args.sizes}
    loader = BulkLoader(pool, args.pad, {*args.sizes, *sum(old_sizes.values(), [])})
    dbs = {store.engine: await store.open() for store in stores}
    try:
        for size in args.sizes:
            t0, start = time.perf_counter(), loader.size
            for entries, nodes in loader.extend(size):
                for store in stores:
                    await store.write(entries, nodes)
            for store in stores:
                await store.finish(loader.head)
            res.nodes = loader.nodes
            print(f"  loaded {start:,} → {size:,} in {time.perf_counter() - t0:.1f} s", flush=True)
            for engine, db in dbs.items():
                p = await measure_proofs(db, engine, size, loader.roots, old_sizes[size])
                res.proofs.append(p)
                print(
                    f"  {engine} proofs at {size:,}: p50 {ms(pct(p.inclusion, 0.5))} ms", flush=True
                )
            for engine, db in dbs.items():
                res.verifies.append(await time_verify(db, engine, size))
                print(
                    f"  {engine} verify: {res.verifies[-1].us_per_entry:.1f} µs/entry", flush=True
                )
        if "postgres" in dbs:
            res.parts = await verify_parts(dbs["postgres"], loader.size)
            pg = next(store for store in stores if store.engine == "postgres")
            res.cli = run_cli_verify(pg, args.tmp)
            print(f"  pdex ledger verify: {res.cli[0]:.1f} s, {res.cli[2]}", flush=True)
            assert res.cli[1] == 0, res.cli
    finally:
        for db in dbs.values():
            await db.dispose()


async def main_async(args: argparse.Namespace, pool: ProcessPoolExecutor) -> Results:
    res = Results()
    made: list[str] = []  # PostgreSQL databases, dropped at the end
    try:
        with tempfile.TemporaryDirectory(prefix="pdex-bench-ledger-") as tmpdir:
            args.tmp = Path(tmpdir)
            print("1. appends", flush=True)
            for engine in args.engines:
                store = await Store.create(engine, args.tmp, "appends", made)
                res.appends += await bench_appends(store, args.appends, args.pad)
            print("2. proofs, 3. verify", flush=True)
            stores = [await Store.create(e, args.tmp, "large", made) for e in args.engines]
            await bench_large(stores, args, res, pool)
    finally:
        for name in made:
            await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return res


# --- the report --------------------------------------------------------------------------------
async def environment() -> list[str]:
    """Markdown bullets: the machine, the software and the code measured."""
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((x.split(":", 1)[1].strip() for x in cpuinfo if x.startswith("model name")), "")
    pg = await pg_admin(
        "SELECT current_setting('server_version') || ' (' || string_agg(name || '=' || setting"
        " || coalesce(unit, ''), ', ' ORDER BY name) || ')' FROM pg_settings WHERE name IN"
        " ('shared_buffers', 'synchronous_commit', 'fsync', 'wal_sync_method')"
    )
    files = ("ledger/log.py", "ledger/proofs.py", "ledger/audit.py", "ledger/canonical.py")
    sha = {name: hashlib.sha256((ROOT / name).read_bytes()).hexdigest()[:12] for name in files}
    return [
        f"- Machine: {os.cpu_count()} CPUs (`nproc`), {model}, {platform.platform()}",
        f"- Python {platform.python_version()}, PostgreSQL {pg}, SQLite {sqlite3.sqlite_version}; "
        + dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "- Code measured: " + ", ".join(f"`{name}` sha256 {h}" for name, h in sha.items()),
    ]


def markdown(res: Results, env: list[str], args: argparse.Namespace, minutes: float) -> str:
    """This script's section of BENCHMARKS.md."""
    small, large = args.sizes
    target = [  # a blank line, then the sentence
        f"\nTarget: {TARGET_APPENDS:,} appends/s at 16 writers on PostgreSQL; this run: "
        f"{r.rate:,.0f}/s ({r.rate / TARGET_APPENDS:.2f}× the target), with this process at "
        f"{r.cpu['cpu'] / r.cpu['wall']:.0%} of a CPU, {r.cpu_us:,.0f} µs of CPU per append."
        for r in res.appends
        if r.engine == "postgres" and r.writers == 16
    ]
    out = [
        SECTION,
        "",
        "Written by `bench/ledger.py`; rerun it to refresh this section. Real numbers, one run.",
        "",
        f"- Command: `{args.command}` (whole run {minutes:.1f} min)",
        *env,
        f"- Entries: {len(document_bytes(args.pad))} bytes of canonical JSON each (strings and "
        "ints only), an agency principal as actor (so each append also writes one "
        "`ledger_party` row), no subjects. Every database is fresh and migrated.",
        "- `CPU %`: CPU time over wall time (100 % = one CPU) of this benchmark process / all "
        "`postgres` processes / every other process on the machine, in the same window.",
        "",
        "### 1. Appends (one transaction each)",
        "",
        "| engine | writers | appends | appends/s | p50 ms | p99 ms | bench CPU µs/append "
        "| CPU % bench / PostgreSQL / rest | verified after |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
        *[
            f"| {r.engine} | {r.writers} | {r.appends:,} | **{r.rate:,.0f}** | "
            f"{ms(pct(r.latencies, 0.5))} | {ms(pct(r.latencies, 0.99))} | {r.cpu_us:,.0f} | "
            f"{cpu_shares(r.cpu)} | ok, {r.verified_entries:,} entries, {r.verify_seconds:.2f} s |"
            for r in res.appends
        ],
        *target,
        "",
        f"### 2. Proof latency at {small:,} and {large:,} entries",
        "",
        f"- {res.nodes:,} `ledger_node` rows at {large:,} entries. {args.proofs} random seqs "
        f"(inclusion) and {args.proofs} random old sizes (consistency to the current size), "
        "each call timed alone in its own read session (`ledger.inclusion_proof` / "
        "`ledger.consistency_proof`); the first 20 of each verified (`merkle.verify_inclusion` / "
        "`verify_consistency`) against roots the loader computed, not read from the database.",
        "",
        "| engine | tree size | inclusion p50 ms | p99 ms | consistency p50 ms | p99 ms "
        "| max proof hashes |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *[
            f"| {p.engine} | {p.size:,} | {ms(pct(p.inclusion, 0.5))} | "
            f"{ms(pct(p.inclusion, 0.99))} | {ms(pct(p.consistency, 0.5))} | "
            f"{ms(pct(p.consistency, 0.99))} | {p.proof_len} |"
            for p in res.proofs
        ],
        "",
        "### 3. Verify",
        "",
        "| engine | entries | `verify_database` s | µs/entry | CPU % bench / PostgreSQL / rest |",
        "|---|---:|---:|---:|---|",
        *[
            f"| {v.engine} | {v.entries:,} | {v.cpu['wall']:.1f} | **{v.us_per_entry:.1f}** | "
            f"{cpu_shares(v.cpu)} |"
            for v in res.verifies
        ],
    ]
    if res.cli:
        wall, status, output = res.cli
        out += [
            "",
            f"Real CLI, PostgreSQL, {large:,} entries: `PDEX_DATABASE_URL=postgresql://postgres@"
            f"{PG_HOSTPORT}/<db> .venv/bin/pdex ledger verify` → {wall:.1f} s wall "
            f"({wall / large * 1e6:.1f} µs/entry, interpreter start-up included), exit {status}, "
            f"output `{output}`.",
        ]
    if res.parts:
        out += ["", *parts_table(res.parts, large)]
    return "\n".join(out) + "\n"


def parts_table(parts: list[tuple[str, float, float]], entries: int) -> list[str]:
    """Markdown lines for `verify_parts`."""
    return [
        f"Its steps, each timed alone (PostgreSQL, {entries:,} entries, range by range in one "
        "process; wall minus CPU is the database's part):",
        "",
        "| step | wall µs/entry | CPU µs/entry (this process) |",
        "|---|---:|---:|",
        *[f"| {label} | {wall:.2f} | {cpu:.2f} |" for label, wall, cpu in parts],
    ]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes 10k/100k: a smoke check")
    parser.add_argument("--engines", default="postgres,sqlite", help="postgres,sqlite")
    parser.add_argument("--appends", type=int, help="appends per writer setting (default 4800)")
    parser.add_argument("--proofs", type=int, default=200, help="proofs timed per tree size")
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md", help="'-': none")
    args = parser.parse_args(argv)
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if not args.engines or set(args.engines) - {"postgres", "sqlite"}:
        parser.error("engines: postgres, sqlite")
    args.sizes = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    args.appends = args.appends or (480 if args.quick else 4800)
    args.appends -= args.appends % 16  # every writer setting divides it evenly
    shown = sys.argv[1:] if argv is None else argv
    args.command = " ".join([".venv/bin/python bench/ledger.py", *map(shlex.quote, shown)])
    args.pad = max(0, TARGET_DOC_BYTES - len(document_bytes(0)))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started, env = time.perf_counter(), asyncio.run(environment())  # the code as imported
    with ProcessPoolExecutor() as pool:
        # Start the workers now, before the event loop, its threads and connections exist.
        list(pool.map(canon_chunk, range(8), repeat(1), repeat(actor_doc(agency(0))), repeat(0)))
        res = asyncio.run(main_async(args, pool))
    text = markdown(res, env, args, (time.perf_counter() - started) / 60)
    print("\n" + text)
    if str(args.output) != "-":
        api.write_section(SECTION, text, args.output, kept=KEPT)
        print(f"wrote the {SECTION!r} section of {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
