"""GraphQL for the ledger: entries, proofs, checkpoints and witnesses (Art. 24, 26, 27)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import strawberry
from strawberry.scalars import JSON

import ledger
from core.identity import Role, require
from ledger.canonical import stored_entry_bytes
from ledger.checkpoints import message
from schema.context import Info
from schema.errors import UserErrorType, perform
from schema.organizations import Organization
from schema.relay import Connection, Node, connection, node_type, to_global_id


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


@node_type("Witness")
async def load_witness(info: Info, row_id: uuid.UUID) -> Witness | None:
    async with info.context.db.read() as session:
        row = await ledger.get_witness(session, row_id)
    return Witness.from_row(row) if row else None


@strawberry.type
class Cosignature:
    witness: Witness
    signature: str


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
                Cosignature(witness=Witness.from_row(w), signature=c.signature)
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


async def _signed(info: Info, tree_size: int | None = None) -> Checkpoint | None:
    """The checkpoint of `tree_size` (default: the latest) with its co-signatures, read in
    one session."""
    async with info.context.db.read() as session:
        if tree_size is None:
            checkpoint = await ledger.latest_checkpoint(session)
        else:
            checkpoint = await ledger.get_checkpoint(session, tree_size)
        if checkpoint is None:
            return None
        return Checkpoint.from_signed(await ledger.signed_checkpoint(session, checkpoint))


@strawberry.type(description="Your salt and the commitment that stands for you in the ledger.")
class SubjectCommitment:
    salt: str = strawberry.field(
        description='Keep it: SHA-256("subject/v1\\0" ‖ salt ‖ '
        "your id) is the commitment in every entry about you."
    )
    commitment: str


@strawberry.type
class Query:
    @strawberry.field(description="The platform's BLS public key (hex). Public.")
    def ledger_public_key(self, info: Info) -> str:
        return info.context.signer.public_key.hex()

    @strawberry.field(description="The latest signed checkpoint with its co-signatures. Public.")
    async def ledger_checkpoint(self, info: Info) -> Checkpoint | None:
        return await _signed(info)

    @strawberry.field(
        description="One entry, if you may see it: the authority and auditors see "
        "all; others the entries their organisation or they are party to."
    )
    async def ledger_entry(self, info: Info, seq: int) -> LedgerEntry | None:
        async with info.context.db.read() as session:
            row = await ledger.get_entry(session, info.context.actor, seq)
        return LedgerEntry.from_row(row) if row else None

    @strawberry.field(description="Entries in seq order that you may see, a page at a time.")
    async def ledger_entries(
        self, info: Info, kind: str | None = None, first: int = 20, after: str | None = None
    ) -> Connection[LedgerEntry]:
        async with info.context.db.read() as session:
            page = await ledger.list_entries(
                session, info.context.actor, kind=kind, first=first, after=after
            )
        return connection(page, LedgerEntry.from_row)

    @strawberry.field(
        description="RFC 9162 inclusion proof of entry `seq` in the tree of `treeSize`."
    )
    async def inclusion_proof(self, info: Info, seq: int, tree_size: int) -> InclusionProof | None:
        async with info.context.db.read() as session:
            if await ledger.get_entry(session, info.context.actor, seq) is None:
                return None
            proof = await ledger.inclusion_proof(session, seq, tree_size)
        return InclusionProof.from_proof(proof)

    @strawberry.field(description="RFC 9162 consistency proof between two tree sizes. Public.")
    async def consistency_proof(self, info: Info, from_size: int, to_size: int) -> ConsistencyProof:
        async with info.context.db.read() as session:
            proof = await ledger.consistency_proof(session, from_size, to_size)
        return ConsistencyProof(
            from_size=proof.from_size,
            to_size=proof.to_size,
            hashes=[h.hex() for h in proof.hashes],
            from_root=proof.from_root.hex(),
            to_root=proof.to_root.hex(),
        )

    @strawberry.field(description="Data subjects only: prove which entries are about you.")
    async def my_subject_commitment(self, info: Info) -> SubjectCommitment:
        async with info.context.db.transaction() as session:
            salt, commitment = await ledger.subject_identity(session, info.context.actor)
        return SubjectCommitment(salt=salt.hex(), commitment=commitment)

    @strawberry.field(description="Registered witnesses. Public.")
    async def witnesses(self, info: Info) -> list[Witness]:
        async with info.context.db.read() as session:
            return [Witness.from_row(w) for w in await ledger.list_witnesses(session)]


@strawberry.input
class RegisterWitnessKeyInput:
    public_key: str = strawberry.field(description="Compressed BLS12-381 G1 public key, hex.")
    proof_of_possession: str = strawberry.field(
        description="PopProve(sk) for the ciphersuite "
        "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_, hex."
    )


@strawberry.type
class RegisterWitnessKeyPayload:
    witness: Witness | None = None
    user_errors: list[UserErrorType]


@strawberry.input
class CosignCheckpointInput:
    tree_size: int
    root_hash: str = strawberry.field(description="The root you verified, hex.")
    from_size: int = strawberry.field(
        description="Your last co-signed size (0 the first time): "
        "the consistency proof you checked starts there."
    )
    signature: str = strawberry.field(
        description="Your BLS signature over the checkpoint `note`, hex."
    )


@strawberry.type
class CosignCheckpointPayload:
    checkpoint: Checkpoint | None = None
    user_errors: list[UserErrorType]


@strawberry.type
class PublishCheckpointPayload:
    checkpoint: Checkpoint | None = None
    user_errors: list[UserErrorType]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Register your organisation's witness key. Auditor or authority. "
        "userErrors codes: HEX_INVALID, PROOF_OF_POSSESSION_INVALID, "
        "WITNESS_ALREADY_REGISTERED, WITNESS_KEY_TAKEN, ORGANIZATION_REQUIRED."
    )
    async def register_witness_key(
        self, info: Info, input: RegisterWitnessKeyInput
    ) -> RegisterWitnessKeyPayload:
        row, errors = await perform(
            info,
            lambda session, actor: ledger.register_witness_key(
                session,
                actor,
                public_key=input.public_key,
                proof_of_possession=input.proof_of_possession,
            ),
        )
        return RegisterWitnessKeyPayload(
            witness=Witness.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Co-sign a checkpoint after checking consistency from your last "
        "co-signed size. Auditor or authority. userErrors codes: WITNESS_NOT_REGISTERED, "
        "CHECKPOINT_NOT_FOUND, CHECKPOINT_MISMATCH, STALE_CHECKPOINT, "
        "CONSISTENCY_NOT_CHECKED, ALREADY_COSIGNED, SIGNATURE_INVALID, HEX_INVALID."
    )
    async def cosign_checkpoint(
        self, info: Info, input: CosignCheckpointInput
    ) -> CosignCheckpointPayload:
        row, errors = await perform(
            info,
            lambda session, actor: ledger.cosign_checkpoint(
                session,
                actor,
                tree_size=input.tree_size,
                root_hash=input.root_hash,
                from_size=input.from_size,
                signature=input.signature,
            ),
        )
        if row is None:
            return CosignCheckpointPayload(user_errors=errors)
        return CosignCheckpointPayload(
            checkpoint=await _signed(info, row.tree_size), user_errors=[]
        )

    @strawberry.mutation(
        description="Sign the current tree now (if it grew). Auditor or authority."
    )
    async def publish_checkpoint(self, info: Info) -> PublishCheckpointPayload:
        require(info.context.actor, Role.AUTHORITY, Role.AUDITOR)
        checkpoint = await ledger.publish_checkpoint(info.context.db, info.context.signer)
        signed = await _signed(info, checkpoint.tree_size) if checkpoint else None
        return PublishCheckpointPayload(checkpoint=signed, user_errors=[])
