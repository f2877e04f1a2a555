"""The resource catalogue and data registrations (Art. 8-11, 14, 18, 25).

So far: data items and their one source department (Art. 8), each agency's resource
catalogue with share and open types, freshness and history (Art. 9-11, 14, 18), and the pure
valuation methods of Art. 25 (`registry.valuation`: cost, income, market).
"""

from registry.catalogue import (
    ResourceFields,
    ResourceFilter,
    create_resource,
    get_resources,
    history_of,
    items_of,
    list_resources,
    open_catalogue,
    record_resource_update,
    update_resource,
)
from registry.freshness import is_stale
from registry.items import claim_data_item, find_item, get_items, list_items, transfer_data_item
from registry.models import (
    DataItem,
    Delivery,
    OpenType,
    Resource,
    ResourceChange,
    Sensitivity,
    ShareType,
    UpdateFrequency,
)
from registry.valuation import (
    QUALITY_DIMENSIONS,
    Comparable,
    ContributoryCharges,
    CostInputs,
    DirectCashFlows,
    IncomeInputs,
    MarketInputs,
    QualityAdjustment,
    QualityScores,
    QualityWeights,
    RemainingLife,
    RevenueShare,
    Valuation,
    WithWithout,
    appraise,
    quality_score,
)

__all__ = [
    "QUALITY_DIMENSIONS",
    "Comparable",
    "ContributoryCharges",
    "CostInputs",
    "DirectCashFlows",
    "IncomeInputs",
    "MarketInputs",
    "QualityAdjustment",
    "QualityScores",
    "QualityWeights",
    "RemainingLife",
    "RevenueShare",
    "Valuation",
    "WithWithout",
    "appraise",
    "quality_score",
    "DataItem",
    "Delivery",
    "OpenType",
    "Resource",
    "ResourceChange",
    "ResourceFields",
    "ResourceFilter",
    "Sensitivity",
    "ShareType",
    "UpdateFrequency",
    "claim_data_item",
    "create_resource",
    "find_item",
    "get_items",
    "get_resources",
    "history_of",
    "is_stale",
    "items_of",
    "list_items",
    "list_resources",
    "open_catalogue",
    "record_resource_update",
    "transfer_data_item",
    "update_resource",
]
