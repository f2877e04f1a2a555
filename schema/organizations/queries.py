"""GraphQL for organisations and the viewer: the queries."""

from __future__ import annotations

import strawberry

import authority
from core.identity import require
from schema import compiled
from schema.context import Info
from schema.organizations.enums import OrganizationKindEnum
from schema.organizations.types import Organization, Viewer
from schema.relay import (
    Connection,
    connection,
    from_global_id,
    resolve_node,
)


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
        require(info.context.actor)
        _, row_id = from_global_id(id, "Organization")
        return await resolve_node(info, "Organization", row_id)

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


compiled.by_id("organization", type_name="Organization", signed_in=True)  # as `node(id)`

# `organizations` compiled (schema.compiled): the listing `authority.list_organizations` pages.
compiled.connection(
    "organizations",
    node="Organization",
    signed_in=True,  # as `require(info.context.actor)` above
    arguments=("kind", "first", "after"),
    listing=lambda _actor, args: authority.organization_listing(args.get("kind")),
)
