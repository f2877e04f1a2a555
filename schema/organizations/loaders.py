"""GraphQL for organisations and the viewer: the DataLoaders and node types."""

from __future__ import annotations

from core import organizations
from schema.dataloaders import loader
from schema.organizations.types import Organization
from schema.relay import node_type

loader("organization", organizations.get_organizations)

node_type("Organization", "organization", Organization.from_row)
