"""GraphQL for the ledger: the mutations and their payloads."""

from __future__ import annotations

import strawberry

import ledger
from core.identity import Role, require
from ledger import Code
from schema.context import Info
from schema.errors import UserErrorType, payload, perform, with_codes
from schema.ledger.inputs import CosignCheckpointInput, RegisterWitnessKeyInput
from schema.ledger.queries import _signed
from schema.ledger.types import Checkpoint, Witness


@strawberry.type
class RegisterWitnessKeyPayload:
    witness: Witness | None = None
    user_errors: list[UserErrorType]


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
        description=with_codes(
            "Register your organisation's witness key. Auditor or authority.",
            Code.HEX_INVALID,
            Code.PROOF_OF_POSSESSION_INVALID,
            Code.WITNESS_ALREADY_REGISTERED,
            Code.WITNESS_KEY_TAKEN,
            Code.ORGANIZATION_REQUIRED,
        )
    )
    async def register_witness_key(
        self, info: Info, input: RegisterWitnessKeyInput
    ) -> RegisterWitnessKeyPayload:
        return await payload(
            info,
            lambda session, actor: ledger.register_witness_key(
                session,
                actor,
                public_key=input.public_key,
                proof_of_possession=input.proof_of_possession,
            ),
            RegisterWitnessKeyPayload,
            witness=Witness.from_row,
        )

    @strawberry.mutation(
        description=with_codes(
            (
                "Co-sign a checkpoint after checking consistency from your last co-signed "
                "size. Auditor or authority."
            ),
            Code.WITNESS_NOT_REGISTERED,
            Code.CHECKPOINT_NOT_FOUND,
            Code.CHECKPOINT_MISMATCH,
            Code.STALE_CHECKPOINT,
            Code.CONSISTENCY_NOT_CHECKED,
            Code.ALREADY_COSIGNED,
            Code.SIGNATURE_INVALID,
            Code.HEX_INVALID,
            Code.ORGANIZATION_REQUIRED,
        )
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
