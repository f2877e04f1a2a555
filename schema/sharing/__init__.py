"""GraphQL for sharing (Art. 9, 12-20): share requests on the statutory calendar, grants,
access tickets, violation candidates and the authority's overdue board; the demand list,
anomaly reports and usage reports, conditional opening, verification without disclosure."""

from __future__ import annotations

from schema.sharing import loaders  # registers the loaders and node types
from schema.sharing.mutations import Mutation
from schema.sharing.queries import Query
from schema.sharing.types import (
    AccessTicket,
    DataAnomaly,
    DataDemand,
    OpenApplication,
    ShareGrant,
    ShareRequest,
)

QUERIES = (Query,)
MUTATIONS = (Mutation,)
SUBSCRIPTIONS: tuple[type, ...] = ()
TYPES = (ShareRequest, ShareGrant, AccessTicket, DataDemand, DataAnomaly, OpenApplication)

__all__ = ["MUTATIONS", "QUERIES", "SUBSCRIPTIONS", "TYPES", "loaders"]
