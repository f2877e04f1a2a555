"""GraphQL for data items, the catalogue and public data assets: the mutations and their
payloads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry

import registry
from core.db import AsyncSession
from core.errors import UserError
from core.identity import Principal
from schema.context import Info
from schema.errors import UserErrorType, perform
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
        description="Become the source department of a data item (Art. 8). Agency only. "
        "userErrors codes: DATA_ITEM_ALREADY_CLAIMED (names the holder), DATA_ITEM_CODE_INVALID, "
        "NAME_INVALID, LEGAL_BASIS_REQUIRED, ORGANIZATION_REQUIRED."
    )
    async def claim_data_item(self, info: Info, input: ClaimDataItemInput) -> DataItemPayload:
        row, errors = await perform(
            info,
            lambda session, actor: registry.claim_data_item(
                session,
                actor,
                code=input.code,
                name=input.name,
                legal_basis=input.legal_basis,
                sensitive_personal=input.sensitive_personal,
            ),
        )
        return DataItemPayload(
            data_item=DataItem.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Move a data item to another source department, with a reason. Data "
        "authority only. userErrors codes: DATA_ITEM_NOT_FOUND, SOURCE_DEPARTMENT_INVALID, "
        "DATA_ITEM_SAME_OWNER, REASON_REQUIRED, ID_INVALID."
    )
    async def transfer_data_item(self, info: Info, input: TransferDataItemInput) -> DataItemPayload:
        async def transfer(session, actor):  # type: ignore[no-untyped-def]
            _, target = from_global_id(input.to_organization, "Organization")
            return await registry.transfer_data_item(
                session, actor, code=input.code, to_organization_id=target, reason=input.reason
            )

        row, errors = await perform(info, transfer)
        return DataItemPayload(
            data_item=DataItem.from_row(row) if row else None, user_errors=errors
        )


@strawberry.type
class ResourcePayload:
    resource: Resource | None = None
    user_errors: list[UserErrorType]


RESOURCE_CODES = (
    "RESOURCE_CODE_INVALID, RESOURCE_CODE_TAKEN, NAME_INVALID, DESCRIPTION_TOO_LONG, "
    "SHARE_CONDITIONS_REQUIRED, SHARE_LEGAL_BASIS_REQUIRED, OPEN_TYPE_NOT_ALLOWED, "
    "DATA_ITEM_NOT_FOUND, DATA_ITEM_NOT_OWNED, DEIDENTIFICATION_REQUIRED"
)


def _payload(row: registry.Resource | None, errors: list[UserErrorType]) -> ResourcePayload:
    return ResourcePayload(resource=Resource.from_row(row) if row else None, user_errors=errors)


@strawberry.type
class ResourceMutation:
    @strawberry.mutation(
        description="Art. 18: record how a resource was de-identified; an entry holding "
        "personal information is OPEN or CONDITIONAL_OPEN only with one. Owning agency only. "
        "userErrors codes: METHOD_REQUIRED, CHECKED_BY_REQUIRED, PERFORMED_IN_FUTURE, "
        "RESOURCE_NOT_FOUND, ID_INVALID."
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

        row, errors = await perform(info, use_case)
        return _payload(row, errors)

    @strawberry.mutation(
        description="Catalogue a resource (Art. 9). Agency only. "
        f"userErrors codes: {RESOURCE_CODES}."
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
        row, errors = await perform(
            info, lambda session, actor: registry.create_resource(session, actor, fields)
        )
        return _payload(row, errors)

    @strawberry.mutation(
        description="Change a catalogue entry; a new version is recorded. Owning agency only. "
        f"userErrors codes: RESOURCE_NOT_FOUND, FIELD_REQUIRED, {RESOURCE_CODES}."
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
                    "FIELD_REQUIRED", "Omit a field to keep it; null is not a value.", nulls[0]
                )
            return await registry.update_resource(
                session, actor, uuid_of(input.id, "Resource"), changes
            )

        row, errors = await perform(info, update)
        return _payload(row, errors)

    @strawberry.mutation(
        description="Art. 11: the data was refreshed at `updatedAt`. Owning agency only. "
        "userErrors codes: RESOURCE_NOT_FOUND, TIME_ZONE_REQUIRED, UPDATED_IN_FUTURE, "
        "UPDATE_OUT_OF_ORDER."
    )
    async def record_resource_update(
        self, info: Info, input: RecordResourceUpdateInput
    ) -> ResourcePayload:
        row, errors = await perform(
            info,
            lambda session, actor: registry.record_resource_update(
                session, actor, uuid_of(input.id, "Resource"), input.updated_at
            ),
        )
        return _payload(row, errors)


@strawberry.type
class AssetPayload:
    asset: Asset | None = None
    user_errors: list[UserErrorType]


UseCase = Callable[[AsyncSession, Principal | None], Awaitable[registry.Asset]]


async def _asset_payload(info: Info, use_case: UseCase) -> AssetPayload:
    row, errors = await perform(info, use_case)
    return AssetPayload(asset=Asset.from_row(row) if row else None, user_errors=errors)


STATUS_CODES = "ASSET_NOT_FOUND, ASSET_STATUS_INVALID, ID_INVALID"

TOO_LONG_CODES = (
    "DESCRIPTION_TOO_LONG, SCENARIO_TOO_LONG, DELIVERY_MODE_TOO_LONG, TIME_SPAN_TOO_LONG, "
    "SCALE_TOO_LONG"
)


@strawberry.type
class AssetMutation:
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
            info, lambda s, a: registry.submit_asset_registration(s, a, uuid_of(input.id, "Asset"))
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
                s, a, uuid_of(input.id, "Asset"), accept=accept, reason=input.reason
            ),
        )

    @strawberry.mutation(
        description="Object during the public notice; the registration and the notice clock "
        "pause (noticeEndsAt is null) until the authority resolves every open objection. "
        "Anyone signed in. userErrors codes: OBJECTION_TEXT_REQUIRED, NOT_IN_PUBLIC_NOTICE, "
        f"NOTICE_ENDED, {STATUS_CODES}."
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
        description="Uphold (the registration is rejected) or dismiss an objection. When the "
        "last open objection is dismissed, the notice resumes: the working days it had left "
        "run from now (a new noticeEndsAt, recorded in the ledger). Data authority only. "
        "userErrors codes: RESOLUTION_REQUIRED, OBJECTION_NOT_OPEN, ID_INVALID."
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
        description="After the notice with no open objection: REGISTERED, with a "
        "number and a certificate. Holder or authority. userErrors codes: NOTICE_RUNNING, "
        f"{STATUS_CODES}."
    )
    async def complete_asset_registration(self, info: Info, input: AssetIdInput) -> AssetPayload:
        return await _asset_payload(
            info,
            lambda s, a: registry.complete_asset_registration(s, a, uuid_of(input.id, "Asset")),
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
            info,
            lambda s, a: registry.change_asset_registration(
                s, a, uuid_of(input.id, "Asset"), changes
            ),
        )

    @strawberry.mutation(
        description="Cancel a draft or a registration, with a reason. Holder or "
        f"authority. userErrors codes: REASON_REQUIRED, {STATUS_CODES}."
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
                uuid_of(input.asset_id, "Asset"),
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
                uuid_of(input.asset_id, "Asset"),
                input.method.value,
                inputs,
            )

        row, errors = await perform(info, use_case)
        return AppraiseAssetPayload(
            valuation=AssetValuation.from_row(row) if row else None, user_errors=errors
        )
