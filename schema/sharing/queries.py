"""GraphQL for sharing (Art. 9, 12-20): the queries."""

from __future__ import annotations

import strawberry

import sharing
from schema.context import Info
from schema.relay import Connection, connection, selected_node_fields, uuid_of
from schema.sharing.enums import AnomalyStatusEnum, OpenApplicationStatusEnum
from schema.sharing.inputs import DataDemandFilter, ShareGrantFilter, ShareRequestFilter
from schema.sharing.types import (
    AccessTicket,
    DataAnomaly,
    DataDemand,
    OpenApplication,
    ShareGrant,
    ShareOverdueCount,
    ShareRequest,
    ShareViolationCandidate,
)


def _org(global_id: strawberry.ID | None):  # type: ignore[no-untyped-def]
    return uuid_of(global_id, "Organization") if global_id else None


@strawberry.type
class Query:
    @strawberry.field(
        description="Share requests, newest first: an agency sees those it made or must "
        "answer; the data authority (and auditors) all. `overdue: true`: answers or "
        "deliveries past due (Art. 15)."
    )
    async def share_requests(
        self,
        info: Info,
        filter: ShareRequestFilter | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[ShareRequest]:
        f = filter or ShareRequestFilter()
        where = sharing.RequestFilter(
            status=f.status, overdue=f.overdue, source_department_id=_org(f.source_department),
            requester_id=_org(f.requester),
        )  # fmt: skip
        wanted = selected_node_fields(info)
        loaders = info.context.loaders
        async with info.context.db.read() as session:
            page = await sharing.list_share_requests(
                session, info.context.actor, where, first=first, after=after
            )
            if "items" in wanted:
                await loaders.share_request_items.prefetch(session, [r.id for r in page.items])
        return connection(page, ShareRequest.from_row)

    @strawberry.field(
        description="The data authority's board (Art. 15): overdue and late answers and "
        "deliveries per source department."
    )
    async def share_overdue_board(self, info: Info) -> list[ShareOverdueCount]:
        async with info.context.db.read() as session:
            rows = await sharing.overdue_board(session, info.context.actor)
        return [ShareOverdueCount.from_row(r) for r in rows]

    @strawberry.field(
        description="Grants, newest first: an agency sees those it holds or gave; the data "
        "authority all."
    )
    async def share_grants(
        self,
        info: Info,
        filter: ShareGrantFilter | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[ShareGrant]:
        f = filter or ShareGrantFilter()
        where = sharing.GrantFilter(
            status=f.status, grantee_id=_org(f.grantee),
            source_department_id=_org(f.source_department),
        )  # fmt: skip
        async with info.context.db.read() as session:
            page = await sharing.list_grants(
                session, info.context.actor, where, first=first, after=after
            )
        return connection(page, ShareGrant.from_row)

    @strawberry.field(description="Access tickets, newest first, as for grants.")
    async def access_tickets(
        self,
        info: Info,
        grant_id: strawberry.ID | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[AccessTicket]:
        grant = uuid_of(grant_id, "ShareGrant") if grant_id else None
        async with info.context.db.read() as session:
            page = await sharing.list_tickets(
                session, info.context.actor, grant_id=grant, first=first, after=after
            )
        return connection(page, AccessTicket.from_row)

    @strawberry.field(
        description="Uses asked for outside a grant (Art. 17), newest first: an agency sees "
        "those counted against it; the data authority all (agency supervision reads them)."
    )
    async def share_violation_candidates(
        self,
        info: Info,
        grantee: strawberry.ID | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[ShareViolationCandidate]:
        async with info.context.db.read() as session:
            page = await sharing.list_violation_candidates(
                session, info.context.actor, grantee_id=_org(grantee), first=first, after=after
            )
        return connection(page, ShareViolationCandidate.from_row)

    @strawberry.field(
        description="The demand list (Art. 9), newest first: an agency sees its own and those "
        "naming its items; the data authority all (`status: OPEN` is unmet demand)."
    )
    async def data_demands(
        self,
        info: Info,
        filter: DataDemandFilter | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[DataDemand]:
        f = filter or DataDemandFilter()
        async with info.context.db.read() as session:
            page = await sharing.list_data_demands(
                session, info.context.actor, sharing.DemandFilter(status=f.status, mine=f.mine),
                first=first, after=after,
            )  # fmt: skip
        return connection(page, DataDemand.from_row)

    @strawberry.field(
        description="Anomaly reports (Art. 19), newest first: the owner's, the reporter's, "
        "all for the data authority; `overdue: true` for answers past due."
    )
    async def data_anomalies(
        self,
        info: Info,
        status: AnomalyStatusEnum | None = None,
        overdue: bool | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[DataAnomaly]:
        async with info.context.db.read() as session:
            page = await sharing.list_data_anomalies(
                session, info.context.actor, status=status, overdue=overdue, first=first,
                after=after,
            )  # fmt: skip
        return connection(page, DataAnomaly.from_row)

    @strawberry.field(
        description='Art. 20: grants in force during the quarter (e.g. "2026Q1") without a '
        "usage report for it (at most 500)."
    )
    async def missing_usage_reports(self, info: Info, quarter: str) -> list[ShareGrant]:
        async with info.context.db.read() as session:
            rows = await sharing.missing_usage_reports(session, info.context.actor, quarter)
        return [ShareGrant.from_row(r) for r in rows]

    @strawberry.field(
        description="Applications for conditionally open data (Art. 18), newest first: the "
        "applicant's, the owner's, all for the data authority."
    )
    async def open_applications(
        self,
        info: Info,
        status: OpenApplicationStatusEnum | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[OpenApplication]:
        async with info.context.db.read() as session:
            page = await sharing.list_open_applications(
                session, info.context.actor, status=status, first=first, after=after
            )
        return connection(page, OpenApplication.from_row)
