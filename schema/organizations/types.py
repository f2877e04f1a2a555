"""GraphQL for organisations and the viewer: the object types."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from core.models import Organization as OrganizationRow
from schema.context import Info
from schema.dataloaders import load_then
from schema.organizations.enums import OrganizationKindEnum, RoleEnum
from schema.relay import Node, to_global_id


@strawberry.type(description="A public body, broker, firm, auditor or the data authority.")
class Organization(Node):
    kind: OrganizationKindEnum
    name: str
    uscc: str = strawberry.field(description="Unified social credit code (GB 32100-2015).")
    created_at: datetime
    registered_by_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="The data-authority organisation that admitted this one.")
    def registered_by(self, info: Info) -> Organization | None:
        if self.registered_by_id is None:
            return None
        return load_then(info.context.loaders.organization, self.registered_by_id, from_row)

    @classmethod
    def from_row(cls, row: OrganizationRow) -> Organization:
        return cls(
            id=to_global_id("Organization", row.id),
            kind=row.kind,
            name=row.name,
            uscc=row.uscc,
            created_at=row.created_at,
            registered_by_id=row.registered_by_id,
        )


def from_row(row: OrganizationRow | None) -> Organization | None:
    return Organization.from_row(row) if row else None


@strawberry.type(description="Who the bearer token says you are.")
class Viewer:
    subject: str
    roles: list[RoleEnum]
    organization_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field
    async def organization(self, info: Info) -> Organization | None:
        if self.organization_id is None:
            return None
        row = await info.context.loaders.organization.load(self.organization_id)
        return from_row(row)
