"""GraphQL for data items, the catalogue and public data assets: the DataLoaders and node
types."""

from __future__ import annotations

import registry
from schema import compiled
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

# Compiled reads (schema.compiled): how these types read off their tables. What is not here
# (rights, objections, quality, valuations, an asset source's resource, a resource's history
# and de-identifications, JSON fields, the inclusion proof) goes through the resolvers above.
compiled.node("Asset", visible=registry.asset_visible_to)  # as `get_assets`
compiled.node("Resource", visible=registry.resource_visible_to)  # as `get_resources`
compiled.node("DataItem")  # as `get_items`: every row
compiled.shape(
    "DataItem",
    registry.DataItem,
    {
        "id": compiled.GlobalId("DataItem"),
        "code": compiled.Column("code"),
        "name": compiled.Column("name"),
        "legalBasis": compiled.Column("legal_basis"),
        "sensitivePersonal": compiled.Column("sensitive_personal"),
        "claimedAt": compiled.Column("claimed_at"),
        "sourceDepartment": compiled.ToOne("source_department_id", "Organization"),
    },
)
compiled.shape(
    "Resource",
    registry.Resource,
    {
        "id": compiled.GlobalId("Resource"),
        **{
            name: compiled.Column(column)
            for name, column in {
                "code": "code",
                "name": "name",
                "description": "description",
                "shareType": "share_type",
                "shareConditions": "share_conditions",
                "shareLegalBasis": "share_legal_basis",
                "openType": "open_type",
                "delivery": "delivery",
                "updateFrequency": "update_frequency",
                "sensitivity": "sensitivity",
                "containsPersonalInfo": "contains_personal_info",
                "lastUpdatedAt": "last_updated_at",
                "version": "version",
                "createdAt": "created_at",
            }.items()
        },
        # stale (Art. 11) when the statement runs, as the resolver's `now()` when it resolves
        "isStale": compiled.Holds(lambda table: registry.stale(table, compiled.now_parameter())),
        "owner": compiled.ToOne("owner_id", "Organization"),
        "dataItems": compiled.ToMany(
            "DataItem",
            "resource_id",
            registry.ITEM_ORDER,
            via=compiled.Via(registry.ResourceItem, near="resource_id", far="data_item_id"),
        ),
    },
)
compiled.shape(
    "Asset",
    registry.Asset,
    {
        "id": compiled.GlobalId("Asset"),
        **{
            name: compiled.Column(column)
            for name, column in {
                "kind": "kind",
                "name": "name",
                "description": "description",
                "scenario": "scenario",
                "deliveryMode": "delivery_mode",
                "updateFrequency": "update_frequency",
                "timeSpan": "time_span",
                "scale": "scale",
                "status": "status",
                "noticeEndsAt": "notice_ends_at",
                "noticeEndsProvisional": "notice_ends_provisional",
                "decisionReason": "decision_reason",
                "version": "version",
                "createdAt": "created_at",
            }.items()
        },
        "holder": compiled.ToOne("holder_id", "Organization"),
        "sources": compiled.ToMany("AssetSource", "asset_id", registry.SOURCE_ORDER),
        "currentValuation": compiled.Latest(
            "AssetValuation", "asset_id", registry.LATEST_VALUATION_FIRST
        ),
        "certificate": compiled.SameRow("RegistrationCertificate", registry.certified),
    },
)
compiled.shape(
    "AssetSource",
    registry.AssetSource,
    {
        "datasetName": compiled.Column("dataset_name"),
        "datasetHolder": compiled.Column("dataset_holder"),
        "legalBasis": compiled.Column("legal_basis"),
    },
)
compiled.shape(
    "AssetValuation",
    registry.AssetValuation,
    {
        "method": compiled.Column("method"),
        "value": compiled.Column("value"),
        "valuedAt": compiled.Column("valued_at"),
        "ledgerSeq": compiled.Column("ledger_seq"),
    },
)
compiled.shape(
    "RegistrationCertificate",
    registry.Asset,
    {
        "number": compiled.Column("registration_number"),
        "registeredAt": compiled.Column("registered_at"),
        "ledgerSeq": compiled.Column("registration_seq"),
        "holder": compiled.ToOne("holder_id", "Organization"),
    },
)
