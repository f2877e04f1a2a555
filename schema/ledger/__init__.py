"""GraphQL for the ledger: entries, proofs, checkpoints and witnesses (Art. 24, 26, 27)."""

from __future__ import annotations

from schema.ledger import loaders  # registers the loaders and node types
from schema.ledger.mutations import Mutation
from schema.ledger.queries import Query
from schema.ledger.types import Checkpoint, InclusionProof, Witness

QUERIES = (Query,)
MUTATIONS = (Mutation,)
SUBSCRIPTIONS: tuple[type, ...] = ()
TYPES = (Witness,)

__all__ = [
    "Checkpoint",
    "InclusionProof",
    "MUTATIONS",
    "QUERIES",
    "SUBSCRIPTIONS",
    "TYPES",
    "Witness",
    "loaders",
]
