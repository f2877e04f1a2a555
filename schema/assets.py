"""GraphQL for data asset and product registration (Art. 25)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import Enum

import strawberry

import ledger
import registry
from core.db import AsyncSession
from core.identity import Principal
from schema.context import Info
from schema.dataloaders import load_then
from schema.errors import UserErrorType, perform
from schema.ledger import InclusionProof
from schema.organizations import Organization, from_row
from schema.registry import Resource, UpdateFrequencyEnum, load_resource
from schema.relay import Connection, Node, connection, from_global_id, node_type, to_global_id

AssetKindEnum = strawberry.enum(registry.AssetKind, name="AssetKind")
AssetRightEnum = strawberry.enum(registry.AssetRight, name="AssetRight")
AssetStatusEnum = strawberry.enum(registry.AssetStatus, name="AssetStatus")


@strawberry.type(description="A catalogue resource, or a declared non-public dataset.")
class AssetSource:
    dataset_name: str
    dataset_holder: str
    legal_basis: str
    resource_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field
    async def resource(self, info: Info) -> Resource | None:
        return await load_resource(info, self.resource_id) if self.resource_id else None


@strawberry.type
class AssetObjection:
    id: strawberry.ID
    text: str
    filed_at: datetime
    upheld: bool | None
    resolution: str


@strawberry.type(description="The registration certificate of a REGISTERED asset.")
class RegistrationCertificate:
    number: str
    rights: list[AssetRightEnum]
    registered_at: datetime
    ledger_seq: int
    holder_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    def holder(self, info: Info) -> Organization | None:
        return load_then(info.context.loaders.organization, self.holder_id, from_row)

    @strawberry.field(description="Proof that the registration entry is in the current tree.")
    async def inclusion_proof(self, info: Info) -> InclusionProof:
        async with info.context.db.read() as session:
            size = await ledger.proofs.tree_size(session)
            proof = await ledger.inclusion_proof(session, self.ledger_seq, size)
        return InclusionProof(
            seq=proof.seq,
            tree_size=proof.tree_size,
            leaf_hash=proof.leaf_hash.hex(),
            hashes=[h.hex() for h in proof.hashes],
            root_hash=proof.root_hash.hex(),
        )


@strawberry.type(description="A public data asset, data product or data service (Art. 25).")
class Asset(Node):
    kind: AssetKindEnum
    name: str
    description: str
    scenario: str
    rights: list[AssetRightEnum]
    delivery_mode: str
    update_frequency: UpdateFrequencyEnum
    time_span: str
    scale: str
    status: AssetStatusEnum
    notice_ends_at: datetime | None
    decision_reason: str
    version: int
    created_at: datetime
    row: strawberry.Private[registry.Asset]

    @strawberry.field
    def holder(self, info: Info) -> Organization | None:
        return load_then(info.context.loaders.organization, self.row.holder_id, from_row)

    @strawberry.field
    async def sources(self, info: Info) -> list[AssetSource]:
        rows = await info.context.loaders.asset_sources.load(self.row.id)
        return [
            AssetSource(
                dataset_name=r.dataset_name,
                dataset_holder=r.dataset_holder,
                legal_basis=r.legal_basis,
                resource_id=r.resource_id,
            )
            for r in rows
        ]

    @strawberry.field
    async def objections(self, info: Info) -> list[AssetObjection]:
        rows = await info.context.loaders.asset_objections.load(self.row.id)
        return [
            AssetObjection(
                id=to_global_id("AssetObjection", r.id),
                text=r.text,
                filed_at=r.filed_at,
                upheld=r.upheld,
                resolution=r.resolution,
            )
            for r in rows
        ]

    @strawberry.field
    def certificate(self) -> RegistrationCertificate | None:
        row = self.row
        if row.registration_number is None or row.registration_seq is None:
            return None
        return RegistrationCertificate(
            number=row.registration_number,
            rights=_rights(row),
            registered_at=row.registered_at,
            ledger_seq=row.registration_seq,
            holder_id=row.holder_id,
        )

    @classmethod
    def from_row(cls, row: registry.Asset) -> Asset:
        return cls(
            id=to_global_id("Asset", row.id), kind=row.kind, name=row.name,
            description=row.description, scenario=row.scenario, rights=_rights(row),
            delivery_mode=row.delivery_mode, update_frequency=row.update_frequency,
            time_span=row.time_span, scale=row.scale, status=row.status,
            notice_ends_at=row.notice_ends_at, decision_reason=row.decision_reason,
            version=row.version, created_at=row.created_at, row=row,
        )  # fmt: skip


def _rights(row: registry.Asset) -> list[registry.AssetRight]:
    return [registry.AssetRight(r) for r in row.rights.split(",") if r]


@node_type("Asset")
async def load_asset(info: Info, row_id: uuid.UUID) -> Asset | None:
    async with info.context.db.read() as session:
        (row,) = await registry.get_assets(session, info.context.actor, [row_id])
    return Asset.from_row(row) if row else None


@strawberry.input
class AssetFilterInput:
    kind: AssetKindEnum | None = None
    status: AssetStatusEnum | None = None
    holder: strawberry.ID | None = None
    text: str | None = None


@strawberry.type
class Query:
    @strawberry.field(
        description="One asset. Drafts are the holder's; registered assets are "
        "public; the rest need a token."
    )
    async def asset(self, info: Info, id: strawberry.ID) -> Asset | None:
        return await load_asset(info, from_global_id(id, "Asset")[1])

    @strawberry.field(description="Assets, oldest first, as visible to you (see `asset`).")
    async def assets(
        self,
        info: Info,
        filter: AssetFilterInput | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Asset]:
        f = filter or AssetFilterInput()
        where = registry.AssetFilter(
            kind=f.kind,
            status=f.status,
            text=f.text,
            holder_id=from_global_id(f.holder, "Organization")[1] if f.holder else None,
        )
        async with info.context.db.read() as session:
            page = await registry.list_assets(
                session, info.context.actor, where, first=first, after=after
            )
        return connection(page, Asset.from_row)


@strawberry.input
class AssetSourceInput:
    resource: str | None = strawberry.field(default=None, description="A catalogue resource code.")
    dataset_name: str = ""
    dataset_holder: str = ""
    legal_basis: str = ""


@strawberry.input
class RegisterAssetInput:
    kind: AssetKindEnum
    name: str
    scenario: str
    rights: list[AssetRightEnum]
    update_frequency: UpdateFrequencyEnum
    sources: list[AssetSourceInput]
    description: str = ""
    delivery_mode: str = ""
    time_span: str = ""
    scale: str = ""


@strawberry.input
class AssetIdInput:
    id: strawberry.ID


@strawberry.enum
class ReviewDecision(Enum):
    ACCEPT = "ACCEPT"
    REJECT = "REJECT"


@strawberry.input
class ReviewAssetInput:
    id: strawberry.ID
    decision: ReviewDecision
    reason: str = ""


@strawberry.input
class ObjectToAssetInput:
    id: strawberry.ID
    text: str


@strawberry.input
class ResolveObjectionInput:
    objection: strawberry.ID
    upheld: bool
    resolution: str


@strawberry.input
class ChangeAssetInput:
    id: strawberry.ID
    name: str | None = None
    description: str | None = None
    scenario: str | None = None
    delivery_mode: str | None = None
    time_span: str | None = None
    scale: str | None = None


@strawberry.input
class CancelAssetInput:
    id: strawberry.ID
    reason: str


@strawberry.type
class AssetPayload:
    asset: Asset | None = None
    user_errors: list[UserErrorType]


UseCase = Callable[[AsyncSession, Principal | None], Awaitable[registry.Asset]]


async def _asset_payload(info: Info, use_case: UseCase) -> AssetPayload:
    row, errors = await perform(info, use_case)
    return AssetPayload(asset=Asset.from_row(row) if row else None, user_errors=errors)


def _id(global_id: str) -> uuid.UUID:
    return from_global_id(global_id, "Asset")[1]


STATUS_CODES = "ASSET_NOT_FOUND, ASSET_STATUS_INVALID, ID_INVALID"


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Start a registration (DRAFT). Public data assets: authority "
        "or agency; products and services: market entity or broker. userErrors "
        "codes: NAME_INVALID, SCENARIO_REQUIRED, RIGHTS_REQUIRED, SOURCES_REQUIRED, "
        "SOURCE_INCOMPLETE, RESOURCE_NOT_FOUND, ORGANIZATION_REQUIRED."
    )
    async def register_asset(self, info: Info, input: RegisterAssetInput) -> AssetPayload:
        sources = tuple(
            registry.SourceSpec(
                resource_code=source.resource,
                dataset_name=source.dataset_name,
                dataset_holder=source.dataset_holder,
                legal_basis=source.legal_basis,
            )
            for source in input.sources
        )
        fields = registry.AssetFields(
            kind=input.kind,
            name=input.name,
            scenario=input.scenario,
            rights=tuple(input.rights),
            update_frequency=input.update_frequency,
            description=input.description,
            delivery_mode=input.delivery_mode,
            time_span=input.time_span,
            scale=input.scale,
            sources=sources,
        )
        return await _asset_payload(info, lambda s, a: registry.register_asset(s, a, fields))

    @strawberry.mutation(
        description=f"DRAFT → SUBMITTED. Holder only. userErrors codes: {STATUS_CODES}."
    )
    async def submit_asset_registration(self, info: Info, input: AssetIdInput) -> AssetPayload:
        return await _asset_payload(
            info, lambda s, a: registry.submit_asset_registration(s, a, _id(input.id))
        )

    @strawberry.mutation(
        description="Accept (a public notice of 5 working days starts) or reject "
        f"(with a reason). Data authority only. userErrors codes: REASON_REQUIRED, {STATUS_CODES}."
    )
    async def review_asset_registration(self, info: Info, input: ReviewAssetInput) -> AssetPayload:
        accept = input.decision is ReviewDecision.ACCEPT
        return await _asset_payload(
            info,
            lambda s, a: registry.review_asset_registration(
                s, a, _id(input.id), accept=accept, reason=input.reason
            ),
        )

    @strawberry.mutation(
        description="Object during the public notice; the registration pauses. "
        "Anyone signed in. userErrors codes: OBJECTION_TEXT_REQUIRED, NOT_IN_PUBLIC_NOTICE, "
        f"NOTICE_ENDED, {STATUS_CODES}."
    )
    async def object_to_asset(self, info: Info, input: ObjectToAssetInput) -> AssetPayload:
        async def use_case(session: AsyncSession, actor: Principal | None) -> registry.Asset:
            objection = await registry.object_to_asset(
                session, actor, _id(input.id), text=input.text
            )
            (asset,) = await registry.get_assets(session, actor, [objection.asset_id])
            assert asset is not None
            return asset

        return await _asset_payload(info, use_case)

    @strawberry.mutation(
        description="Uphold (the registration is rejected) or dismiss an objection. "
        "Data authority only. userErrors codes: RESOLUTION_REQUIRED, OBJECTION_NOT_OPEN, "
        "ID_INVALID."
    )
    async def resolve_asset_objection(
        self, info: Info, input: ResolveObjectionInput
    ) -> AssetPayload:
        return await _asset_payload(
            info,
            lambda s, a: registry.resolve_objection(
                s,
                a,
                from_global_id(input.objection, "AssetObjection")[1],
                upheld=input.upheld,
                resolution=input.resolution,
            ),
        )

    @strawberry.mutation(
        description="After the notice with no open objection: REGISTERED, with a "
        "number and a certificate. Holder or authority. userErrors codes: NOTICE_RUNNING, "
        f"{STATUS_CODES}."
    )
    async def complete_asset_registration(self, info: Info, input: AssetIdInput) -> AssetPayload:
        return await _asset_payload(
            info, lambda s, a: registry.complete_asset_registration(s, a, _id(input.id))
        )

    @strawberry.mutation(
        description="Change a registered asset's particulars; it goes back to review. "
        "Holder only. userErrors codes: NOTHING_CHANGED, NAME_INVALID, SCENARIO_REQUIRED, "
        f"{STATUS_CODES}."
    )
    async def change_asset_registration(self, info: Info, input: ChangeAssetInput) -> AssetPayload:
        changes = {
            k: getattr(input, k)
            for k in registry.assets.CHANGEABLE
            if getattr(input, k) is not None
        }
        return await _asset_payload(
            info, lambda s, a: registry.change_asset_registration(s, a, _id(input.id), changes)
        )

    @strawberry.mutation(
        description="Cancel a draft or a registration, with a reason. Holder or "
        f"authority. userErrors codes: REASON_REQUIRED, {STATUS_CODES}."
    )
    async def cancel_asset_registration(self, info: Info, input: CancelAssetInput) -> AssetPayload:
        return await _asset_payload(
            info,
            lambda s, a: registry.cancel_asset_registration(
                s, a, _id(input.id), reason=input.reason
            ),
        )
