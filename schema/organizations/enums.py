"""GraphQL for organisations and the viewer: the enums."""

from __future__ import annotations

import strawberry

from core.identity import Role
from core.models import OrganizationKind

OrganizationKindEnum = strawberry.enum(
    OrganizationKind, description="What an organisation is to the exchange."
)

RoleEnum = strawberry.enum(Role, name="Role", description="What a token lets its holder do.")
