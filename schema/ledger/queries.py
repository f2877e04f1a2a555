"""GraphQL for the ledger: the queries."""

from __future__ import annotations

import strawberry

import ledger
from schema.context import Info
from schema.ledger.types import (
    Checkpoint,
    ConsistencyProof,
    InclusionProof,
    LedgerEntry,
    SubjectCommitment,
    Witness,
)
from schema.relay import Connection, page_connection


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
        return await page_connection(
            info,
            lambda session, actor: ledger.list_entries(
                session, actor, kind=kind, first=first, after=after
            ),
            LedgerEntry.from_row,
        )

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
