"""GraphQL for organisations and the viewer: the input types."""

from __future__ import annotations

import strawberry

from schema.organizations.enums import OrganizationKindEnum


@strawberry.input
class RegisterOrganizationInput:
    kind: OrganizationKindEnum
    name: str
    uscc: str = strawberry.field(description="Unified social credit code, 18 characters.")


@strawberry.input
class ChangeOrganizationKindInput:
    organization: strawberry.ID
    kind: OrganizationKindEnum
    reason: str
