"""GraphQL for agency supervision: the DataLoaders and node types."""

from __future__ import annotations

import supervision
from schema.dataloaders import loader, visible_loader
from schema.relay import node_type
from schema.supervision.types import (
    AgencyScorecard,
    ChiefDataOfficer,
    Finding,
    InformationSystem,
    ItProject,
    Rectification,
)

loader("system_resources", supervision.resources_of_systems)
loader("rectification_findings", supervision.findings_of)
visible_loader("chief_data_officer", supervision.get_cdos)
visible_loader("information_system", supervision.get_systems)
visible_loader("it_project", supervision.get_projects)
visible_loader("agency_scorecard", supervision.get_scorecards)
visible_loader("finding", supervision.get_findings)
visible_loader("rectification", supervision.get_rectifications)

node_type("ChiefDataOfficer", "chief_data_officer", ChiefDataOfficer.from_row)
node_type("InformationSystem", "information_system", InformationSystem.from_row)
node_type("ItProject", "it_project", ItProject.from_row)
node_type("AgencyScorecard", "agency_scorecard", AgencyScorecard.from_row)
node_type("Finding", "finding", Finding.from_row)
node_type("Rectification", "rectification", Rectification.from_row)
