"""GraphQL for organisations and the viewer: the first slice, and the one to copy."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

import authority
from core.identity import Role, require
from core.models import Organization as OrganizationRow
from core.models import OrganizationKind
from schema.context import Info
from schema.dataloaders import load_then
from schema.errors import UserErrorType, perform
from schema.relay import Connection, Node, connection, from_global_id, node_type, to_global_id

OrganizationKindEnum = strawberry.enum(
    OrganizationKind, description="What an organisation is to the exchange."
)
RoleEnum = strawberry.enum(Role, name="Role", description="What a token lets its holder do.")


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


@node_type("Organization")
async def load_organization(info: Info, row_id: uuid.UUID) -> Organization | None:
    require(info.context.actor)
    row = await info.context.loaders.organization.load(row_id)
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
        return await load_organization(info, self.organization_id)


@strawberry.type
class Query:
    @strawberry.field(description="The caller. Needs a token.")
    def viewer(self, info: Info) -> Viewer:
        actor = require(info.context.actor)
        return Viewer(
            subject=actor.subject,
            roles=sorted(actor.roles),
            organization_id=actor.organization_id,
        )

    @strawberry.field(description="One organisation by global ID. Needs a token.")
    async def organization(self, info: Info, id: strawberry.ID) -> Organization | None:
        _, row_id = from_global_id(id, "Organization")
        return await load_organization(info, row_id)

    @strawberry.field(description="Organisations by name, a page at a time. Needs a token.")
    async def organizations(
        self,
        info: Info,
        kind: OrganizationKindEnum | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Organization]:
        require(info.context.actor)
        async with info.context.db.read() as session:
            page = await authority.list_organizations(session, kind=kind, first=first, after=after)
        # Each row brought its registrant along (one statement): prime the request's loader
        # so `registeredBy` resolves without a second query.
        info.context.loaders.organization.prime_many(
            {registrant.id: registrant for _, registrant in page.items if registrant}
        )
        return connection(page, lambda row: Organization.from_row(row[0]))


@strawberry.input
class RegisterOrganizationInput:
    kind: OrganizationKindEnum
    name: str
    uscc: str = strawberry.field(description="Unified social credit code, 18 characters.")


@strawberry.type
class RegisterOrganizationPayload:
    organization: Organization | None = None
    user_errors: list[UserErrorType]


@strawberry.input
class ChangeOrganizationKindInput:
    organization: strawberry.ID
    kind: OrganizationKindEnum
    reason: str


@strawberry.type
class ChangeOrganizationKindPayload:
    organization: Organization | None = None
    user_errors: list[UserErrorType]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Admit an organisation to the exchange (Art. 5); the admission is a ledger "
        "entry (`authority.organization.admitted`). Data authority only. userErrors codes: "
        "NAME_REQUIRED, NAME_TOO_LONG, USCC_INVALID, USCC_TAKEN."
    )
    async def register_organization(
        self, info: Info, input: RegisterOrganizationInput
    ) -> RegisterOrganizationPayload:
        row, errors = await perform(
            info,
            lambda session, actor: authority.register_organization(
                session, actor, kind=input.kind, name=input.name, uscc=input.uscc
            ),
        )
        return RegisterOrganizationPayload(
            organization=Organization.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Change what an organisation is to the exchange (its kind decides who may "
        "be a source department, broker or regulator), with a reason; a ledger entry "
        "(`authority.organization.reclassified`) names the kind before and after. Data "
        "authority only. userErrors codes: REASON_REQUIRED, ORGANIZATION_NOT_FOUND, "
        "NOTHING_CHANGED, LAST_AUTHORITY, ID_INVALID."
    )
    async def change_organization_kind(
        self, info: Info, input: ChangeOrganizationKindInput
    ) -> ChangeOrganizationKindPayload:
        row, errors = await perform(
            info,
            lambda session, actor: authority.reclassify_organization(
                session,
                actor,
                from_global_id(input.organization, "Organization")[1],
                kind=input.kind,
                reason=input.reason,
            ),
        )
        return ChangeOrganizationKindPayload(
            organization=Organization.from_row(row) if row else None, user_errors=errors
        )
