"""GraphQL for organisations and the viewer: the DataLoaders and node types."""

from __future__ import annotations

from core import organizations
from core.models import Organization as OrganizationRow
from schema import compiled
from schema.dataloaders import loader
from schema.organizations.types import Organization
from schema.relay import node_type

loader("organization", organizations.get_organizations)

node_type("Organization", "organization", Organization.from_row)

# Compiled reads (schema.compiled): how an organisation reads off its table; `node(id)` reads
# every row, as `get_organizations` does.
compiled.node("Organization")
compiled.shape(
    "Organization",
    OrganizationRow,
    {
        "id": compiled.GlobalId("Organization"),
        "kind": compiled.Column("kind"),
        "name": compiled.Column("name"),
        "uscc": compiled.Column("uscc"),
        "createdAt": compiled.Column("created_at"),
        "registeredBy": compiled.ToOne("registered_by_id", "Organization"),
    },
)
