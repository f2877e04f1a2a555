"""GraphQL for data items, the resource catalogue and public data assets: the object types."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable
from datetime import date, datetime
from decimal import Decimal

import strawberry
from strawberry.scalars import JSON

import registry
from core.clock import now
from schema.calendar import PROVISIONAL
from schema.context import Info
from schema.dataloaders import load_then
from schema.ledger import InclusionProof
from schema.organizations import Organization, from_row
from schema.registry.enums import (
    AssetKindEnum,
    AssetRightEnum,
    AssetStatusEnum,
    DeliveryEnum,
    OpenTypeEnum,
    SensitivityEnum,
    ShareTypeEnum,
    UpdateFrequencyEnum,
)
from schema.relay import (
    Node,
    to_global_id,
)


@strawberry.type(description="A kind of data and its one source department (Art. 8).")
class DataItem(Node):
    code: str
    name: str
    legal_basis: str
    sensitive_personal: bool = strawberry.field(
        description="Sensitive personal information (PIPL Art. 28): consents covering it must "
        "be separate consents (Art. 29)."
    )
    claimed_at: datetime
    source_department_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The agency legally responsible for collecting it.")
    def source_department(self, info: Info) -> Organization | None:
        return load_then(info.context.loaders.organization, self.source_department_id, from_row)

    @classmethod
    def from_row(cls, row: registry.DataItem) -> DataItem:
        return cls(
            id=to_global_id("DataItem", row.id),
            code=row.code,
            name=row.name,
            legal_basis=row.legal_basis,
            sensitive_personal=row.sensitive_personal,
            claimed_at=row.claimed_at,
            source_department_id=row.source_department_id,
        )


@strawberry.type(description="One version of a resource: what changed, when and by whom.")
class ResourceChange:
    version: int
    changed_at: datetime
    change: JSON
    changed_by_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field
    def changed_by(self, info: Info) -> Organization | None:
        if self.changed_by_id is None:
            return None
        return load_then(info.context.loaders.organization, self.changed_by_id, from_row)


@strawberry.type(description="Art. 18: how an entry with personal information was de-identified.")
class Deidentification:
    method: str
    performed_on: date
    checked_by: str
    recorded_at: datetime
    ledger_seq: int

    @classmethod
    def from_row(cls, row: registry.Deidentification) -> Deidentification:
        return cls(
            method=row.method, performed_on=row.performed_on, checked_by=row.checked_by,
            recorded_at=row.recorded_at, ledger_seq=row.ledger_seq,
        )  # fmt: skip


@strawberry.type(description="An entry of an agency's resource catalogue (Art. 9-11, 14, 18).")
class Resource(Node):
    code: str
    name: str
    description: str
    share_type: ShareTypeEnum
    share_conditions: str
    share_legal_basis: str
    open_type: OpenTypeEnum
    delivery: DeliveryEnum
    update_frequency: UpdateFrequencyEnum
    sensitivity: SensitivityEnum
    contains_personal_info: bool
    last_updated_at: datetime | None
    version: int
    created_at: datetime
    owner_id: strawberry.Private[uuid.UUID]
    row_id: strawberry.Private[uuid.UUID]
    stale_after: strawberry.Private[datetime | None]

    @strawberry.field(description="Art. 11: not refreshed within its update frequency.")
    def is_stale(self) -> bool:
        return registry.is_stale(self.stale_after, now())

    @strawberry.field(description="The agency that keeps this entry.")
    def owner(self, info: Info) -> Organization | None:
        return load_then(info.context.loaders.organization, self.owner_id, from_row)

    @strawberry.field
    async def data_items(self, info: Info) -> list[DataItem]:
        rows = await info.context.loaders.resource_items.load(self.row_id)
        return [DataItem.from_row(r) for r in rows]

    @strawberry.field(description="Art. 18: de-identification records, oldest first.")
    async def deidentifications(self, info: Info) -> list[Deidentification]:
        rows = await info.context.loaders.resource_deidentifications.load(self.row_id)
        return [Deidentification.from_row(r) for r in rows]

    @strawberry.field(description="Every version, oldest first.")
    async def history(self, info: Info) -> list[ResourceChange]:
        rows = await info.context.loaders.resource_history.load(self.row_id)
        return [
            ResourceChange(
                version=r.version,
                changed_at=r.changed_at,
                change=json.loads(r.change),
                changed_by_id=r.changed_by_id,
            )
            for r in rows
        ]

    @classmethod
    def from_row(cls, row: registry.Resource) -> Resource:
        return cls(
            id=to_global_id("Resource", row.id),
            code=row.code,
            name=row.name,
            description=row.description,
            share_type=row.share_type,
            share_conditions=row.share_conditions,
            share_legal_basis=row.share_legal_basis,
            open_type=row.open_type,
            delivery=row.delivery,
            update_frequency=row.update_frequency,
            sensitivity=row.sensitivity,
            contains_personal_info=row.contains_personal_info,
            last_updated_at=row.last_updated_at,
            version=row.version,
            created_at=row.created_at,
            owner_id=row.owner_id,
            row_id=row.id,
            stale_after=row.stale_after,
        )


def _resource_or_none(row: registry.Resource | None) -> Resource | None:
    return Resource.from_row(row) if row else None


def resource_of(
    info: Info, row_id: uuid.UUID | None
) -> Resource | None | Awaitable[Resource | None]:
    """A resource as the caller may see it, through the request's loader (one statement for
    every resource a page refers to)."""
    if row_id is None:
        return None
    return load_then(info.context.loaders.resource, row_id, _resource_or_none)


@strawberry.type(description="A catalogue resource, or a declared non-public dataset.")
class AssetSource:
    dataset_name: str
    dataset_holder: str
    legal_basis: str
    resource_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field
    def resource(self, info: Info) -> Resource | None:
        return resource_of(info, self.resource_id)  # type: ignore[return-value]  # awaited

    @classmethod
    def from_row(cls, row: registry.AssetSource) -> AssetSource:
        return cls(
            dataset_name=row.dataset_name,
            dataset_holder=row.dataset_holder,
            legal_basis=row.legal_basis,
            resource_id=row.resource_id,
        )


@strawberry.type
class AssetObjection:
    id: strawberry.ID
    text: str
    filed_at: datetime
    upheld: bool | None
    resolution: str


@strawberry.type(description="GB/T 36344 quality scores, weights and the weighted result.")
class QualityAssessment:
    scores: JSON
    weights: JSON
    overall: Decimal
    assessed_at: datetime

    @classmethod
    def from_row(cls, row: registry.QualityAssessment) -> QualityAssessment:
        return cls(
            scores=json.loads(row.scores),
            weights=json.loads(row.weights),
            overall=Decimal(row.overall),
            assessed_at=row.assessed_at,
        )


@strawberry.type(description="An appraisal (Art. 25): method, inputs, result; re-runnable.")
class AssetValuation:
    method: str
    value: Decimal = strawberry.field(description="CNY, rounded half up to 0.01.")
    inputs: JSON
    breakdown: JSON
    valued_at: datetime
    ledger_seq: int

    @classmethod
    def from_row(cls, row: registry.AssetValuation) -> AssetValuation:
        return cls(
            method=row.method,
            value=row.value,
            inputs=json.loads(row.inputs),
            breakdown=json.loads(row.breakdown),
            valued_at=row.valued_at,
            ledger_seq=row.ledger_seq,
        )


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
    def inclusion_proof(self, info: Info) -> InclusionProof:
        return load_then(
            info.context.loaders.inclusion_proof, self.ledger_seq, InclusionProof.from_proof
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
    notice_ends_at: datetime | None = strawberry.field(
        description="Art. 25: when the 5-working-day public notice ends. An open objection "
        "pauses the notice clock: null while paused; when the last open objection is dismissed "
        "the working days that were left (the day of the objection included) run again from "
        "the dismissal, giving a new end."
    )
    notice_ends_provisional: bool = strawberry.field(description=PROVISIONAL)
    decision_reason: str
    version: int
    created_at: datetime
    row: strawberry.Private[registry.Asset]

    @strawberry.field
    def holder(self, info: Info) -> Organization | None:
        return load_then(info.context.loaders.organization, self.row.holder_id, from_row)

    @strawberry.field
    def sources(self, info: Info) -> list[AssetSource]:
        return load_then(
            info.context.loaders.asset_sources,
            self.row.id,
            lambda rows: [AssetSource.from_row(r) for r in rows],
        )

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

    @strawberry.field(description="Quality assessments, newest first.")
    async def quality(self, info: Info) -> list[QualityAssessment]:
        rows = await info.context.loaders.asset_assessments.load(self.row.id)
        return [QualityAssessment.from_row(r) for r in rows]

    @strawberry.field(description="Valuations, newest first.")
    async def valuations(self, info: Info) -> list[AssetValuation]:
        rows = await info.context.loaders.asset_valuations.load(self.row.id)
        return [AssetValuation.from_row(r) for r in rows]

    @strawberry.field(description="The latest valuation.")
    def current_valuation(self, info: Info) -> AssetValuation | None:
        return load_then(
            info.context.loaders.asset_current_valuation,
            self.row.id,
            lambda row: AssetValuation.from_row(row) if row else None,
        )

    @strawberry.field(description="Only while REGISTERED: not under re-review or cancelled.")
    def certificate(self) -> RegistrationCertificate | None:
        row = self.row
        if not registry.is_certified(row):
            return None
        assert row.registration_number is not None and row.registration_seq is not None
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
            notice_ends_provisional=row.notice_ends_provisional,
            version=row.version, created_at=row.created_at, row=row,
        )  # fmt: skip


def _rights(row: registry.Asset) -> list[registry.AssetRight]:
    return [registry.AssetRight(r) for r in row.rights.split(",") if r]
