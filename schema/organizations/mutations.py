"""GraphQL for organisations and the viewer: the mutations and their payloads."""

from __future__ import annotations

import strawberry

import authority
from authority import Code
from schema.context import Info
from schema.errors import Code as ApiCode
from schema.errors import UserErrorType, payload, with_codes
from schema.organizations.inputs import ChangeOrganizationKindInput, RegisterOrganizationInput
from schema.organizations.types import Organization
from schema.relay import uuid_of


@strawberry.type
class RegisterOrganizationPayload:
    organization: Organization | None = None
    user_errors: list[UserErrorType]


@strawberry.type
class ChangeOrganizationKindPayload:
    organization: Organization | None = None
    user_errors: list[UserErrorType]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description=with_codes(
            (
                "Admit an organisation to the exchange (Art. 5); the admission is a ledger "
                "entry (`authority.organization.admitted`). Data authority only."
            ),
            Code.NAME_REQUIRED,
            Code.NAME_TOO_LONG,
            Code.USCC_INVALID,
            Code.USCC_TAKEN,
        )
    )
    async def register_organization(
        self, info: Info, input: RegisterOrganizationInput
    ) -> RegisterOrganizationPayload:
        return await payload(
            info,
            lambda session, actor: authority.register_organization(
                session, actor, kind=input.kind, name=input.name, uscc=input.uscc
            ),
            RegisterOrganizationPayload,
            organization=Organization.from_row,
        )

    @strawberry.mutation(
        description=with_codes(
            (
                "Change what an organisation is to the exchange (its kind decides who may be "
                "a source department, broker or regulator), with a reason; a ledger entry "
                "(`authority.organization.reclassified`) names the kind before and after. "
                "Data authority only."
            ),
            Code.REASON_REQUIRED,
            Code.ORGANIZATION_NOT_FOUND,
            Code.NOTHING_CHANGED,
            Code.LAST_AUTHORITY,
            ApiCode.ID_INVALID,
        )
    )
    async def change_organization_kind(
        self, info: Info, input: ChangeOrganizationKindInput
    ) -> ChangeOrganizationKindPayload:
        return await payload(
            info,
            lambda session, actor: authority.reclassify_organization(
                session,
                actor,
                uuid_of(input.organization, "Organization"),
                kind=input.kind,
                reason=input.reason,
            ),
            ChangeOrganizationKindPayload,
            organization=Organization.from_row,
        )
