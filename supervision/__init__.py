"""Supervision of agencies (Art. 9, 28-30, 33, 35): chief data officers, the system
inventory, IT-project gates, agency scorecards on the one indicator engine
(`authority.indicators`), findings and rectification orders with escalation to the superior
government (the `oversight` role)."""

from supervision.access import READ_ALL
from supervision.models import (
    ARTICLE_ITEM,
    OPEN_RECTIFICATION,
    PROJECT_TRANSITIONS,
    RECTIFICATION_TRANSITIONS,
    AgencyScorecard,
    ChiefDataOfficer,
    Finding,
    FindingKind,
    InformationSystem,
    ItProject,
    ProjectItem,
    ProjectStatus,
    Rectification,
    RectificationStatus,
    SystemResource,
)
from supervision.officers import appoint_cdo, end_cdo, list_cdos
from supervision.projects import (
    Gap,
    ProjectFields,
    accept_project,
    approve_project,
    file_project,
    get_projects,
    items_of_projects,
    last_grade,
    list_projects,
    project_gaps,
)
from supervision.systems import (
    SystemFields,
    list_systems,
    register_system,
    resources_of_systems,
    resources_without_system,
)

__all__ = [
    "ARTICLE_ITEM",
    "OPEN_RECTIFICATION",
    "PROJECT_TRANSITIONS",
    "READ_ALL",
    "RECTIFICATION_TRANSITIONS",
    "AgencyScorecard",
    "ChiefDataOfficer",
    "Finding",
    "FindingKind",
    "Gap",
    "InformationSystem",
    "ItProject",
    "ProjectFields",
    "ProjectItem",
    "ProjectStatus",
    "Rectification",
    "RectificationStatus",
    "SystemFields",
    "SystemResource",
    "accept_project",
    "appoint_cdo",
    "approve_project",
    "end_cdo",
    "file_project",
    "get_projects",
    "items_of_projects",
    "last_grade",
    "list_cdos",
    "list_projects",
    "list_systems",
    "project_gaps",
    "register_system",
    "resources_of_systems",
    "resources_without_system",
]
