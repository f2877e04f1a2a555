"""GraphQL for data items, the resource catalogue and public data assets: the input types."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from schema.registry.enums import (
    AssetKindEnum,
    AssetRightEnum,
    AssetStatusEnum,
    DeliveryEnum,
    IncomeForm,
    OpenTypeEnum,
    ReviewDecision,
    SensitivityEnum,
    ShareTypeEnum,
    UpdateFrequencyEnum,
    ValuationMethod,
)


@strawberry.input
class ClaimDataItemInput:
    code: str
    name: str
    legal_basis: str = strawberry.field(description="The law that makes you collect this data.")
    sensitive_personal: bool = strawberry.field(
        default=False,
        description="Sensitive personal information (PIPL Art. 28: biometrics, religion, "
        "specific identity, medical health, financial accounts, whereabouts, minors' data).",
    )


@strawberry.input
class TransferDataItemInput:
    code: str
    to_organization: strawberry.ID
    reason: str


@strawberry.input
class ResourceFilterInput:
    owner: strawberry.ID | None = None
    share_type: ShareTypeEnum | None = None
    open_type: OpenTypeEnum | None = None
    stale: bool | None = None
    text: str | None = None


@strawberry.input
class CreateResourceInput:
    code: str
    name: str
    description: str = ""
    share_type: ShareTypeEnum
    share_conditions: str = ""
    share_legal_basis: str = ""
    open_type: OpenTypeEnum
    delivery: DeliveryEnum
    update_frequency: UpdateFrequencyEnum
    sensitivity: SensitivityEnum
    contains_personal_info: bool
    data_items: list[str] = strawberry.field(
        default_factory=list, description="Codes of data items your agency has claimed."
    )


@strawberry.input(description="Only the fields given change; the whole entry is re-checked.")
class UpdateResourceInput:
    id: strawberry.ID
    code: str | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    share_type: ShareTypeEnum | None = strawberry.UNSET
    share_conditions: str | None = strawberry.UNSET
    share_legal_basis: str | None = strawberry.UNSET
    open_type: OpenTypeEnum | None = strawberry.UNSET
    delivery: DeliveryEnum | None = strawberry.UNSET
    update_frequency: UpdateFrequencyEnum | None = strawberry.UNSET
    sensitivity: SensitivityEnum | None = strawberry.UNSET
    contains_personal_info: bool | None = strawberry.UNSET
    data_items: list[str] | None = strawberry.UNSET


@strawberry.input
class RecordResourceUpdateInput:
    id: strawberry.ID
    updated_at: datetime


@strawberry.input
class AssetFilterInput:
    kind: AssetKindEnum | None = None
    status: AssetStatusEnum | None = None
    holder: strawberry.ID | None = None
    text: str | None = None


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


@strawberry.input(description="The method and its inputs (only the matching one is read).")
class AppraiseAssetInput:
    asset_id: strawberry.ID
    method: ValuationMethod
    cost: CostInput | None = None
    income: IncomeInput | None = None
    market: MarketInput | None = None


@strawberry.input
class RecordDeidentificationInput:
    resource_id: strawberry.ID
    method: str = strawberry.field(description="E.g. k-anonymity (k=10), generalisation.")
    performed_on: date
    checked_by: str = strawberry.field(description="Who checked the result.")
