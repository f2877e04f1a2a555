"""GraphQL for organisations and the viewer: the first slice, and the one to copy."""

from __future__ import annotations

from schema.organizations import loaders  # registers the loaders and node types
from schema.organizations.mutations import Mutation
from schema.organizations.queries import Query
from schema.organizations.types import Organization, from_row

QUERIES = (Query,)
MUTATIONS = (Mutation,)
SUBSCRIPTIONS: tuple[type, ...] = ()
TYPES = (Organization,)

__all__ = ["MUTATIONS", "Organization", "QUERIES", "SUBSCRIPTIONS", "TYPES", "from_row", "loaders"]
