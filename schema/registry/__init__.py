"""GraphQL for the registry: data items (Art. 8) and the resource catalogue (Art. 9-18).

GraphQL for data asset and product registration (Art. 25).
"""

from __future__ import annotations

from schema.registry import loaders  # registers the loaders and node types
from schema.registry.enums import AssetKindEnum
from schema.registry.mutations import (
    AppraisalMutation,
    AssetMutation,
    DataItemMutation,
    ResourceMutation,
)
from schema.registry.queries import AssetQuery, DataItemQuery, ResourceQuery
from schema.registry.types import Asset, DataItem, Resource, resource_of

QUERIES = (DataItemQuery, ResourceQuery, AssetQuery)
MUTATIONS = (DataItemMutation, ResourceMutation, AssetMutation, AppraisalMutation)
SUBSCRIPTIONS: tuple[type, ...] = ()
TYPES = (DataItem, Resource, Asset)

__all__ = [
    "Asset",
    "AssetKindEnum",
    "DataItem",
    "MUTATIONS",
    "QUERIES",
    "Resource",
    "SUBSCRIPTIONS",
    "TYPES",
    "loaders",
    "resource_of",
]
