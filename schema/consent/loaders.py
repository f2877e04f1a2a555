"""GraphQL for consents, data uses and complaints: the DataLoaders and node types."""

from __future__ import annotations

import consent
from schema.consent.types import Complaint, Consent, DataUse
from schema.dataloaders import loader, visible_loader
from schema.relay import node_type

loader("consent_items", consent.items_of)
visible_loader("consent", consent.get_consents)
visible_loader("consent_subject", consent.subjects_as_seen)  # else the ledger commitment
visible_loader("data_use", consent.get_uses)
visible_loader("complaint", consent.get_complaints)

node_type("Consent", "consent", Consent.from_row)
node_type("DataUse", "data_use", DataUse.from_row)
node_type("Complaint", "complaint", Complaint.from_row)
