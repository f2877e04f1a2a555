"""What an auditor runs against the database: `pdex ledger verify` and `pdex ledger export`.

`verify_database` streams the log once, in seq order, re-deriving every entry hash, the
chain, every stored tree node and the root at every checkpoint, then checks every checkpoint
signature. It reports the first bad seq, so tampering with any stored row is located.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from core.db import Database
from ledger.canonical import GENESIS_PREV, stored_entry_bytes
from ledger.merkle import EMPTY_ROOT, append_leaf, leaf_hash, root_from_frontier
from ledger.models import Checkpoint, Cosignature, LedgerEntry, LedgerHead, LedgerNode, WitnessKey
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


async def _entry_batches(db: Database) -> AsyncIterator[list[Any]]:
    """Entry rows in seq order, a batch per short read (plain rows: no ORM objects)."""
    after = -1
    while True:
        async with db.read() as session:
            statement = (
                sa.select(*ENTRY_COLUMNS)
                .where(LedgerEntry.seq > after)
                .order_by(LedgerEntry.seq)
                .limit(BATCH)
            )
            rows = list(await session.execute(statement))
        if not rows:
            return
        yield rows
        after = rows[-1].seq


def _entry_problem(row: Any, seq: int, prev: str) -> str | None:
    """Why stored `row` cannot be entry `seq` after hash `prev`; None if it can."""
    if row.seq != seq:
        return f"expected seq {seq}, found {row.seq}"
    if row.prev != prev:
        return "prev does not match the hash of the entry before"
    document = stored_entry_bytes(
        row.seq, row.kind, row.actor, row.at, row.prev, row.body, row.subjects
    )
    if leaf_hash(document).hex() != row.hash:
        return "stored hash does not match the entry's content"
    return None


async def _nodes_for(db: Database, first_seq: int, last_seq: int) -> dict[tuple[int, int], bytes]:
    """Every stored node that appending leaves first_seq..last_seq created."""
    conditions = [
        sa.and_(
            LedgerNode.level == level, LedgerNode.idx.between(first_seq >> level, last_seq >> level)
        )
        for level in range(max(last_seq, 1).bit_length() + 1)
    ]
    async with db.read() as session:
        rows = await session.execute(
            sa.select(LedgerNode.level, LedgerNode.idx, LedgerNode.hash).where(sa.or_(*conditions))
        )
        return {(lv, ix): bytes(h) for lv, ix, h in rows}


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


# Art. 24: anyone entitled re-derives every hash and signature of the chain
async def verify_database(db: Database) -> AuditReport:
    report = AuditReport()
    checkpoints, witness_keys = await _checkpoints_wire(db)
    roots_wanted = {cp["treeSize"] for cp in checkpoints}
    roots: dict[int, bytes] = {0: EMPTY_ROOT}
    frontier: list[bytes] = []
    size, prev = 0, GENESIS_PREV

    def fail(seq: int, reason: str) -> AuditReport:
        report.first_bad_seq = seq
        report.problems.append(f"seq {seq}: {reason}")
        return report

    async for rows in _entry_batches(db):
        stored_nodes = await _nodes_for(db, rows[0].seq, rows[-1].seq)
        for row in rows:
            problem = _entry_problem(row, size, prev)
            if problem is not None:
                return fail(size, problem)
            frontier, created = append_leaf(frontier, size, bytes.fromhex(row.hash))
            for level, idx, digest in created:
                if stored_nodes.get((level, idx)) != digest:
                    return fail(
                        size, f"stored tree node (level {level}, index {idx}) is wrong or missing"
                    )
            size += 1
            prev = row.hash
            if size in roots_wanted:
                roots[size] = root_from_frontier(frontier)
        report.entries = size

    async with db.read() as session:
        head = (await session.execute(sa.select(LedgerHead))).scalar_one()
    if head.size != size or head.last_hash != (prev if size else GENESIS_PREV):
        report.problems.append(
            f"ledger head says {head.size} entries ending {head.last_hash[:12]}…; "
            f"the log has {size}"
        )
    elif [bytes.fromhex(h) for h in json.loads(head.frontier)] != frontier:
        report.problems.append("ledger head frontier does not match the entries")

    for cp in checkpoints:
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
