"""GraphQL for organisations and the viewer: the mutations and their payloads."""

from __future__ import annotations

import strawberry

from core import organizations
from schema.context import Info
from schema.errors import UserErrorType, perform
from schema.organizations.inputs import RegisterOrganizationInput
from schema.organizations.types import Organization


@strawberry.type
class RegisterOrganizationPayload:
    organization: Organization | None = None
    user_errors: list[UserErrorType]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Admit an organisation to the exchange. Data authority only. "
        "userErrors codes: NAME_REQUIRED, NAME_TOO_LONG, USCC_INVALID, USCC_TAKEN."
    )
    async def register_organization(
        self, info: Info, input: RegisterOrganizationInput
    ) -> RegisterOrganizationPayload:
        row, errors = await perform(
            info,
            lambda session, actor: organizations.register_organization(
                session, actor, kind=input.kind, name=input.name, uscc=input.uscc
            ),
        )
        return RegisterOrganizationPayload(
            organization=Organization.from_row(row) if row else None, user_errors=errors
        )
