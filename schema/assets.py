"""GraphQL for data asset and product registration (Art. 25)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from enum import Enum

import strawberry
from strawberry.scalars import JSON

import registry
from core.db import AsyncSession
from core.errors import UserError
from core.identity import Principal
from schema.context import Info
from schema.dataloaders import load_then
from schema.errors import UserErrorType, perform
from schema.ledger import InclusionProof
from schema.organizations import Organization, from_row
from schema.registry import Resource, UpdateFrequencyEnum, resource_of
from schema.relay import (
    Connection,
    Node,
    connection,
    from_global_id,
    node_type,
    selected_node_fields,
    to_global_id,
)

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
    notice_ends_at: datetime | None
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
        # Art. 25: a changed asset is reviewed again and a cancelled one is off the register;
        # either keeps its number, but neither is certified until (if ever) registered again.
        if row.status is not registry.AssetStatus.REGISTERED:
            return None
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
        wanted = selected_node_fields(info)
        loaders = info.context.loaders
        async with info.context.db.read() as session:
            page = await registry.list_assets(
                session, info.context.actor, where, first=first, after=after
            )
            ids = [row.id for row in page.items]
            # The relations the query will read, fetched in this session (no second one).
            if "holder" in wanted:
                await loaders.organization.prefetch(session, [r.holder_id for r in page.items])
            if "sources" in wanted:
                await loaders.asset_sources.prefetch(session, ids)
            if "currentValuation" in wanted:
                await loaders.asset_current_valuation.prefetch(session, ids)
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
TOO_LONG_CODES = (
    "DESCRIPTION_TOO_LONG, SCENARIO_TOO_LONG, DELIVERY_MODE_TOO_LONG, TIME_SPAN_TOO_LONG, "
    "SCALE_TOO_LONG"
)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Start a registration (DRAFT). Public data assets: authority "
        "or agency; products and services: market entity or broker. userErrors "
        "codes: NAME_INVALID, SCENARIO_REQUIRED, RIGHTS_REQUIRED, SOURCES_REQUIRED, "
        f"SOURCE_INCOMPLETE, RESOURCE_NOT_FOUND, ORGANIZATION_REQUIRED, {TOO_LONG_CODES}."
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
        f"{TOO_LONG_CODES}, {STATUS_CODES}."
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


@strawberry.input
class DimensionsInput:
    """One number per GB/T 36344 dimension."""

    accuracy: Decimal
    consistency: Decimal
    completeness: Decimal
    conformity: Decimal
    timeliness: Decimal
    accessibility: Decimal


@strawberry.input
class AssessQualityInput:
    asset_id: strawberry.ID
    scores: DimensionsInput = strawberry.field(description="Each in [0, 1].")
    weights: DimensionsInput = strawberry.field(description="Non-negative, summing to 1.")


@strawberry.type
class AssessQualityPayload:
    assessment: QualityAssessment | None = strawberry.field(
        default=None,
        deprecation_reason="Named after its type like every payload's object: "
        "use `qualityAssessment`.",
    )
    user_errors: list[UserErrorType]

    @strawberry.field
    def quality_assessment(self) -> QualityAssessment | None:
        return self.assessment


@strawberry.input
class CostPartInput:
    name: str
    amount: Decimal


@strawberry.input
class QualityAdjustmentInput:
    scores: DimensionsInput
    weights: DimensionsInput


@strawberry.input
class RemainingLifeInput:
    elapsed: Decimal
    remaining: Decimal


@strawberry.input(description="P = C × δ; give exactly one of quality or remainingLife as δ.")
class CostInput:
    planning: Decimal = Decimal(0)
    construction: list[CostPartInput] = strawberry.field(default_factory=list)
    operation_and_maintenance: Decimal = Decimal(0)
    indirect: Decimal = Decimal(0)
    opportunity_cost: Decimal = Decimal(0)
    taxes: Decimal = Decimal(0)
    quality: QualityAdjustmentInput | None = None
    remaining_life: RemainingLifeInput | None = None


@strawberry.enum
class IncomeForm(Enum):
    DIRECT = "DIRECT"
    REVENUE_SHARE = "REVENUE_SHARE"
    CONTRIBUTORY = "CONTRIBUTORY"
    WITH_WITHOUT = "WITH_WITHOUT"


@strawberry.input(description="P = Σ Fₜ / (1 + i)ᵗ, i = riskFreeRate + riskPremium.")
class IncomeInput:
    form: IncomeForm
    risk_free_rate: Decimal
    risk_premium: Decimal
    amounts: list[Decimal] = strawberry.field(default_factory=list)
    revenues: list[Decimal] = strawberry.field(default_factory=list)
    share_rate: Decimal = Decimal(0)
    charges: list[Decimal] = strawberry.field(default_factory=list)
    with_data: list[Decimal] = strawberry.field(default_factory=list)
    without_data: list[Decimal] = strawberry.field(default_factory=list)


@strawberry.input
class ComparableInput:
    price: Decimal
    k_quality: Decimal = Decimal(1)
    k_supply_demand: Decimal = Decimal(1)
    k_date: Decimal = Decimal(1)
    k_capacity: Decimal = Decimal(1)
    k_other: Decimal = Decimal(1)
    label: str = ""


@strawberry.input(
    description="P = mean of Pⱼ × K_quality × K_supply_demand × K_date × K_capacity × K_other."
)
class MarketInput:
    comparables: list[ComparableInput]


ValuationMethod = strawberry.enum(registry.valuation.Method, name="ValuationMethod")


@strawberry.input(description="The method and its inputs (only the matching one is read).")
class AppraiseAssetInput:
    asset_id: strawberry.ID
    method: ValuationMethod
    cost: CostInput | None = None
    income: IncomeInput | None = None
    market: MarketInput | None = None


@strawberry.type
class AppraiseAssetPayload:
    valuation: AssetValuation | None = strawberry.field(
        default=None,
        deprecation_reason="Named after its type like every payload's object: "
        "use `assetValuation`.",
    )
    user_errors: list[UserErrorType]

    @strawberry.field
    def asset_valuation(self) -> AssetValuation | None:
        return self.valuation


def _dimensions(cls: type, given: DimensionsInput) -> object:
    return cls(**{d: getattr(given, d) for d in registry.QUALITY_DIMENSIONS})


def _cost(given: CostInput) -> registry.CostInputs:
    return registry.CostInputs(
        planning=given.planning,
        construction={p.name: p.amount for p in given.construction} or 0,
        operation_and_maintenance=given.operation_and_maintenance,
        indirect=given.indirect,
        opportunity_cost=given.opportunity_cost,
        taxes=given.taxes,
        quality=registry.QualityAdjustment(
            _dimensions(registry.QualityScores, given.quality.scores),
            _dimensions(registry.QualityWeights, given.quality.weights),
        )
        if given.quality
        else None,
        remaining_life=registry.RemainingLife(
            given.remaining_life.elapsed, given.remaining_life.remaining
        )
        if given.remaining_life
        else None,
    )


def _income(given: IncomeInput) -> registry.IncomeInputs:
    flows = {
        IncomeForm.DIRECT: lambda: registry.DirectCashFlows(given.amounts),
        IncomeForm.REVENUE_SHARE: lambda: registry.RevenueShare(given.revenues, given.share_rate),
        IncomeForm.CONTRIBUTORY: lambda: registry.ContributoryCharges(
            given.revenues, given.charges
        ),
        IncomeForm.WITH_WITHOUT: lambda: registry.WithWithout(given.with_data, given.without_data),
    }[given.form]()
    return registry.IncomeInputs(
        cash_flows=flows, risk_free_rate=given.risk_free_rate, risk_premium=given.risk_premium
    )


def _market(given: MarketInput) -> registry.MarketInputs:
    return registry.MarketInputs(
        [
            registry.Comparable(
                price=c.price, k_quality=c.k_quality, k_supply_demand=c.k_supply_demand,
                k_date=c.k_date, k_capacity=c.k_capacity, k_other=c.k_other, label=c.label,
            )
            for c in given.comparables
        ]
    )  # fmt: skip


def _valuation_inputs(
    input: AppraiseAssetInput,
) -> registry.CostInputs | registry.IncomeInputs | registry.MarketInputs:
    given = {
        ValuationMethod.COST: input.cost,
        ValuationMethod.INCOME: input.income,
        ValuationMethod.MARKET: input.market,
    }[input.method]
    if given is None:
        field = input.method.value.lower()
        raise UserError(
            "METHOD_INPUTS_REQUIRED",
            f"Give `{field}` inputs for the {input.method.value} method.",
            field,
        )
    if input.method is ValuationMethod.COST:
        return _cost(given)
    if input.method is ValuationMethod.INCOME:
        return _income(given)
    return _market(given)


@strawberry.type
class AppraisalMutation:
    @strawberry.mutation(
        description="Assess an asset's quality on GB/T 36344's six dimensions. "
        "Holder, data authority or auditor. userErrors codes: SCORE_OUT_OF_RANGE, "
        "WEIGHT_NEGATIVE, WEIGHTS_NOT_NORMALISED, ASSET_NOT_FOUND, ASSET_STATUS_INVALID."
    )
    async def assess_quality(self, info: Info, input: AssessQualityInput) -> AssessQualityPayload:
        async def use_case(
            session: AsyncSession, actor: Principal | None
        ) -> registry.QualityAssessment:
            return await registry.assess_quality(
                session,
                actor,
                from_global_id(input.asset_id, "Asset")[1],
                _dimensions(registry.QualityScores, input.scores),
                _dimensions(registry.QualityWeights, input.weights),
            )

        row, errors = await perform(info, use_case)
        return AssessQualityPayload(
            assessment=QualityAssessment.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Value an asset by the cost, income or market method (Art. 25); "
        "computed on the server, stored with its inputs, recorded in the ledger. "
        "Holder, data authority or auditor. userErrors codes: METHOD_INPUTS_REQUIRED, "
        "NEGATIVE_AMOUNT, WEIGHTS_NOT_NORMALISED, ADJUSTMENT_REQUIRED, ADJUSTMENT_AMBIGUOUS, "
        "DISCOUNT_RATE_INVALID, PERIODS_INVALID, PERIODS_MISMATCH, SHARE_RATE_INVALID, "
        "COMPARABLES_REQUIRED, COEFFICIENT_NOT_POSITIVE, VALUE_OUT_OF_RANGE, ASSET_NOT_FOUND."
    )
    async def appraise_asset(self, info: Info, input: AppraiseAssetInput) -> AppraiseAssetPayload:
        async def use_case(
            session: AsyncSession, actor: Principal | None
        ) -> registry.AssetValuation:
            inputs = _valuation_inputs(input)
            return await registry.appraise_asset(
                session,
                actor,
                from_global_id(input.asset_id, "Asset")[1],
                input.method.value,
                inputs,
            )

        row, errors = await perform(info, use_case)
        return AppraiseAssetPayload(
            valuation=AssetValuation.from_row(row) if row else None, user_errors=errors
        )
