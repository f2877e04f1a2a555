"""What an auditor runs against the database: `pdex ledger verify` and `pdex ledger export`.

`verify_database` reads the log once, re-deriving every entry hash, the chain, every stored
tree node and the root at every checkpoint, then checks every checkpoint signature. It
reports the first bad seq, so tampering with any stored row is located. Ranges of the log are
checked in parallel processes (issue 14 §6; what a range checks, and how it reads the rows,
is in `ledger/ranges.py`), their results combined here in seq order with the few stored
nodes above the ranges.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from core.db import Database
from ledger import ranges
from ledger.canonical import GENESIS_PREV
from ledger.merkle import EMPTY_ROOT, append_leaf, root_from_frontier
from ledger.models import Checkpoint, Cosignature, LedgerEntry, LedgerHead, LedgerNode, WitnessKey
from ledger.ranges import Field, RangeResult
from ledger.verify import BUNDLE_FORMAT, verify_checkpoint

BATCH = 5000


@dataclass
class AuditReport:
    entries: int = 0
    checkpoints: int = 0
    first_bad_seq: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def entry_wire(row: Any) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "kind": row.kind,
        "actor": json.loads(row.actor),
        "at": row.at,
        "prev": row.prev,
        "body": json.loads(row.body),
        "subjects": json.loads(row.subjects),
        "hash": row.hash,
    }


ENTRY_COLUMNS = (
    LedgerEntry.seq,
    LedgerEntry.kind,
    LedgerEntry.actor,
    LedgerEntry.at,
    LedgerEntry.prev,
    LedgerEntry.body,
    LedgerEntry.subjects,
    LedgerEntry.hash,
)


async def _entry_batches(
    db: Database, start: int = 0, end: int | None = None
) -> AsyncIterator[list[Any]]:
    """Entry rows with start <= seq < end in seq order, a batch per short read (plain rows)."""
    after = start - 1
    while True:
        async with db.read() as session:
            statement = sa.select(*ENTRY_COLUMNS).where(LedgerEntry.seq > after)
            if end is not None:
                statement = statement.where(LedgerEntry.seq < end)
            rows = list(await session.execute(statement.order_by(LedgerEntry.seq).limit(BATCH)))
        if not rows:
            return
        yield rows
        after = rows[-1].seq


async def _checkpoints_wire(db: Database) -> tuple[list[dict[str, Any]], dict[str, bytes]]:
    async with db.read() as session:
        checkpoints = list(
            (await session.execute(sa.select(Checkpoint).order_by(Checkpoint.tree_size))).scalars()
        )
        witnesses = {w.id: w for w in (await session.execute(sa.select(WitnessKey))).scalars()}
        cosigs = list((await session.execute(sa.select(Cosignature))).scalars())
    from ledger import signing

    by_size: dict[int, list[Cosignature]] = {}
    for c in cosigs:
        by_size.setdefault(c.tree_size, []).append(c)
    wire = []
    for cp in checkpoints:
        signatures = [bytes.fromhex(cp.signature)] + [
            bytes.fromhex(c.signature) for c in by_size.get(cp.tree_size, [])
        ]
        wire.append(
            {
                "origin": cp.origin,
                "treeSize": cp.tree_size,
                "rootHash": cp.root_hash,
                "timestamp": cp.timestamp,
                "publicKey": cp.public_key,
                "signature": cp.signature,
                "cosignatures": [
                    {"witness": str(c.witness_id), "signature": c.signature}
                    for c in sorted(by_size.get(cp.tree_size, []), key=lambda c: str(c.witness_id))
                ],
                "aggregateSignature": signing.aggregate(signatures).hex(),
            }
        )
    return wire, {str(w.id): bytes.fromhex(w.public_key) for w in witnesses.values()}


Progress = Callable[[str, int, int | None], None]

# `pdex ledger verify` splits the log into aligned ranges of CHUNK entries (a power of two, so
# each range is one complete subtree) and checks them in parallel processes
# (`ledger/ranges.py`): every row carries its `prev`, so a range needs only the stored hash
# of the row before it.
CHUNK = 1 << 15


class SessionReader:
    """`ranges.RangeReader` through pdex's sessions (SQLite; PostgreSQL reads with the
    driver directly, `ranges.PgReader`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def hash_before(self, start: int) -> bytes | None:
        if start == 0:
            return GENESIS_PREV.encode()
        async with self.db.read() as session:
            statement = sa.select(LedgerEntry.hash).where(LedgerEntry.seq == start - 1)
            found = (await session.execute(statement)).scalar_one_or_none()
        return None if found is None else found.encode()

    async def fields(self, start: int, end: int) -> list[Field]:
        statement = (
            sa.select(*ENTRY_COLUMNS)
            .where(LedgerEntry.seq >= start, LedgerEntry.seq < end)
            .order_by(LedgerEntry.seq)
        )
        async with self.db.read() as session:
            rows = (await session.execute(statement)).tuples().all()
        return [None if value is None else str(value).encode() for row in rows for value in row]

    async def nodes(self, level: int, lo: int, hi: int) -> dict[int, bytes]:
        statement = sa.select(LedgerNode.idx, LedgerNode.hash).where(
            LedgerNode.level == level, LedgerNode.idx.between(lo, hi)
        )
        async with self.db.read() as session:
            return {idx: bytes(digest) for idx, digest in await session.execute(statement)}

    async def level(self, level: int, lo: int, hi: int) -> tuple[int, bool, bytes]:
        stored = await self.nodes(level, lo, hi)
        hashes = [stored[idx] for idx in sorted(stored)]
        return len(hashes), all(len(h) == 32 for h in hashes), b"".join(hashes)

    async def next_seq(self, seq: int) -> int | None:
        async with self.db.read() as session:
            statement = sa.select(sa.func.min(LedgerEntry.seq)).where(LedgerEntry.seq >= seq)
            return (await session.execute(statement)).scalar_one_or_none()


async def _check_range(db: Database, start: int, end: int, wanted: frozenset[int]) -> RangeResult:
    """One range in this process: PostgreSQL through a pooled connection's driver."""
    if db.is_sqlite:
        return await ranges.check_range(SessionReader(db), start, end, wanted)
    async with db.read() as session:
        connection = await session.connection()
        driver = (await connection.get_raw_connection()).driver_connection
        return await ranges.check_range(ranges.PgReader(driver), start, end, wanted)


async def _range_results(
    db: Database, size: int, chunk: int, workers: int, wanted: set[int]
) -> AsyncIterator[RangeResult]:
    """Each range's result in seq order; ranges run in `workers` processes (in this one when
    the log fits in one range or `workers` is 1)."""
    spans = [(s, min(s + chunk, size)) for s in range(0, size, chunk)]
    needs = [frozenset(w - s for w in wanted if s < w <= e) for s, e in spans]
    if workers <= 1 or len(spans) <= 1:
        for (start, end), need in zip(spans, needs, strict=True):
            yield await _check_range(db, start, end, need)
        return
    loop = asyncio.get_running_loop()
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(spans)),
        mp_context=multiprocessing.get_context("spawn"),  # no inherited pools or threads
        initializer=ranges.start_worker,
        initargs=(db.settings,),
    )
    try:
        futures = [
            loop.run_in_executor(pool, ranges.check_in_worker, s, e, need)
            for (s, e), need in zip(spans, needs, strict=True)
        ]
        for future in futures:
            yield await future
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# Art. 24: anyone entitled re-derives every hash and signature of the chain
async def verify_database(
    db: Database,
    progress: Progress | None = None,
    *,
    workers: int | None = None,
    chunk: int = CHUNK,
) -> AuditReport:
    """`progress(stage, done, total)` is called after each range of entries and each
    checkpoint, so a long run shows it is moving. `workers` processes (default: one per
    CPU) check ranges of `chunk` entries (a power of two) at once."""
    if chunk < 1 or chunk & (chunk - 1):
        raise ValueError(f"chunk must be a power of two, got {chunk}")
    workers = (os.cpu_count() or 1) if workers is None else workers
    report = AuditReport()
    checkpoints, witness_keys = await _checkpoints_wire(db)
    async with db.read() as session:
        last_seq = (await session.execute(sa.select(sa.func.max(LedgerEntry.seq)))).scalar()
        head = (await session.execute(sa.select(LedgerHead))).scalar_one()
    total = 0 if last_seq is None else last_seq + 1
    roots_wanted = {cp["treeSize"] for cp in checkpoints} | {total}
    roots: dict[int, bytes] = {0: EMPTY_ROOT}
    level_k = chunk.bit_length() - 1  # each full range is one node at this level
    top: list[bytes] = []  # the frontier over the full ranges' roots, as leaves of level k
    top_nodes: dict[tuple[int, int], bytes] | None = None
    tail: list[bytes] = []  # the frontier of a last, partial range
    size, prev = 0, GENESIS_PREV

    def fail(seq: int, reason: str) -> AuditReport:
        report.first_bad_seq = seq
        report.problems.append(f"seq {seq}: {reason}")
        return report

    async for result in _range_results(db, total, chunk, workers, roots_wanted):
        for local, snapshot in result.snapshots.items():
            if local < chunk:
                roots[result.start + local] = root_from_frontier(top + snapshot)
        if result.problem is not None:
            return fail(*result.problem)
        size, prev = result.start + result.count, result.last_hash
        if result.count == chunk:
            if top_nodes is None:
                top_nodes = await _nodes_above(db, level_k)
            top, created = append_leaf(top, result.start >> level_k, result.frontier[0])
            for level, idx, digest in created[1:]:  # [0] is the range's root, checked there
                if top_nodes.get((level + level_k, idx)) != digest:
                    where = f"level {level + level_k}, index {idx}"
                    return fail(size - 1, f"stored tree node ({where}) is wrong or missing")
            if size in roots_wanted:
                roots[size] = root_from_frontier(top)
        else:
            tail = result.frontier
        report.entries = size
        if progress:
            progress("entries", size, total)
    frontier = top + tail

    if head.size != size or head.last_hash != (prev if size else GENESIS_PREV):
        report.problems.append(
            f"ledger head says {head.size} entries ending {head.last_hash[:12]}…; "
            f"the log has {size}"
        )
    elif [bytes.fromhex(h) for h in json.loads(head.frontier)] != frontier:
        report.problems.append("ledger head frontier does not match the entries")

    for number, cp in enumerate(checkpoints, 1):
        if progress:
            progress("checkpoints", number, len(checkpoints))
        tree_size = cp["treeSize"]
        if tree_size > size:
            report.problems.append(f"checkpoint {tree_size}: beyond the {size} entries in the log")
            continue
        if roots.get(tree_size) != bytes.fromhex(cp["rootHash"]):
            report.problems.append(f"checkpoint {tree_size}: root does not match the entries")
            continue
        problems = verify_checkpoint(cp, bytes.fromhex(cp["publicKey"]), witness_keys)
        report.problems += problems
        report.checkpoints += not problems
    return report


async def _nodes_above(db: Database, level: int) -> dict[tuple[int, int], bytes]:
    """The few stored nodes above the ranges' roots (log2(n / CHUNK) levels)."""
    async with db.read() as session:
        statement = sa.select(LedgerNode.level, LedgerNode.idx, LedgerNode.hash)
        rows = await session.execute(statement.where(LedgerNode.level > level))
        return {(lv, ix): bytes(h) for lv, ix, h in rows}


async def export_bundle(db: Database, path: Path, *, origin: str, platform_public_key: str) -> int:
    """Write an offline-verifiable bundle (format `pdex-ledger-bundle/v1`); return entries."""
    checkpoints, witness_keys = await _checkpoints_wire(db)
    count = 0
    with path.open("w", encoding="utf-8") as out:
        header = {
            "format": BUNDLE_FORMAT,
            "origin": origin,
            "platformPublicKey": platform_public_key,
            "witnesses": [
                {"id": wid, "publicKey": key.hex()} for wid, key in sorted(witness_keys.items())
            ],
        }
        out.write(json.dumps(header)[:-1] + ', "entries": [\n')
        async for rows in _entry_batches(db):
            for row in rows:
                out.write(
                    ("" if count == 0 else ",\n") + json.dumps(entry_wire(row), ensure_ascii=False)
                )
                count += 1
        out.write("\n], " + json.dumps({"checkpoints": checkpoints})[1:] + "\n")
    return count
