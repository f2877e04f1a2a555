"""The GraphQL schema: one module per domain, merged here.

`build_schema(settings)` is called once per process; the limits and caches it installs are
built once with it.
"""

from __future__ import annotations

from pathlib import Path

import strawberry
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.tools import merge_types

from core.settings import Settings
from schema import (
    assets,
    brokers,
    calendar,
    consent,
    ledger,
    organizations,
    registry,
    regulation,
)
from schema.context import Info
from schema.errors import ErrorPolicy
from schema.limits import QueryLimits, validation_rules
from schema.relay import NODE_RESOLVERS, Node, from_global_id

__all__ = ["SDL_PATH", "build_schema"]

SDL_PATH = Path(__file__).resolve().parent.parent / "schema.graphql"


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any object by its global ID (Relay).")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        type_name, row_id = from_global_id(id)
        resolver = NODE_RESOLVERS.get(type_name)
        return await resolver(info, row_id) if resolver else None


Query = merge_types(
    "Query",
    (
        NodeQuery,
        organizations.Query,
        calendar.Query,
        ledger.Query,
        registry.Query,
        registry.ResourceQuery,
        assets.Query,
        consent.Query,
        brokers.Query,
        regulation.Query,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        organizations.Mutation,
        calendar.Mutation,
        ledger.Mutation,
        registry.Mutation,
        registry.ResourceMutation,
        assets.Mutation,
        assets.AppraisalMutation,
        consent.Mutation,
        brokers.Mutation,
    ),
)
Subscription = merge_types("Subscription", (consent.Subscription,))

OBJECT_TYPES = [
    organizations.Organization,
    ledger.Witness,
    registry.DataItem,
    registry.Resource,
    assets.Asset,
    consent.Consent,
    consent.DataUse,
    consent.Complaint,
    brokers.BrokerLicence,
    brokers.Listing,
    brokers.Deal,
    brokers.DataFlow,
    brokers.BrokerEvaluation,
    brokers.RiskAlert,
]


def build_schema(settings: Settings) -> strawberry.Schema:
    rules = validation_rules(settings)
    max_tokens = settings.max_tokens
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=OBJECT_TYPES,
        extensions=[
            ErrorPolicy,
            lambda: QueryLimits(rules, max_tokens),  # the same rule classes every request
            lambda: ParserCache(maxsize=512),
            lambda: ValidationCache(maxsize=512),
        ],
    )
