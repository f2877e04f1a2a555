"""GraphQL for the working-day calendar statutory deadlines are counted in (Art. 15)."""

from __future__ import annotations

from schema.calendar.mutations import Mutation
from schema.calendar.queries import Query
from schema.calendar.types import PROVISIONAL

QUERIES = (Query,)
MUTATIONS = (Mutation,)
SUBSCRIPTIONS: tuple[type, ...] = ()
TYPES: tuple[type, ...] = ()

__all__ = ["MUTATIONS", "PROVISIONAL", "QUERIES", "SUBSCRIPTIONS", "TYPES"]
