"""GraphQL for data items, the catalogue and public data assets: the mutations and their
payloads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry

import registry
from core.db import AsyncSession
from core.errors import Code as CoreCode
from core.errors import UserError
from core.identity import Principal
from registry import Code
from schema.context import Info
from schema.errors import Code as ApiCode
from schema.errors import UserErrorType, payload, with_codes
from schema.registry.enums import IncomeForm, ReviewDecision, ValuationMethod
from schema.registry.inputs import (
    AppraiseAssetInput,
    AssessQualityInput,
    AssetIdInput,
    CancelAssetInput,
    ChangeAssetInput,
    ClaimDataItemInput,
    CostInput,
    CreateResourceInput,
    DimensionsInput,
    IncomeInput,
    MarketInput,
    ObjectToAssetInput,
    RecordDeidentificationInput,
    RecordResourceUpdateInput,
    RegisterAssetInput,
    ResolveObjectionInput,
    ReviewAssetInput,
    TransferDataItemInput,
    UpdateResourceInput,
)
from schema.registry.types import Asset, AssetValuation, DataItem, QualityAssessment, Resource
from schema.relay import (
    from_global_id,
    uuid_of,
)


@strawberry.type
class DataItemPayload:
    data_item: DataItem | None = None
    user_errors: list[UserErrorType]


@strawberry.type
class DataItemMutation:
    @strawberry.mutation(
        description=with_codes(
            "Become the source department of a data item (Art. 8). Agency only.",
            Code.DATA_ITEM_ALREADY_CLAIMED,
            Code.DATA_ITEM_CODE_INVALID,
            Code.NAME_INVALID,
            Code.LEGAL_BASIS_REQUIRED,
            Code.ORGANIZATION_REQUIRED,
            notes={Code.DATA_ITEM_ALREADY_CLAIMED: "names the holder"},
        )
    )
    async def claim_data_item(self, info: Info, input: ClaimDataItemInput) -> DataItemPayload:
        return await payload(
            info,
            lambda session, actor: registry.claim_data_item(
                session,
                actor,
                code=input.code,
                name=input.name,
                legal_basis=input.legal_basis,
                sensitive_personal=input.sensitive_personal,
            ),
            DataItemPayload,
            data_item=DataItem.from_row,
        )

    @strawberry.mutation(
        description=with_codes(
            "Move a data item to another source department, with a reason. Data authority only.",
            Code.DATA_ITEM_NOT_FOUND,
            Code.SOURCE_DEPARTMENT_INVALID,
            Code.DATA_ITEM_SAME_OWNER,
            Code.REASON_REQUIRED,
            ApiCode.ID_INVALID,
        )
    )
    async def transfer_data_item(self, info: Info, input: TransferDataItemInput) -> DataItemPayload:
        async def transfer(session, actor):  # type: ignore[no-untyped-def]
            _, target = from_global_id(input.to_organization, "Organization")
            return await registry.transfer_data_item(
                session, actor, code=input.code, to_organization_id=target, reason=input.reason
            )

        return await payload(info, transfer, DataItemPayload, data_item=DataItem.from_row)


@strawberry.type
class ResourcePayload:
    resource: Resource | None = None
    user_errors: list[UserErrorType]


# What a catalogue entry's fields are checked for (registry.create_resource, update_resource).
RESOURCE_CODES = (
    Code.RESOURCE_CODE_INVALID,
    Code.RESOURCE_CODE_TAKEN,
    Code.NAME_INVALID,
    Code.DESCRIPTION_TOO_LONG,
    Code.SHARE_CONDITIONS_REQUIRED,
    Code.SHARE_LEGAL_BASIS_REQUIRED,
    Code.OPEN_TYPE_NOT_ALLOWED,
    Code.DATA_ITEM_NOT_FOUND,
    Code.DATA_ITEM_NOT_OWNED,
    Code.DEIDENTIFICATION_REQUIRED,
)


@strawberry.type
class ResourceMutation:
    @strawberry.mutation(
        description=with_codes(
            "Art. 18: record how a resource was de-identified; an entry holding personal "
            "information is OPEN or CONDITIONAL_OPEN only with one. Owning agency only.",
            Code.METHOD_REQUIRED,
            Code.CHECKED_BY_REQUIRED,
            Code.PERFORMED_IN_FUTURE,
            Code.RESOURCE_NOT_FOUND,
            ApiCode.ID_INVALID,
        )
    )
    async def record_deidentification(
        self, info: Info, input: RecordDeidentificationInput
    ) -> ResourcePayload:
        async def use_case(session: AsyncSession, actor: Principal | None) -> registry.Resource:
            record = await registry.record_deidentification(
                session, actor, uuid_of(input.resource_id, "Resource"), method=input.method,
                performed_on=input.performed_on, checked_by=input.checked_by,
            )  # fmt: skip
            resource = await session.get(registry.Resource, record.resource_id)
            assert resource is not None
            return resource

        return await payload(info, use_case, ResourcePayload, resource=Resource.from_row)

    @strawberry.mutation(
        description=with_codes(
            "Catalogue a resource (Art. 9). Agency only.",
            *RESOURCE_CODES,
            Code.ORGANIZATION_REQUIRED,
        )
    )
    async def create_resource(self, info: Info, input: CreateResourceInput) -> ResourcePayload:
        fields = registry.ResourceFields(
            code=input.code,
            name=input.name,
            description=input.description,
            share_type=input.share_type,
            share_conditions=input.share_conditions,
            share_legal_basis=input.share_legal_basis,
            open_type=input.open_type,
            delivery=input.delivery,
            update_frequency=input.update_frequency,
            sensitivity=input.sensitivity,
            contains_personal_info=input.contains_personal_info,
            data_items=tuple(input.data_items),
        )
        return await payload(
            info,
            lambda session, actor: registry.create_resource(session, actor, fields),
            ResourcePayload,
            resource=Resource.from_row,
        )

    @strawberry.mutation(
        description=with_codes(
            "Change a catalogue entry; a new version is recorded. Owning agency only.",
            Code.RESOURCE_NOT_FOUND,
            ApiCode.FIELD_REQUIRED,
            *RESOURCE_CODES,
            ApiCode.ID_INVALID,
        )
    )
    async def update_resource(self, info: Info, input: UpdateResourceInput) -> ResourcePayload:
        changes = {
            name: getattr(input, name)
            for name in registry.ResourceFields.__dataclass_fields__
            if getattr(input, name) is not strawberry.UNSET
        }
        if "data_items" in changes and changes["data_items"] is not None:
            changes["data_items"] = tuple(changes["data_items"])

        async def update(session, actor):  # type: ignore[no-untyped-def]
            nulls = [name for name, value in changes.items() if value is None]
            if nulls:
                raise UserError(
                    ApiCode.FIELD_REQUIRED,
                    "Omit a field to keep it; null is not a value.",
                    nulls[0],
                )
            return await registry.update_resource(
                session, actor, uuid_of(input.id, "Resource"), changes
            )

        return await payload(info, update, ResourcePayload, resource=Resource.from_row)

    @strawberry.mutation(
        description=with_codes(
            "Art. 11: the data was refreshed at `updatedAt`. Owning agency only.",
            Code.RESOURCE_NOT_FOUND,
            Code.TIME_ZONE_REQUIRED,
            Code.UPDATED_IN_FUTURE,
            Code.UPDATE_OUT_OF_ORDER,
            ApiCode.ID_INVALID,
        )
    )
    async def record_resource_update(
        self, info: Info, input: RecordResourceUpdateInput
    ) -> ResourcePayload:
        return await payload(
            info,
            lambda session, actor: registry.record_resource_update(
                session, actor, uuid_of(input.id, "Resource"), input.updated_at
            ),
            ResourcePayload,
            resource=Resource.from_row,
        )


@strawberry.type
class AssetPayload:
    asset: Asset | None = None
    user_errors: list[UserErrorType]


UseCase = Callable[[AsyncSession, Principal | None], Awaitable[registry.Asset]]


async def _asset_payload(info: Info, use_case: UseCase) -> AssetPayload:
    return await payload(info, use_case, AssetPayload, asset=Asset.from_row)


@strawberry.type
class AssetMutation:
    @strawberry.mutation(
        description=with_codes(
            (
                "Start a registration (DRAFT). Public data assets: authority or agency; "
                "products and services: market entity or broker."
            ),
            Code.NAME_INVALID,
            Code.SCENARIO_REQUIRED,
            Code.RIGHTS_REQUIRED,
            Code.SOURCES_REQUIRED,
            Code.SOURCE_INCOMPLETE,
            Code.RESOURCE_NOT_FOUND,
            Code.ORGANIZATION_REQUIRED,
            Code.DESCRIPTION_TOO_LONG,
            Code.SCENARIO_TOO_LONG,
            Code.DELIVERY_MODE_TOO_LONG,
            Code.TIME_SPAN_TOO_LONG,
            Code.SCALE_TOO_LONG,
        )
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
        description=with_codes(
            "DRAFT → SUBMITTED. Holder only.",
            Code.ASSET_NOT_FOUND,
            Code.ASSET_STATUS_INVALID,
            ApiCode.ID_INVALID,
        )
    )
    async def submit_asset_registration(self, info: Info, input: AssetIdInput) -> AssetPayload:
        return await _asset_payload(
            info, lambda s, a: registry.submit_asset_registration(s, a, uuid_of(input.id, "Asset"))
        )

    @strawberry.mutation(
        description=with_codes(
            (
                "Accept (a public notice of 5 working days starts) or reject (with a reason)."
                " Data authority only."
            ),
            Code.REASON_REQUIRED,
            Code.ASSET_NOT_FOUND,
            Code.ASSET_STATUS_INVALID,
            ApiCode.ID_INVALID,
            CoreCode.TIME_ZONE_REQUIRED,
            CoreCode.WORKING_DAYS_INVALID,
            CoreCode.YEAR_OUT_OF_RANGE,
        )
    )
    async def review_asset_registration(self, info: Info, input: ReviewAssetInput) -> AssetPayload:
        accept = input.decision is ReviewDecision.ACCEPT
        return await _asset_payload(
            info,
            lambda s, a: registry.review_asset_registration(
                s, a, uuid_of(input.id, "Asset"), accept=accept, reason=input.reason
            ),
        )

    @strawberry.mutation(
        description=with_codes(
            (
                "Object during the public notice; the registration and the notice clock pause"
                " (noticeEndsAt is null) until the authority resolves every open objection. "
                "Anyone signed in."
            ),
            Code.OBJECTION_TEXT_REQUIRED,
            Code.NOT_IN_PUBLIC_NOTICE,
            Code.NOTICE_ENDED,
            Code.ASSET_NOT_FOUND,
            Code.ASSET_STATUS_INVALID,
            ApiCode.ID_INVALID,
        )
    )
    async def object_to_asset(self, info: Info, input: ObjectToAssetInput) -> AssetPayload:
        async def use_case(session: AsyncSession, actor: Principal | None) -> registry.Asset:
            objection = await registry.object_to_asset(
                session, actor, uuid_of(input.id, "Asset"), text=input.text
            )
            (asset,) = await registry.get_assets(session, actor, [objection.asset_id])
            assert asset is not None
            return asset

        return await _asset_payload(info, use_case)

    @strawberry.mutation(
        description=with_codes(
            (
                "Uphold (the registration is rejected) or dismiss an objection. When the last"
                " open objection is dismissed, the notice resumes: the working days it had "
                "left run from now (a new noticeEndsAt, recorded in the ledger). Data "
                "authority only."
            ),
            Code.RESOLUTION_REQUIRED,
            Code.OBJECTION_NOT_OPEN,
            ApiCode.ID_INVALID,
            Code.ASSET_NOT_FOUND,
            Code.ASSET_STATUS_INVALID,
            CoreCode.TIME_ZONE_REQUIRED,
            CoreCode.WORKING_DAYS_INVALID,
            CoreCode.YEAR_OUT_OF_RANGE,
        )
    )
    async def resolve_asset_objection(
        self, info: Info, input: ResolveObjectionInput
    ) -> AssetPayload:
        return await _asset_payload(
            info,
            lambda s, a: registry.resolve_objection(
                s,
                a,
                uuid_of(input.objection, "AssetObjection"),
                upheld=input.upheld,
                resolution=input.resolution,
            ),
        )

    @strawberry.mutation(
        description=with_codes(
            (
                "After the notice with no open objection: REGISTERED, with a number and a "
                "certificate. Holder or authority."
            ),
            Code.NOTICE_RUNNING,
            Code.ASSET_NOT_FOUND,
            Code.ASSET_STATUS_INVALID,
            ApiCode.ID_INVALID,
        )
    )
    async def complete_asset_registration(self, info: Info, input: AssetIdInput) -> AssetPayload:
        return await _asset_payload(
            info,
            lambda s, a: registry.complete_asset_registration(s, a, uuid_of(input.id, "Asset")),
        )

    @strawberry.mutation(
        description=with_codes(
            "Change a registered asset's particulars; it goes back to review. Holder only.",
            Code.NOTHING_CHANGED,
            Code.NAME_INVALID,
            Code.SCENARIO_REQUIRED,
            Code.DESCRIPTION_TOO_LONG,
            Code.SCENARIO_TOO_LONG,
            Code.DELIVERY_MODE_TOO_LONG,
            Code.TIME_SPAN_TOO_LONG,
            Code.SCALE_TOO_LONG,
            Code.ASSET_NOT_FOUND,
            Code.ASSET_STATUS_INVALID,
            ApiCode.ID_INVALID,
            Code.FIELD_NOT_CHANGEABLE,
        )
    )
    async def change_asset_registration(self, info: Info, input: ChangeAssetInput) -> AssetPayload:
        changes = {
            k: getattr(input, k)
            for k in registry.assets.CHANGEABLE
            if getattr(input, k) is not None
        }
        return await _asset_payload(
            info,
            lambda s, a: registry.change_asset_registration(
                s, a, uuid_of(input.id, "Asset"), changes
            ),
        )

    @strawberry.mutation(
        description=with_codes(
            "Cancel a draft or a registration, with a reason. Holder or authority.",
            Code.REASON_REQUIRED,
            Code.ASSET_NOT_FOUND,
            Code.ASSET_STATUS_INVALID,
            ApiCode.ID_INVALID,
        )
    )
    async def cancel_asset_registration(self, info: Info, input: CancelAssetInput) -> AssetPayload:
        return await _asset_payload(
            info,
            lambda s, a: registry.cancel_asset_registration(
                s, a, uuid_of(input.id, "Asset"), reason=input.reason
            ),
        )


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
            ApiCode.METHOD_INPUTS_REQUIRED,
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
        description=with_codes(
            (
                "Assess an asset's quality on GB/T 36344's six dimensions. Holder, data "
                "authority or auditor."
            ),
            Code.SCORE_OUT_OF_RANGE,
            Code.WEIGHT_NEGATIVE,
            Code.WEIGHTS_NOT_NORMALISED,
            Code.ASSET_NOT_FOUND,
            Code.ASSET_STATUS_INVALID,
            Code.FLOAT_NOT_ALLOWED,
            ApiCode.ID_INVALID,
            Code.NEGATIVE_AMOUNT,
            Code.NOT_A_NUMBER,
        )
    )
    async def assess_quality(self, info: Info, input: AssessQualityInput) -> AssessQualityPayload:
        async def use_case(
            session: AsyncSession, actor: Principal | None
        ) -> registry.QualityAssessment:
            return await registry.assess_quality(
                session,
                actor,
                uuid_of(input.asset_id, "Asset"),
                _dimensions(registry.QualityScores, input.scores),
                _dimensions(registry.QualityWeights, input.weights),
            )

        return await payload(
            info, use_case, AssessQualityPayload, assessment=QualityAssessment.from_row
        )

    @strawberry.mutation(
        description=with_codes(
            (
                "Value an asset by the cost, income or market method (Art. 25); computed on "
                "the server, stored with its inputs, recorded in the ledger. Holder, data "
                "authority or auditor."
            ),
            ApiCode.METHOD_INPUTS_REQUIRED,
            Code.NEGATIVE_AMOUNT,
            Code.WEIGHTS_NOT_NORMALISED,
            Code.ADJUSTMENT_REQUIRED,
            Code.ADJUSTMENT_AMBIGUOUS,
            Code.DISCOUNT_RATE_INVALID,
            Code.PERIODS_INVALID,
            Code.PERIODS_MISMATCH,
            Code.SHARE_RATE_INVALID,
            Code.COMPARABLES_REQUIRED,
            Code.COEFFICIENT_NOT_POSITIVE,
            Code.VALUE_OUT_OF_RANGE,
            Code.ASSET_NOT_FOUND,
            Code.ASSET_STATUS_INVALID,
            ApiCode.ID_INVALID,
            Code.METHOD_UNKNOWN,
        )
    )
    async def appraise_asset(self, info: Info, input: AppraiseAssetInput) -> AppraiseAssetPayload:
        async def use_case(
            session: AsyncSession, actor: Principal | None
        ) -> registry.AssetValuation:
            inputs = _valuation_inputs(input)
            return await registry.appraise_asset(
                session,
                actor,
                uuid_of(input.asset_id, "Asset"),
                input.method.value,
                inputs,
            )

        return await payload(
            info, use_case, AppraiseAssetPayload, valuation=AssetValuation.from_row
        )
