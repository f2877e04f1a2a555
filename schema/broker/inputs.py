"""GraphQL for data brokers: the input types."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from schema.broker.enums import (
    AlertRuleEnum,
    BrokerTypeEnum,
    FlowInputKindEnum,
    LicenceDecisionEnum,
    PricingModelEnum,
)
from schema.registry import AssetKindEnum


@strawberry.input
class PriceRangeInput:
    min: Decimal | None = None
    max: Decimal | None = None


@strawberry.input
class ListingFilterInput:
    broker: strawberry.ID | None = None
    kind: AssetKindEnum | None = None
    text: str | None = None
    price_range: PriceRangeInput | None = None


@strawberry.input
class PeriodInput:
    start: datetime
    end: datetime


@strawberry.input
class ApplyBrokerLicenceInput:
    broker_type: BrokerTypeEnum
    business_scope: str
    scenarios: list[str]
    mlps_level: int
    dcmm_level: int
    contact: str
    minors_data_handling: str = strawberry.field(description="How minors' data is handled.")
    sensitive_data_handling: str = strawberry.field(
        description="How sensitive personal information is handled."
    )


@strawberry.input
class DecideBrokerLicenceInput:
    licence_id: strawberry.ID
    decision: LicenceDecisionEnum
    reason: str
    grade: str | None = strawberry.field(default=None, description="A, B, C or D.")
    valid_until: datetime | None = strawberry.field(
        default=None, description="APPROVE: defaults to 3 years from now."
    )


@strawberry.input
class EntrustAssetInput:
    asset_id: strawberry.ID
    broker: strawberry.ID


@strawberry.input
class LicenceTermsInput:
    purposes: list[str]
    term: str = strawberry.field(description="ISO 8601 duration: P1Y, P6M, P30D …")
    territory: str
    resale: bool = False


@strawberry.input
class ListProductInput:
    asset_id: strawberry.ID
    price: Decimal
    pricing_model: PricingModelEnum
    licence_terms: LicenceTermsInput


@strawberry.input
class DelistProductInput:
    id: strawberry.ID
    reason: str = ""


@strawberry.input
class MatchDealInput:
    listing_id: strawberry.ID
    buyer: strawberry.ID
    purpose: str
    scenario: str
    price: Decimal


@strawberry.input
class DealIdInput:
    id: strawberry.ID


@strawberry.input
class RecordDeliveryInput:
    id: strawberry.ID
    note: str = ""


@strawberry.input
class CancelDealInput:
    id: strawberry.ID
    reason: str


@strawberry.input(
    description="PUBLIC_RESOURCE: `resource` (code) and, unless it is shared "
    "UNCONDITIONALLY, `basisAsset` (a REGISTERED public data asset covering it). "
    "NON_PUBLIC_DATASET: datasetName, datasetHolder, legalBasis. ASSET: `asset`, REGISTERED."
)
class DataFlowInputInput:
    kind: FlowInputKindEnum
    resource: str | None = None
    basis_asset: strawberry.ID | None = None
    asset: strawberry.ID | None = None
    dataset_name: str = ""
    dataset_holder: str = ""
    legal_basis: str = ""


@strawberry.input
class ConsentReliedInput:
    consent: strawberry.ID
    item: str = strawberry.field(description='"item:<data item code>" or "certificate:<TYPE>".')


@strawberry.input
class RecordDataFlowInput:
    inputs: list[DataFlowInputInput]
    output_asset_id: strawberry.ID
    recipients: list[strawberry.ID]
    purpose: str
    scenario: str
    consents: list[ConsentReliedInput] = strawberry.field(default_factory=list)


@strawberry.input
class UpdateSupervisionIndicatorInput:
    code: str
    weight: Decimal | None = None
    parameter: Decimal | None = None
    name: str | None = None
    description: str | None = None
    veto: bool | None = None


@strawberry.input
class UpdateRiskRuleInput:
    rule: AlertRuleEnum
    threshold: Decimal | None = None
    enabled: bool | None = None
    min_volume: int | None = None


@strawberry.input
class UpdateSupervisionGradeInput:
    grade: str
    min_score: Decimal


@strawberry.input
class EvaluateBrokersInput:
    period_start: datetime
    period_end: datetime


@strawberry.input
class AcknowledgeRiskAlertInput:
    id: strawberry.ID
    note: str = ""
