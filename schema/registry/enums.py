"""GraphQL for data items, the resource catalogue and public data assets: the enums."""

from __future__ import annotations

from enum import Enum

import strawberry

import registry

ShareTypeEnum = strawberry.enum(registry.ShareType, name="ShareType", description="Art. 14.")

OpenTypeEnum = strawberry.enum(registry.OpenType, name="OpenType", description="Art. 18.")

DeliveryEnum = strawberry.enum(registry.Delivery, name="Delivery", description="Art. 10.")

UpdateFrequencyEnum = strawberry.enum(
    registry.UpdateFrequency, name="UpdateFrequency", description="Art. 11."
)

SensitivityEnum = strawberry.enum(registry.Sensitivity, name="Sensitivity")

AssetKindEnum = strawberry.enum(registry.AssetKind, name="AssetKind")

AssetRightEnum = strawberry.enum(registry.AssetRight, name="AssetRight")

AssetStatusEnum = strawberry.enum(registry.AssetStatus, name="AssetStatus")


@strawberry.enum
class ReviewDecision(Enum):
    ACCEPT = "ACCEPT"
    REJECT = "REJECT"


@strawberry.enum
class IncomeForm(Enum):
    DIRECT = "DIRECT"
    REVENUE_SHARE = "REVENUE_SHARE"
    CONTRIBUTORY = "CONTRIBUTORY"
    WITH_WITHOUT = "WITH_WITHOUT"


ValuationMethod = strawberry.enum(registry.valuation.Method, name="ValuationMethod")
