"""Witnesses: auditors and the data authority co-sign checkpoints they have checked.

A witness registers a BLS key with a proof of possession (which stops rogue-key attacks on
the aggregate). To co-sign it must first fetch the consistency proof from the size it last
signed (`fromSize`) to the new checkpoint: pdex refuses a co-signature that does not start
from the witness's last signed size, or that goes backwards.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

import sqlalchemy as sa

from core.batching import fetch_by_ids
from core.db import AsyncSession
from core.errors import UserError
from core.identity import Principal, Role, require
from ledger import signing
from ledger.checkpoints import get_checkpoint, message
from ledger.errors import Code
from ledger.kinds import Kind
from ledger.log import append
from ledger.models import Cosignature, WitnessKey

WITNESS_ROLES = (Role.AUDITOR, Role.AUTHORITY)


def _hex(value: str, field: str, length: int, what: str) -> bytes:
    try:
        raw = bytes.fromhex(value.strip().removeprefix("0x"))
    except ValueError:
        raw = b""
    if len(raw) != length:
        raise UserError(
            Code.HEX_INVALID, f"`{field}` must be the {length}-byte {what}, in hex.", field
        )
    return raw


def _organization(actor: Principal) -> object:
    if actor.organization_id is None:
        raise UserError(
            Code.ORGANIZATION_REQUIRED,
            "Witness keys belong to an organisation; your token names none.",
        )
    return actor.organization_id


async def witness_for(session: AsyncSession, actor: Principal) -> WitnessKey | None:
    return await session.scalar(
        sa.select(WitnessKey).where(WitnessKey.organization_id == actor.organization_id)
    )


async def register_witness_key(
    session: AsyncSession, actor: Principal | None, *, public_key: str, proof_of_possession: str
) -> WitnessKey:
    actor = require(actor, *WITNESS_ROLES)
    organization_id = _organization(actor)
    key = _hex(public_key, "publicKey", 48, "compressed BLS12-381 G1 public key")
    proof = _hex(proof_of_possession, "proofOfPossession", 96, "BLS proof of possession")
    # BLS pairings take ~0.3 s: off the event loop, as `checkpoints` does for signing.
    if not await asyncio.to_thread(signing.verify_possession, key, proof):
        raise UserError(
            Code.PROOF_OF_POSSESSION_INVALID,
            "The proof of possession does not verify for this key: sign it with PopProve.",
            "proofOfPossession",
        )
    if await witness_for(session, actor) is not None:
        raise UserError(
            Code.WITNESS_ALREADY_REGISTERED, "Your organisation already has a witness key."
        )
    if await session.scalar(sa.select(WitnessKey.id).where(WitnessKey.public_key == key.hex())):
        raise UserError(
            Code.WITNESS_KEY_TAKEN, "This key is registered to another witness.", "publicKey"
        )
    witness = WitnessKey(organization_id=organization_id, public_key=key.hex())
    session.add(witness)
    await session.flush()
    await append(
        session,
        Kind.WITNESS_REGISTERED,
        actor,
        {"witness": str(witness.id), "publicKey": key.hex()},
    )
    return witness


# Art. 24: independent witnesses co-sign the tree head, so no one party rewrites it
async def cosign_checkpoint(
    session: AsyncSession,
    actor: Principal | None,
    *,
    tree_size: int,
    root_hash: str,
    from_size: int,
    signature: str,
) -> Cosignature:
    actor = require(actor, *WITNESS_ROLES)
    _organization(actor)
    witness = await witness_for(session, actor)
    if witness is None:
        raise UserError(Code.WITNESS_NOT_REGISTERED, "Register a witness key before co-signing.")
    checkpoint = await get_checkpoint(session, tree_size)
    if checkpoint is None:
        raise UserError(
            Code.CHECKPOINT_NOT_FOUND, f"There is no checkpoint at size {tree_size}.", "treeSize"
        )
    if _hex(root_hash, "rootHash", 32, "SHA-256 root") != bytes.fromhex(checkpoint.root_hash):
        raise UserError(
            Code.CHECKPOINT_MISMATCH,
            "The root you checked is not the root pdex signed at this size: do not co-sign.",
            "rootHash",
        )
    if tree_size < witness.last_signed_size:
        raise UserError(
            Code.STALE_CHECKPOINT,
            f"You already co-signed size {witness.last_signed_size}; "
            "a witness never signs an older tree.",
            "treeSize",
        )
    if from_size != witness.last_signed_size:
        raise UserError(
            Code.CONSISTENCY_NOT_CHECKED,
            f"Check consistency from your last co-signed size ({witness.last_signed_size}), "
            f"not {from_size}: fetch consistencyProof(fromSize: {witness.last_signed_size}, "
            f"toSize: {tree_size}).",
            "fromSize",
        )
    if await session.get(Cosignature, (tree_size, witness.id)) is not None:
        raise UserError(
            Code.ALREADY_COSIGNED, "You have already co-signed this checkpoint.", "treeSize"
        )
    raw_signature = _hex(signature, "signature", 96, "BLS signature")
    if not await asyncio.to_thread(
        signing.verify, bytes.fromhex(witness.public_key), message(checkpoint), raw_signature
    ):
        raise UserError(
            Code.SIGNATURE_INVALID,
            "The signature does not verify over this checkpoint with your registered key.",
            "signature",
        )
    cosignature = Cosignature(
        tree_size=tree_size, witness_id=witness.id, signature=raw_signature.hex()
    )
    session.add(cosignature)
    witness.last_signed_size = tree_size
    await session.flush()
    return cosignature


async def list_witnesses(session: AsyncSession) -> list[WitnessKey]:
    return list(
        (await session.execute(sa.select(WitnessKey).order_by(WitnessKey.registered_at))).scalars()
    )


async def get_witnesses(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[WitnessKey | None]:
    """Witnesses are public: anyone may check a co-signature against their keys."""
    return await fetch_by_ids(session, WitnessKey, ids)
