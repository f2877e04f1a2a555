"""GraphQL for data brokers: the DataLoaders and node types."""

from __future__ import annotations

import broker as domain
from schema.broker.types import (
    BrokerEvaluation,
    BrokerLicence,
    DataFlow,
    Deal,
    Listing,
    RiskAlert,
)
from schema.dataloaders import loader, visible_loader
from schema.relay import node_type

loader("licence_decisions", domain.decisions_of)
loader("flow_inputs", domain.inputs_of)
visible_loader("flow_consents", domain.consents_of)  # the consents the caller may see
visible_loader("licence", domain.get_licences)
visible_loader("listing", domain.get_listings)
visible_loader("deal", domain.get_deals)
visible_loader("flow", domain.get_flows)
visible_loader("alert", domain.get_alerts)
visible_loader("evaluation", domain.get_evaluations)

node_type("BrokerLicence", "licence", BrokerLicence.from_row)
node_type("Listing", "listing", Listing.from_row)
node_type("Deal", "deal", Deal.from_row)
node_type("DataFlow", "flow", DataFlow.from_row)
node_type("RiskAlert", "alert", RiskAlert.from_row)
node_type("BrokerEvaluation", "evaluation", BrokerEvaluation.from_row)
