"""GraphQL for data brokers: the queries."""

from __future__ import annotations

from decimal import Decimal

import strawberry

import broker as domain  # `broker` is a field name on several types here
from schema.broker.enums import AlertStatusEnum, DealStatusEnum, LicenceStatusEnum
from schema.broker.inputs import ListingFilterInput, PeriodInput
from schema.broker.types import (
    BrokerEvaluation,
    BrokerLicence,
    DataFlow,
    DataLineage,
    Deal,
    Listing,
    RiskAlert,
    RiskRule,
    SupervisionGrade,
    SupervisionIndicator,
)
from schema.context import Info
from schema.relay import (
    Connection,
    page_connection,
    resolve_node,
    uuid_of,
)


@strawberry.type
class Query:
    @strawberry.field(description="A broker licence: the authority's, or your organisation's own.")
    async def broker_licence(self, info: Info, id: strawberry.ID) -> BrokerLicence | None:
        return await resolve_node(info, "BrokerLicence", uuid_of(id, "BrokerLicence"))

    @strawberry.field(
        description="Broker licences, oldest application first: the authority sees all, an "
        "organisation its own."
    )
    async def broker_licences(
        self,
        info: Info,
        status: LicenceStatusEnum | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[BrokerLicence]:
        return await page_connection(
            info,
            lambda session, actor: domain.list_licences(
                session, actor, status=status, first=first, after=after
            ),
            BrokerLicence.from_row,
        )

    @strawberry.field(description="One listing. Any signed-in organisation.")
    async def listing(self, info: Info, id: strawberry.ID) -> Listing | None:
        return await resolve_node(info, "Listing", uuid_of(id, "Listing"))

    @strawberry.field(
        description="Listed offers of currently licensed brokers for currently REGISTERED "
        "assets, oldest first. Any signed-in organisation. `priceRange` bounds are inclusive "
        "(CNY)."
    )
    async def listings(
        self,
        info: Info,
        filter: ListingFilterInput | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Listing]:
        f = filter or ListingFilterInput()
        where = domain.ListingFilter(
            broker_id=uuid_of(f.broker, "Organization") if f.broker else None,
            kind=f.kind,
            text=f.text,
            min_price=f.price_range.min if f.price_range else None,
            max_price=f.price_range.max if f.price_range else None,
        )
        # Each row is (listing, asset): the assets came joined to the page.
        return await page_connection(
            info,
            lambda session, actor: domain.list_listings(
                session, actor, where, first=first, after=after
            ),
            lambda row: Listing.from_row(row[0], row[1]),
            prefetch={
                "broker": ("organization", lambda r: r[0].broker_id),
                "asset": ("asset_current_valuation", lambda r: r[1].id),
            },
        )

    @strawberry.field(description="A deal: its broker's, its buyer's, or the authority's.")
    async def deal(self, info: Info, id: strawberry.ID) -> Deal | None:
        return await resolve_node(info, "Deal", uuid_of(id, "Deal"))

    @strawberry.field(
        description="Your deals as broker or buyer (the authority: all), oldest first."
    )
    async def deals(
        self,
        info: Info,
        status: DealStatusEnum | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Deal]:
        return await page_connection(
            info,
            lambda session, actor: domain.list_deals(
                session, actor, status=status, first=first, after=after
            ),
            Deal.from_row,
        )

    @strawberry.field(
        description="A fusion flow with its ledger proof: its broker's, a recipient's, the "
        "authority's or an auditor's."
    )
    async def data_flow(self, info: Info, id: strawberry.ID) -> DataFlow | None:
        return await resolve_node(info, "DataFlow", uuid_of(id, "DataFlow"))

    @strawberry.field(
        description="The flows upstream (that produced the asset, and what produced their "
        "inputs) and downstream (that it went into, and onward) of an asset, up to 10 hops "
        "each way, as far as you may see flows."
    )
    async def data_lineage(self, info: Info, asset_id: strawberry.ID) -> DataLineage:
        asset = uuid_of(asset_id, "Asset")
        async with info.context.db.read() as session:
            lineage = await domain.data_lineage(session, info.context.actor, asset)
        return DataLineage(
            upstream=[DataFlow.from_row(f) for f in lineage.upstream],
            downstream=[DataFlow.from_row(f) for f in lineage.downstream],
            asset_id=asset,
        )

    @strawberry.field(description="The published evaluation indicators. Any signed-in caller.")
    async def supervision_indicators(self, info: Info) -> list[SupervisionIndicator]:
        async with info.context.db.read() as session:
            indicators = await domain.list_indicators(session, info.context.actor)
        return [SupervisionIndicator.from_row(i) for i in indicators]

    @strawberry.field(description="The published risk rules. Any signed-in caller.")
    async def risk_rules(self, info: Info) -> list[RiskRule]:
        async with info.context.db.read() as session:
            rules = await domain.list_risk_rules(session, info.context.actor)
        return [RiskRule.from_row(r) for r in rules]

    @strawberry.field(description="The published grade thresholds, best grade first.")
    async def supervision_grades(self, info: Info) -> list[SupervisionGrade]:
        async with info.context.db.read() as session:
            grades = await domain.list_grades(session, info.context.actor)
        return [SupervisionGrade(grade=g.grade, min_score=Decimal(g.min_score)) for g in grades]

    @strawberry.field(
        description="Broker evaluations: the authority and auditors see all, a broker its own."
    )
    async def broker_evaluations(
        self,
        info: Info,
        period: PeriodInput | None = None,
        grade: str | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[BrokerEvaluation]:
        return await page_connection(
            info,
            lambda session, actor: domain.list_evaluations(
                session,
                actor,
                period=(period.start, period.end) if period else None,
                grade=grade,
                first=first,
                after=after,
            ),
            BrokerEvaluation.from_row,
        )

    @strawberry.field(description="Risk alerts, oldest first. Data authority only.")
    async def risk_alerts(
        self,
        info: Info,
        status: AlertStatusEnum | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[RiskAlert]:
        return await page_connection(
            info,
            lambda session, actor: domain.list_alerts(
                session, actor, status=status, first=first, after=after
            ),
            RiskAlert.from_row,
        )
