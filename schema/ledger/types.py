"""GraphQL for the ledger: the object types."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import strawberry
from strawberry.scalars import JSON

import ledger
from ledger import message, stored_entry_bytes
from schema.context import Info
from schema.organizations import Organization
from schema.relay import Node, to_global_id


@strawberry.type(description="One recorded fact. `document` is exactly the hashed text.")
class LedgerEntry:
    seq: int
    kind: str
    at: str = strawberry.field(description="RFC 3339 UTC, as hashed.")
    actor: JSON
    body: JSON
    subjects: list[str] = strawberry.field(description="Salted subject commitments.")
    prev: str = strawberry.field(description="Hash of the entry before (hex).")
    hash: str = strawberry.field(description="RFC 9162 leaf hash of `document` (hex).")
    row: strawberry.Private[ledger.LedgerEntry]

    @strawberry.field(description="The canonical JSON (RFC 8785) that was hashed.")
    def document(self) -> str:
        row = self.row
        return stored_entry_bytes(
            row.seq, row.kind, row.actor, row.at, row.prev, row.body, row.subjects
        ).decode()

    @classmethod
    def from_row(cls, row: ledger.LedgerEntry) -> LedgerEntry:
        return cls(
            seq=row.seq,
            kind=row.kind,
            at=row.at,
            actor=json.loads(row.actor),
            body=json.loads(row.body),
            subjects=json.loads(row.subjects),
            prev=row.prev,
            hash=row.hash,
            row=row,
        )


@strawberry.type(description="An organisation that co-signs checkpoints it has checked.")
class Witness(Node):
    public_key: str
    last_signed_size: int
    registered_at: datetime
    organization_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def organization(self, info: Info) -> Organization | None:
        row = await info.context.loaders.organization.load(self.organization_id)
        return Organization.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: ledger.WitnessKey) -> Witness:
        return cls(
            id=to_global_id("Witness", row.id),
            public_key=row.public_key,
            last_signed_size=row.last_signed_size,
            registered_at=row.registered_at,
            organization_id=row.organization_id,
        )


@strawberry.type
class Cosignature:
    witness: Witness
    signature: str
    signed_at: datetime = strawberry.field(description="When the witness co-signed.")


@strawberry.type(description="The platform's signed statement of the tree at one size.")
class Checkpoint:
    origin: str
    tree_size: int
    root_hash: str
    timestamp: str
    note: str = strawberry.field(
        description="The exact signed message (C2SP checkpoint body + time)."
    )
    public_key: str = strawberry.field(description="Platform BLS12-381 G1 key that signed.")
    signature: str
    cosignatures: list[Cosignature]
    signed: strawberry.Private[ledger.SignedCheckpoint]

    @strawberry.field(
        description="Platform + co-signatures aggregated; check with FastAggregateVerify over "
        "`signerKeys` and `note`."
    )
    def aggregate_signature(self) -> str:
        return self.signed.aggregate_signature.hex()  # a BLS aggregation: only when asked

    @strawberry.field
    def signer_keys(self) -> list[str]:
        return [k.hex() for k in self.signed.signer_keys]

    @classmethod
    def from_signed(cls, signed: ledger.SignedCheckpoint) -> Checkpoint:
        cp = signed.checkpoint
        return cls(
            origin=cp.origin,
            tree_size=cp.tree_size,
            root_hash=cp.root_hash,
            timestamp=cp.timestamp,
            note=message(cp).decode(),
            public_key=cp.public_key,
            signature=cp.signature,
            cosignatures=[
                Cosignature(
                    witness=Witness.from_row(w), signature=c.signature, signed_at=c.signed_at
                )
                for w, c in signed.cosignatures
            ],
            signed=signed,
        )


@strawberry.type
class InclusionProof:
    seq: int
    tree_size: int
    leaf_hash: str
    hashes: list[str]
    root_hash: str

    @classmethod
    def from_proof(cls, proof: ledger.InclusionProof) -> InclusionProof:
        return cls(
            seq=proof.seq,
            tree_size=proof.tree_size,
            leaf_hash=proof.leaf_hash.hex(),
            hashes=[h.hex() for h in proof.hashes],
            root_hash=proof.root_hash.hex(),
        )


@strawberry.type
class ConsistencyProof:
    from_size: int
    to_size: int
    hashes: list[str]
    from_root: str
    to_root: str


@strawberry.type(description="Your salt and the commitment that stands for you in the ledger.")
class SubjectCommitment:
    salt: str = strawberry.field(
        description='Keep it: SHA-256("subject/v1\\0" ‖ salt ‖ '
        "your id) is the commitment in every entry about you."
    )
    commitment: str
