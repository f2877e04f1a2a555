"""Inclusion and consistency proofs from the stored subtree hashes: one query each.

The proof generators in `merkle.py` say which nodes they will read; we fetch exactly those
O(log n) rows in one statement and run the generator over them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from core.db import AsyncSession
from core.errors import UserError
from ledger import merkle
from ledger.errors import Code
from ledger.models import LedgerEntry, LedgerHead, LedgerNode


@dataclass(frozen=True)
class InclusionProof:
    seq: int
    tree_size: int
    leaf_hash: bytes
    hashes: list[bytes]
    root_hash: bytes


@dataclass(frozen=True)
class ConsistencyProof:
    from_size: int
    to_size: int
    hashes: list[bytes]
    from_root: bytes
    to_root: bytes


async def tree_size(session: AsyncSession) -> int:
    return (
        await session.execute(sa.select(LedgerHead.size).where(LedgerHead.id == 1))
    ).scalar_one()


async def _nodes(
    session: AsyncSession, keys: list[tuple[int, int]]
) -> dict[tuple[int, int], bytes]:
    if not keys:
        return {}
    keys = list(dict.fromkeys(keys))
    if session.bind.dialect.name == "sqlite":
        # SQLite plans a row-value IN as a full scan of ledger_node (160 ms at 1M entries);
        # `(level = ? AND idx = ?) OR …` becomes primary-key seeks.
        match = sa.or_(*(sa.and_(LedgerNode.level == lv, LedgerNode.idx == ix) for lv, ix in keys))
    else:
        match = sa.tuple_(LedgerNode.level, LedgerNode.idx).in_(keys)
    rows = await session.execute(
        sa.select(LedgerNode.level, LedgerNode.idx, LedgerNode.hash).where(match)
    )
    found = {(level, idx): bytes(h) for level, idx, h in rows}
    missing = set(keys) - set(found)
    if missing:  # would mean a broken store; `pdex ledger verify` says where
        raise LookupError(f"ledger nodes missing: {sorted(missing)[:5]}")
    return found


async def root_at(session: AsyncSession, size: int) -> bytes:
    keys = merkle.range_nodes(0, size)
    nodes = await _nodes(session, keys)
    return merkle.range_hash(0, size, lambda lv, ix: nodes[(lv, ix)])


async def _check_size(session: AsyncSession, size: int, field: str) -> int:
    current = await tree_size(session)
    if not 1 <= size <= current:
        raise UserError(
            Code.TREE_SIZE_INVALID,
            f"The tree has {current} entries; ask for a size from 1 to {current}.",
            field,
        )
    return current


# Art. 24: a recorded fact is proved to be in the chain in O(log n)
async def inclusion_proof(session: AsyncSession, seq: int, size: int) -> InclusionProof:
    """Proof that entry `seq` is in the tree of `size` entries (RFC 9162 §2.1.3)."""
    (proof,) = await inclusion_proofs(session, [seq], size)
    return proof


async def inclusion_proofs(
    session: AsyncSession, seqs: Sequence[int], size: int
) -> list[InclusionProof]:
    """Proofs for several entries against one tree, in the order asked: one read of the
    nodes they all need and one of their leaf hashes, so a page of certificates or receipts
    costs two statements, not two per row."""
    await _check_size(session, size, "treeSize")
    return await _inclusion_proofs(session, seqs, size)


async def _inclusion_proofs(
    session: AsyncSession, seqs: Sequence[int], size: int
) -> list[InclusionProof]:
    for seq in seqs:
        if not 0 <= seq < size:
            raise UserError(
                Code.SEQ_OUT_OF_RANGE, f"Entry {seq} is not in a tree of {size} entries.", "seq"
            )
    keys = merkle.range_nodes(0, size)
    for seq in seqs:
        keys += merkle.inclusion_nodes(seq, size)
    nodes = await _nodes(session, keys)
    get = lambda lv, ix: nodes[(lv, ix)]  # noqa: E731
    leaves = dict(
        (
            await session.execute(
                sa.select(LedgerEntry.seq, LedgerEntry.hash).where(LedgerEntry.seq.in_(set(seqs)))
            )
        ).all()
    )
    root = merkle.range_hash(0, size, get)
    return [
        InclusionProof(
            seq, size, bytes.fromhex(leaves[seq]), merkle.inclusion_proof(seq, size, get), root
        )
        for seq in seqs
    ]


async def current_inclusion_proofs(
    session: AsyncSession, seqs: Sequence[int]
) -> list[InclusionProof]:
    """`inclusion_proofs` against the tree as it is now (a DataLoader batch)."""
    return await _inclusion_proofs(session, seqs, await tree_size(session))


# Art. 24: a later tree head is proved to extend an earlier one
async def consistency_proof(
    session: AsyncSession, from_size: int, to_size: int
) -> ConsistencyProof:
    """Proof that the tree of `to_size` extends the tree of `from_size` (RFC 9162 §2.1.4)."""
    await _check_size(session, to_size, "toSize")
    if not 1 <= from_size <= to_size:
        raise UserError(
            Code.TREE_SIZE_INVALID, "`fromSize` must be from 1 to `toSize`.", "fromSize"
        )
    keys = (
        merkle.consistency_nodes(from_size, to_size)
        + merkle.range_nodes(0, from_size)
        + merkle.range_nodes(0, to_size)
    )
    nodes = await _nodes(session, keys)
    get = lambda lv, ix: nodes[(lv, ix)]  # noqa: E731
    return ConsistencyProof(
        from_size,
        to_size,
        merkle.consistency_proof(from_size, to_size, get),
        merkle.range_hash(0, from_size, get),
        merkle.range_hash(0, to_size, get),
    )
