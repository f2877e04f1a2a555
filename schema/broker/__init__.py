"""GraphQL for data brokers (Art. 24, 26): licences, listings, deals, fusion flows and their
lineage, supervision indicators, evaluations and risk alerts.
"""

from __future__ import annotations

from schema.broker import loaders  # registers the loaders and node types
from schema.broker.inputs import (
    PeriodInput,
    UpdateSupervisionGradeInput,
    UpdateSupervisionIndicatorInput,
)
from schema.broker.mutations import Mutation
from schema.broker.queries import Query
from schema.broker.types import (
    BrokerEvaluation,
    BrokerLicence,
    DataFlow,
    Deal,
    IndicatorScore,
    Listing,
    PeriodScores,
    RiskAlert,
    SupervisionGrade,
    SupervisionIndicator,
)

QUERIES = (Query,)
MUTATIONS = (Mutation,)
SUBSCRIPTIONS: tuple[type, ...] = ()
TYPES = (BrokerLicence, Listing, Deal, DataFlow, BrokerEvaluation, RiskAlert)

__all__ = [
    "BrokerEvaluation",
    "BrokerLicence",
    "DataFlow",
    "Deal",
    "IndicatorScore",
    "PeriodScores",
    "Listing",
    "MUTATIONS",
    "PeriodInput",
    "QUERIES",
    "RiskAlert",
    "SUBSCRIPTIONS",
    "SupervisionGrade",
    "SupervisionIndicator",
    "TYPES",
    "UpdateSupervisionGradeInput",
    "UpdateSupervisionIndicatorInput",
    "loaders",
]
