"""GraphQL for traceability: the articles of the Measures and what carries and pins each."""

from __future__ import annotations

from schema.regulation.queries import Query

QUERIES = (Query,)
MUTATIONS: tuple[type, ...] = ()
SUBSCRIPTIONS: tuple[type, ...] = ()
TYPES: tuple[type, ...] = ()

__all__ = ["MUTATIONS", "QUERIES", "SUBSCRIPTIONS", "TYPES"]
