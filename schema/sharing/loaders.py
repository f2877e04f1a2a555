"""GraphQL for sharing: the DataLoaders and node types."""

from __future__ import annotations

import sharing
from schema.dataloaders import loader, visible_loader
from schema.relay import node_type
from schema.sharing.types import (
    AccessTicket,
    DataAnomaly,
    DataDemand,
    OpenApplication,
    ShareGrant,
    ShareRequest,
    ShareViolationCandidate,
)

loader("share_request_items", sharing.items_of_requests)
loader("share_grant_items", sharing.items_of_grants)
loader("share_dispute", sharing.disputes_of)
visible_loader("share_request", sharing.get_share_requests)
visible_loader("share_grant", sharing.get_grants)
visible_loader("access_ticket", sharing.get_tickets)
visible_loader("share_violation_candidate", sharing.get_violation_candidates)

node_type("ShareRequest", "share_request", ShareRequest.from_row)
node_type("ShareGrant", "share_grant", ShareGrant.from_row)
node_type("AccessTicket", "access_ticket", AccessTicket.from_row)
node_type("ShareViolationCandidate", "share_violation_candidate", ShareViolationCandidate.from_row)
loader("data_demand_items", sharing.items_of_demands)
visible_loader("data_demand", sharing.get_demands)
visible_loader("data_anomaly", sharing.get_anomalies)
visible_loader("open_application", sharing.get_open_applications)

node_type("DataDemand", "data_demand", DataDemand.from_row)
node_type("DataAnomaly", "data_anomaly", DataAnomaly.from_row)
node_type("OpenApplication", "open_application", OpenApplication.from_row)
