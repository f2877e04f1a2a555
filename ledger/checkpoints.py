"""Signed checkpoints: the platform's BLS signature over (origin, size, root, time).

Signing costs ~0.1 s in pure Python, so it never happens per entry: the server calls
`publish_checkpoint` every few seconds (it signs only if the log grew), and on demand.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from core.clock import now
from core.db import AsyncSession, Database, dialect_insert
from core.settings import Settings
from ledger import signing
from ledger.canonical import format_time
from ledger.models import Checkpoint, Cosignature, LedgerHead, WitnessKey
from ledger.proofs import root_at

log = logging.getLogger("pdex.ledger")


@dataclass(frozen=True)
class Signer:
    origin: str
    secret_key: int

    @property
    def public_key(self) -> bytes:
        return signing.public_key(self.secret_key)


def load_signer(settings: Settings) -> Signer:
    """The platform key: `PDEX_LEDGER_KEY` (hex), else the key file, else one generated on
    first start in the data directory (the embedded default)."""
    raw = os.environ.get("PDEX_LEDGER_KEY")
    if raw:
        return Signer(settings.ledger_origin, int(raw, 16))
    path = settings.ledger_key_file or Path(settings.data_dir) / "ledger-key.hex"
    if not path.exists():
        if not settings.is_sqlite:
            log.warning("generating a ledger signing key at %s; set PDEX_LEDGER_KEY_FILE", path)
        path.parent.mkdir(parents=True, exist_ok=True)
        signing.save_secret_key(path, signing.generate_secret_key())
    return Signer(settings.ledger_origin, signing.load_secret_key(path))


def message(checkpoint: Checkpoint) -> bytes:
    return signing.checkpoint_message(
        checkpoint.origin,
        checkpoint.tree_size,
        bytes.fromhex(checkpoint.root_hash),
        checkpoint.timestamp,
    )


async def latest_checkpoint(session: AsyncSession) -> Checkpoint | None:
    return await session.scalar(
        sa.select(Checkpoint).order_by(Checkpoint.tree_size.desc()).limit(1)
    )


async def get_checkpoint(session: AsyncSession, tree_size: int) -> Checkpoint | None:
    return await session.get(Checkpoint, tree_size)


# Art. 24: the chain's tree head is signed by the platform at intervals
async def publish_checkpoint(db: Database, signer: Signer) -> Checkpoint | None:
    """Sign the current tree unless the latest checkpoint already covers it."""
    async with db.read() as session:
        size = (await session.execute(sa.select(LedgerHead.size))).scalar_one()
        latest = await latest_checkpoint(session)
        if size == 0 or (latest is not None and latest.tree_size >= size):
            return latest
        root = await root_at(session, size)
    timestamp = format_time(now())
    body = signing.checkpoint_message(signer.origin, size, root, timestamp)
    signature = await asyncio.to_thread(signing.sign, signer.secret_key, body)
    values = {
        "tree_size": size,
        "origin": signer.origin,
        "root_hash": root.hex(),
        "timestamp": timestamp,
        "public_key": signer.public_key.hex(),
        "signature": signature.hex(),
    }
    async with db.transaction() as session:
        insert = dialect_insert(session, Checkpoint)
        await session.execute(insert.values(**values).on_conflict_do_nothing())
    async with db.read() as session:
        return await get_checkpoint(session, size)


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint with its co-signatures and the aggregate of all signatures over it."""

    checkpoint: Checkpoint
    cosignatures: list[tuple[WitnessKey, Cosignature]]

    @property
    def aggregate_signature(self) -> bytes:
        signatures = [bytes.fromhex(self.checkpoint.signature)]
        signatures += [bytes.fromhex(c.signature) for _, c in self.cosignatures]
        return signing.aggregate(signatures)

    @property
    def signer_keys(self) -> list[bytes]:
        """The keys the aggregate verifies against, platform first (FastAggregateVerify)."""
        keys = [bytes.fromhex(self.checkpoint.public_key)]
        return keys + [bytes.fromhex(w.public_key) for w, _ in self.cosignatures]


async def signed_checkpoint(session: AsyncSession, checkpoint: Checkpoint) -> SignedCheckpoint:
    rows = await session.execute(
        sa.select(WitnessKey, Cosignature)
        .join(Cosignature, Cosignature.witness_id == WitnessKey.id)
        .where(Cosignature.tree_size == checkpoint.tree_size)
        .order_by(WitnessKey.public_key)
    )
    return SignedCheckpoint(checkpoint, [(w, c) for w, c in rows])
