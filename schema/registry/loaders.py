"""GraphQL for data items, the catalogue and public data assets: the DataLoaders and node
types."""

from __future__ import annotations

import registry
from schema.dataloaders import loader, visible_loader
from schema.registry.types import Asset, DataItem, Resource
from schema.relay import node_type

loader("data_item", registry.get_items)
loader("resource_items", registry.items_of)
loader("resource_history", registry.history_of)
loader("resource_deidentifications", registry.deidentifications_of)
loader("asset_sources", registry.sources_of)
loader("asset_objections", registry.objections_of)
loader("asset_valuations", registry.valuations_of)
loader("asset_current_valuation", registry.current_valuations)
loader("asset_assessments", registry.assessments_of)
visible_loader("resource", registry.get_resources)
visible_loader("asset", registry.get_assets)

node_type("DataItem", "data_item", DataItem.from_row)
node_type("Resource", "resource", Resource.from_row, public=True)  # Art. 18: the open catalogue
node_type("Asset", "asset", Asset.from_row, public=True)  # registrations are public facts
