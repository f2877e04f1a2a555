"""GraphQL for agency supervision: the queries."""

from __future__ import annotations

from decimal import Decimal

import strawberry

import supervision
from schema.broker import PeriodInput, SupervisionGrade, SupervisionIndicator
from schema.context import Info
from schema.registry import Resource
from schema.relay import Connection, connection, uuid_of
from schema.supervision.enums import FindingKindEnum, ProjectStatusEnum, RectificationStatusEnum
from schema.supervision.types import (
    AgencyScorecard,
    ChiefDataOfficer,
    Finding,
    InformationSystem,
    ItProject,
    Rectification,
)


def _org(global_id: strawberry.ID | None):  # type: ignore[no-untyped-def]
    return uuid_of(global_id, "Organization") if global_id else None


@strawberry.type
class Query:
    @strawberry.field(
        description="Chief data officers (Art. 28), oldest appointment first; "
        "`currentOnly` for those in post. Any signed-in caller."
    )
    async def chief_data_officers(
        self,
        info: Info,
        organization_id: strawberry.ID | None = None,
        current_only: bool = False,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[ChiefDataOfficer]:
        async with info.context.db.read() as session:
            page = await supervision.list_cdos(
                session, info.context.actor, organization_id=_org(organization_id),
                current_only=current_only, first=first, after=after,
            )  # fmt: skip
        return connection(page, ChiefDataOfficer.from_row)

    @strawberry.field(
        description="The system inventory (Art. 9): the authority, its superior and auditors "
        "see every agency's; an agency its own."
    )
    async def information_systems(
        self,
        info: Info,
        owner_id: strawberry.ID | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[InformationSystem]:
        async with info.context.db.read() as session:
            page = await supervision.list_systems(
                session, info.context.actor, owner_id=_org(owner_id), first=first, after=after
            )
        return connection(page, InformationSystem.from_row)

    @strawberry.field(
        description="Catalogue entries no registered information system feeds (Art. 9), by code."
    )
    async def resources_without_system(
        self,
        info: Info,
        owner_id: strawberry.ID | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Resource]:
        async with info.context.db.read() as session:
            page = await supervision.resources_without_system(
                session, info.context.actor, owner_id=_org(owner_id), first=first, after=after
            )
        return connection(page, Resource.from_row)

    @strawberry.field(
        description="Fiscally funded IT projects (Art. 29): the authority sees all, an agency "
        "its own."
    )
    async def it_projects(
        self,
        info: Info,
        status: ProjectStatusEnum | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[ItProject]:
        async with info.context.db.read() as session:
            page = await supervision.list_projects(
                session, info.context.actor, status=status, first=first, after=after
            )
        return connection(page, ItProject.from_row)

    @strawberry.field(
        description="The published agency indicators (Art. 30), on the same engine as the "
        "broker's. Any signed-in caller."
    )
    async def agency_indicators(self, info: Info) -> list[SupervisionIndicator]:
        async with info.context.db.read() as session:
            rows = await supervision.scorecards.list_indicators(session, info.context.actor)
        return [SupervisionIndicator.from_row(r) for r in rows]

    @strawberry.field(description="The published agency grade thresholds, best grade first.")
    async def agency_grades(self, info: Info) -> list[SupervisionGrade]:
        async with info.context.db.read() as session:
            rows = await supervision.scorecards.list_grades(session, info.context.actor)
        return [SupervisionGrade(grade=g.grade, min_score=Decimal(g.min_score)) for g in rows]  # type: ignore[attr-defined]

    @strawberry.field(
        description="Agency scorecards (Art. 30), newest first: the authority, its superior "
        "and auditors see all; an agency its own."
    )
    async def agency_scorecards(
        self,
        info: Info,
        period: PeriodInput | None = None,
        grade: str | None = None,
        agency_id: strawberry.ID | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[AgencyScorecard]:
        async with info.context.db.read() as session:
            page = await supervision.list_scorecards(
                session, info.context.actor, period=(period.start, period.end) if period else None,
                grade=grade, agency_id=_org(agency_id), first=first, after=after,
            )  # fmt: skip
        return connection(page, AgencyScorecard.from_row)

    @strawberry.field(
        description="One agency's score trend: its scorecards, oldest period first (the last "
        "`periods`, at most 60)."
    )
    async def agency_score_trend(
        self, info: Info, agency_id: strawberry.ID, periods: int = 12
    ) -> list[AgencyScorecard]:
        async with info.context.db.read() as session:
            rows = await supervision.scorecard_trend(
                session, info.context.actor, uuid_of(agency_id, "Organization"), periods=periods
            )
        return [AgencyScorecard.from_row(r) for r in rows]

    @strawberry.field(
        description="Findings (Art. 35), newest first; `openOnly` for those with no "
        "rectification ordered. The authority, its superior and auditors; an agency its own."
    )
    async def findings(
        self,
        info: Info,
        kind: FindingKindEnum | None = None,
        agency_id: strawberry.ID | None = None,
        open_only: bool = False,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Finding]:
        async with info.context.db.read() as session:
            page = await supervision.list_findings(
                session, info.context.actor, kind=kind, agency_id=_org(agency_id),
                open_only=open_only, first=first, after=after,
            )  # fmt: skip
        return connection(page, Finding.from_row)

    @strawberry.field(
        description="Rectification orders (Art. 35), newest first. The superior government "
        "(role oversight, Art. 33) reads them all, ESCALATED ones and the authority's reasons "
        "included; an agency its own."
    )
    async def rectifications(
        self,
        info: Info,
        status: RectificationStatusEnum | None = None,
        agency_id: strawberry.ID | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Rectification]:
        async with info.context.db.read() as session:
            page = await supervision.list_rectifications(
                session, info.context.actor, status=status, agency_id=_org(agency_id),
                first=first, after=after,
            )  # fmt: skip
        return connection(page, Rectification.from_row)
