"""GraphQL for agency supervision (Art. 9, 28-30, 33, 35): chief data officers, the system
inventory, IT-project gates, agency scorecards, findings and rectification orders.
"""

from __future__ import annotations

from schema.supervision import loaders  # registers the loaders and node types
from schema.supervision.mutations import Mutation
from schema.supervision.queries import Query
from schema.supervision.types import (
    AgencyScorecard,
    ChiefDataOfficer,
    Finding,
    InformationSystem,
    ItProject,
    Rectification,
)

QUERIES = (Query,)
MUTATIONS = (Mutation,)
SUBSCRIPTIONS: tuple[type, ...] = ()
TYPES = (ChiefDataOfficer, InformationSystem, ItProject, AgencyScorecard, Finding, Rectification)

__all__ = [
    "AgencyScorecard",
    "ChiefDataOfficer",
    "Finding",
    "InformationSystem",
    "ItProject",
    "MUTATIONS",
    "QUERIES",
    "Rectification",
    "SUBSCRIPTIONS",
    "TYPES",
    "loaders",
]
