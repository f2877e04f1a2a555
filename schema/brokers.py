"""GraphQL for data brokers (Art. 24, 26): licences, listings, deals, fusion flows and their
lineage, supervision indicators, evaluations and risk alerts."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import strawberry
from strawberry.scalars import JSON

import broker as domain  # `broker` is a field name on several types here
import registry
from core.clock import now
from core.db import AsyncSession
from core.errors import UserError
from core.identity import Principal
from schema.assets import Asset, AssetKindEnum
from schema.context import Info
from schema.dataloaders import load_then
from schema.errors import UserErrorType, user_errors
from schema.ledger import InclusionProof
from schema.organizations import Organization, from_row
from schema.registry import Resource, resource_of
from schema.relay import (
    Connection,
    Node,
    connection,
    from_global_id,
    node_type,
    selected_node_fields,
    to_global_id,
)

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")

BrokerTypeEnum = strawberry.enum(domain.BrokerType, name="BrokerType")
LicenceStatusEnum = strawberry.enum(domain.LicenceStatus, name="LicenceStatus")
LicenceDecisionEnum = strawberry.enum(domain.LicenceDecisionKind, name="LicenceDecisionKind")
PricingModelEnum = strawberry.enum(domain.PricingModel, name="PricingModel")
ListingStatusEnum = strawberry.enum(domain.ListingStatus, name="ListingStatus")
DealStatusEnum = strawberry.enum(domain.DealStatus, name="DealStatus")
FlowInputKindEnum = strawberry.enum(domain.FlowInputKind, name="FlowInputKind")
ResourceBasisEnum = strawberry.enum(domain.ResourceBasis, name="ResourceBasis")
ScoringEnum = strawberry.enum(domain.Scoring, name="Scoring")
AlertRuleEnum = strawberry.enum(domain.AlertRule, name="RiskAlertRule")
AlertStatusEnum = strawberry.enum(domain.AlertStatus, name="RiskAlertStatus")


def _org(info: Info, org_id: uuid.UUID | None) -> Organization | None | Awaitable[Any]:
    if org_id is None:
        return None
    return load_then(info.context.loaders.organization, org_id, from_row)


async def _asset(info: Info, asset_id: uuid.UUID | None) -> Asset | None:
    if asset_id is None:
        return None
    row = await info.context.loaders.asset.load(asset_id)
    return Asset.from_row(row) if row else None


# A payload names its object after the object's type, as elsewhere in the API (issue 10 §7).
_RENAMED = "Named after its type like every payload's object: use `"


# --- types ----------------------------------------------------------------------------------


@strawberry.type(description="One decision on a licence, with its reason (a ledger entry).")
class LicenceDecision:
    decision: LicenceDecisionEnum
    from_status: LicenceStatusEnum
    to_status: LicenceStatusEnum
    reason: str
    decided_at: datetime
    ledger_seq: int


@strawberry.type(description="A data broker licence (Art. 26) and its current status.")
class BrokerLicence(Node):
    broker_type: BrokerTypeEnum
    business_scope: str
    scenarios: list[str]
    mlps_level: int = strawberry.field(description="MLPS 2.0 (等保) level of its systems.")
    dcmm_level: int = strawberry.field(description="GB/T 36073 DCMM maturity level.")
    contact: str
    minors_data_handling: str
    sensitive_data_handling: str
    status: LicenceStatusEnum = strawberry.field(
        description="EXPIRED is computed from validUntil, never stored."
    )
    grade: str | None = strawberry.field(
        description="The licence's current supervision grade (Art. 26): set at approval, then "
        "moved by each evaluation to the grade of the broker's latest evaluated period (a "
        "re-run of an older period does not move it); each move is in the evaluation's ledger "
        "entry (`licenceGrades`). The per-period grades are `brokerEvaluations`."
    )
    applied_at: datetime
    licensed_at: datetime | None
    valid_until: datetime | None
    decision_reason: str
    ledger_seq: int
    row: strawberry.Private[domain.BrokerLicence]

    @strawberry.field
    def broker(self, info: Info) -> Organization | None:
        return _org(info, self.row.broker_id)  # type: ignore[return-value]

    @strawberry.field(description="Every decision, oldest first.")
    async def decisions(self, info: Info) -> list[LicenceDecision]:
        rows = await info.context.loaders.licence_decisions.load(self.row.id)
        return [
            LicenceDecision(
                decision=r.decision, from_status=r.from_status, to_status=r.to_status,
                reason=r.reason, decided_at=r.decided_at, ledger_seq=r.ledger_seq,
            )
            for r in rows
        ]  # fmt: skip

    @classmethod
    def from_row(cls, row: domain.BrokerLicence) -> BrokerLicence:
        return cls(
            id=to_global_id("BrokerLicence", row.id), broker_type=row.broker_type,
            business_scope=row.business_scope, scenarios=json.loads(row.scenarios),
            mlps_level=row.mlps_level, dcmm_level=row.dcmm_level, contact=row.contact,
            minors_data_handling=row.minors_data_handling,
            sensitive_data_handling=row.sensitive_data_handling,
            status=domain.effective_status(row, now()), grade=row.grade,
            applied_at=row.applied_at, licensed_at=row.licensed_at, valid_until=row.valid_until,
            decision_reason=row.decision_reason, ledger_seq=row.ledger_seq, row=row,
        )  # fmt: skip


@strawberry.type
class LicenceTerms:
    purposes: list[str]
    term: str = strawberry.field(description="ISO 8601 duration, e.g. P1Y.")
    territory: str
    resale: bool


@strawberry.type(description="A broker's offer of a REGISTERED asset.")
class Listing(Node):
    price: Decimal = strawberry.field(description="CNY.")
    pricing_model: PricingModelEnum
    licence_terms: LicenceTerms
    status: ListingStatusEnum
    listed_at: datetime
    delisted_at: datetime | None
    ledger_seq: int
    row: strawberry.Private[domain.Listing]
    asset_row: strawberry.Private[registry.Asset | None] = None

    @strawberry.field
    def broker(self, info: Info) -> Organization | None:
        return _org(info, self.row.broker_id)  # type: ignore[return-value]

    @strawberry.field(description="The listed asset (null if you may no longer see it).")
    def asset(self, info: Info) -> Asset | None:
        if self.asset_row is not None:
            return Asset.from_row(self.asset_row)
        return _asset(info, self.row.asset_id)  # type: ignore[return-value]  # awaited

    @classmethod
    def from_row(cls, row: domain.Listing, asset: registry.Asset | None = None) -> Listing:
        return cls(
            id=to_global_id("Listing", row.id), price=row.price, pricing_model=row.pricing_model,
            licence_terms=LicenceTerms(
                purposes=domain.purposes_of(row), term=row.term, territory=row.territory,
                resale=row.resale,
            ),
            status=row.status, listed_at=row.listed_at, delisted_at=row.delisted_at,
            ledger_seq=row.ledger_seq, row=row, asset_row=asset,
        )  # fmt: skip


@strawberry.type(description="A deal a broker matched on a listing.")
class Deal(Node):
    purpose: str
    scenario: str
    price: Decimal = strawberry.field(description="CNY.")
    status: DealStatusEnum
    matched_at: datetime
    confirmed_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    delivery_note: str
    row: strawberry.Private[domain.Deal]

    @strawberry.field
    def broker(self, info: Info) -> Organization | None:
        return _org(info, self.row.broker_id)  # type: ignore[return-value]

    @strawberry.field
    def buyer(self, info: Info) -> Organization | None:
        return _org(info, self.row.buyer_id)  # type: ignore[return-value]

    @strawberry.field
    async def listing(self, info: Info) -> Listing | None:
        row = await info.context.loaders.listing.load(self.row.listing_id)
        return Listing.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: domain.Deal) -> Deal:
        return cls(
            id=to_global_id("Deal", row.id), purpose=row.purpose, scenario=row.scenario,
            price=row.price, status=row.status, matched_at=row.matched_at,
            confirmed_at=row.confirmed_at, delivered_at=row.delivered_at,
            cancelled_at=row.cancelled_at, cancel_reason=row.cancel_reason,
            delivery_note=row.delivery_note, row=row,
        )  # fmt: skip


@strawberry.type(description="One input of a fusion flow, with the basis that allowed it.")
class DataFlowInput:
    kind: FlowInputKindEnum
    basis: ResourceBasisEnum | None
    dataset_name: str
    dataset_holder: str
    legal_basis: str
    row: strawberry.Private[domain.DataFlowInput]

    @strawberry.field(description="The catalogue resource (PUBLIC_RESOURCE).")
    def resource(self, info: Info) -> Resource | None:
        return resource_of(info, self.row.resource_id)  # type: ignore[return-value]  # awaited

    @strawberry.field(
        description="The registered public data asset that is the resource's basis, or the "
        "input asset itself (ASSET)."
    )
    async def asset(self, info: Info) -> Asset | None:
        return await _asset(info, self.row.asset_id)


@strawberry.type(description="A consent a flow relied on, as the consent gate allowed it.")
class FlowConsent:
    consent_id: strawberry.ID
    item: str
    use_id: strawberry.ID
    purpose: str


@strawberry.type(description="A recorded fusion of public with non-public data (Art. 24).")
class DataFlow(Node):
    purpose: str
    scenario: str
    recorded_at: datetime
    ledger_seq: int
    row: strawberry.Private[domain.DataFlow]

    @strawberry.field
    def broker(self, info: Info) -> Organization | None:
        return _org(info, self.row.broker_id)  # type: ignore[return-value]

    @strawberry.field(description="The output product.")
    async def output(self, info: Info) -> Asset | None:
        return await _asset(info, self.row.output_asset_id)

    @strawberry.field
    async def recipients(self, info: Info) -> list[Organization]:
        ids = [uuid.UUID(r) for r in json.loads(self.row.recipients)]
        rows = await info.context.loaders.organization.load_many(ids)
        return [Organization.from_row(r) for r in rows if r is not None]

    @strawberry.field
    async def inputs(self, info: Info) -> list[DataFlowInput]:
        rows = await info.context.loaders.flow_inputs.load(self.row.id)
        return [
            DataFlowInput(
                kind=r.kind, basis=r.basis, dataset_name=r.dataset_name,
                dataset_holder=r.dataset_holder, legal_basis=r.legal_basis, row=r,
            )
            for r in rows
        ]  # fmt: skip

    @strawberry.field
    async def consents(self, info: Info) -> list[FlowConsent]:
        rows = await info.context.loaders.flow_consents.load(self.row.id)
        return [
            FlowConsent(
                consent_id=to_global_id("Consent", link.consent_id), item=link.item,
                use_id=to_global_id("DataUse", link.use_id), purpose=consent.purpose,
            )
            for link, consent in rows
        ]  # fmt: skip

    @strawberry.field(description="Proof that the flow's ledger entry is in the current tree.")
    def ledger_proof(self, info: Info) -> InclusionProof:
        return load_then(
            info.context.loaders.inclusion_proof, self.row.ledger_seq, InclusionProof.from_proof
        )

    @classmethod
    def from_row(cls, row: domain.DataFlow) -> DataFlow:
        return cls(
            id=to_global_id("DataFlow", row.id),
            purpose=row.purpose,
            scenario=row.scenario,
            recorded_at=row.recorded_at,
            ledger_seq=row.ledger_seq,
            row=row,
        )


@strawberry.type(description="The flows that produced an asset and those it went into.")
class DataLineage:
    upstream: list[DataFlow]
    downstream: list[DataFlow]
    asset_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def asset(self, info: Info) -> Asset | None:
        return await _asset(info, self.asset_id)


@strawberry.type(description="A published supervision indicator (Art. 26).")
class SupervisionIndicator:
    code: str
    name: str
    description: str
    weight: Decimal
    scoring: ScoringEnum = strawberry.field(
        description="RATIO: 100 × value; TARGET: 100 × min(1, value / parameter); "
        "PENALTY: max(0, 100 − parameter × value)."
    )
    parameter: Decimal
    veto: bool = strawberry.field(description="Any non-zero value grades the broker lowest.")
    updated_at: datetime

    @classmethod
    def from_row(cls, row: domain.SupervisionIndicator) -> SupervisionIndicator:
        return cls(
            code=row.code, name=row.name, description=row.description,
            weight=Decimal(row.weight), scoring=row.scoring, parameter=Decimal(row.parameter),
            veto=row.veto, updated_at=row.updated_at,
        )  # fmt: skip


@strawberry.type(
    description="A published risk rule (Art. 26 risk controls): it raises an alert for a "
    "broker whose value for an evaluated period is above the threshold."
)
class RiskRule:
    rule: AlertRuleEnum
    description: str
    threshold: Decimal
    min_volume: int = strawberry.field(
        description="A rate rule (COMPLAINT_RATE: per 100 flows) fires only for a broker whose "
        "volume in the period (flows recorded) is at least this; 0 for rules that count events."
    )
    enabled: bool
    updated_at: datetime

    @classmethod
    def from_row(cls, row: domain.RiskRule) -> RiskRule:
        return cls(
            rule=row.rule, description=row.description, threshold=Decimal(row.threshold),
            min_volume=row.min_volume, enabled=row.enabled, updated_at=row.updated_at,
        )  # fmt: skip


@strawberry.type(description="A grade and the lowest total score that earns it.")
class SupervisionGrade:
    grade: str
    min_score: Decimal


@strawberry.type
class IndicatorScore:
    code: str
    value: Decimal
    score: Decimal
    weight: Decimal


@strawberry.type(description="One broker's evaluation for one period, from recorded facts.")
class BrokerEvaluation(Node):
    period_start: datetime
    period_end: datetime
    facts: JSON
    indicators: list[IndicatorScore]
    score: Decimal = strawberry.field(description="Σ weight × score ÷ Σ weight, 0-100.")
    grade: str
    evaluated_at: datetime
    ledger_seq: int
    row: strawberry.Private[domain.BrokerEvaluation]

    @strawberry.field
    def broker(self, info: Info) -> Organization | None:
        return _org(info, self.row.broker_id)  # type: ignore[return-value]

    @classmethod
    def from_row(cls, row: domain.BrokerEvaluation) -> BrokerEvaluation:
        return cls(
            id=to_global_id("BrokerEvaluation", row.id), period_start=row.period_start,
            period_end=row.period_end, facts=json.loads(row.facts),
            indicators=[
                IndicatorScore(
                    code=i["code"], value=Decimal(i["value"]), score=Decimal(i["score"]),
                    weight=Decimal(i["weight"]),
                )
                for i in json.loads(row.indicators)
            ],
            score=Decimal(row.score), grade=row.grade, evaluated_at=row.evaluated_at,
            ledger_seq=row.ledger_seq, row=row,
        )  # fmt: skip


@strawberry.type(description="A risk rule that fired for a broker over a period.")
class RiskAlert(Node):
    rule: AlertRuleEnum
    period_start: datetime
    period_end: datetime
    value: Decimal
    threshold: Decimal
    message: str
    status: AlertStatusEnum
    raised_at: datetime
    acknowledged_at: datetime | None
    acknowledgement: str
    ledger_seq: int
    row: strawberry.Private[domain.RiskAlert]

    @strawberry.field
    def broker(self, info: Info) -> Organization | None:
        return _org(info, self.row.broker_id)  # type: ignore[return-value]

    @classmethod
    def from_row(cls, row: domain.RiskAlert) -> RiskAlert:
        return cls(
            id=to_global_id("RiskAlert", row.id), rule=row.rule, period_start=row.period_start,
            period_end=row.period_end, value=Decimal(row.value),
            threshold=Decimal(row.threshold), message=row.message, status=row.status,
            raised_at=row.raised_at, acknowledged_at=row.acknowledged_at,
            acknowledgement=row.acknowledgement, ledger_seq=row.ledger_seq, row=row,
        )  # fmt: skip


# --- nodes ----------------------------------------------------------------------------------


async def _one(info: Info, fetch: Any, row_id: uuid.UUID) -> Any:
    async with info.context.db.read() as session:
        (row,) = await fetch(session, info.context.actor, [row_id])
    return row


@node_type("BrokerLicence")
async def load_licence(info: Info, row_id: uuid.UUID) -> BrokerLicence | None:
    row = await _one(info, domain.get_licences, row_id)
    return BrokerLicence.from_row(row) if row else None


@node_type("Listing")
async def load_listing(info: Info, row_id: uuid.UUID) -> Listing | None:
    row = await _one(info, domain.get_listings, row_id)
    return Listing.from_row(row) if row else None


@node_type("Deal")
async def load_deal(info: Info, row_id: uuid.UUID) -> Deal | None:
    row = await _one(info, domain.get_deals, row_id)
    return Deal.from_row(row) if row else None


@node_type("DataFlow")
async def load_flow(info: Info, row_id: uuid.UUID) -> DataFlow | None:
    row = await _one(info, domain.get_flows, row_id)
    return DataFlow.from_row(row) if row else None


@node_type("BrokerEvaluation")
async def load_evaluation(info: Info, row_id: uuid.UUID) -> BrokerEvaluation | None:
    row = await _one(info, domain.get_evaluations, row_id)
    return BrokerEvaluation.from_row(row) if row else None


@node_type("RiskAlert")
async def load_alert(info: Info, row_id: uuid.UUID) -> RiskAlert | None:
    row = await _one(info, domain.get_alerts, row_id)
    return RiskAlert.from_row(row) if row else None


# --- queries --------------------------------------------------------------------------------


@strawberry.input
class PriceRangeInput:
    min: Decimal | None = None
    max: Decimal | None = None


@strawberry.input
class ListingFilterInput:
    broker: strawberry.ID | None = None
    kind: AssetKindEnum | None = None
    text: str | None = None
    price_range: PriceRangeInput | None = None


@strawberry.input
class PeriodInput:
    start: datetime
    end: datetime


def _uuid(global_id: str, type_name: str) -> uuid.UUID:
    return from_global_id(global_id, type_name)[1]


@strawberry.type
class Query:
    @strawberry.field(description="A broker licence: the authority's, or your organisation's own.")
    async def broker_licence(self, info: Info, id: strawberry.ID) -> BrokerLicence | None:
        return await load_licence(info, _uuid(id, "BrokerLicence"))

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
        async with info.context.db.read() as session:
            page = await domain.list_licences(
                session, info.context.actor, status=status, first=first, after=after
            )
        return connection(page, BrokerLicence.from_row)

    @strawberry.field(description="One listing. Any signed-in organisation.")
    async def listing(self, info: Info, id: strawberry.ID) -> Listing | None:
        return await load_listing(info, _uuid(id, "Listing"))

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
            broker_id=_uuid(f.broker, "Organization") if f.broker else None,
            kind=f.kind,
            text=f.text,
            min_price=f.price_range.min if f.price_range else None,
            max_price=f.price_range.max if f.price_range else None,
        )
        wanted = selected_node_fields(info)
        loaders = info.context.loaders
        async with info.context.db.read() as session:
            page = await domain.list_listings(
                session, info.context.actor, where, first=first, after=after
            )
            # The relations the query will read, fetched in this session (no second one), as
            # `assets` does; the assets themselves came joined to the page.
            if "broker" in wanted:
                await loaders.organization.prefetch(session, [r[0].broker_id for r in page.items])
            if "asset" in wanted:
                await loaders.asset_current_valuation.prefetch(
                    session, [r[1].id for r in page.items]
                )
        return connection(page, lambda row: Listing.from_row(row[0], row[1]))

    @strawberry.field(description="A deal: its broker's, its buyer's, or the authority's.")
    async def deal(self, info: Info, id: strawberry.ID) -> Deal | None:
        return await load_deal(info, _uuid(id, "Deal"))

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
        async with info.context.db.read() as session:
            page = await domain.list_deals(
                session, info.context.actor, status=status, first=first, after=after
            )
        return connection(page, Deal.from_row)

    @strawberry.field(
        description="A fusion flow with its ledger proof: its broker's, a recipient's, the "
        "authority's or an auditor's."
    )
    async def data_flow(self, info: Info, id: strawberry.ID) -> DataFlow | None:
        return await load_flow(info, _uuid(id, "DataFlow"))

    @strawberry.field(
        description="The flows upstream (that produced the asset, and what produced their "
        "inputs) and downstream (that it went into, and onward) of an asset, up to 10 hops "
        "each way, as far as you may see flows."
    )
    async def data_lineage(self, info: Info, asset_id: strawberry.ID) -> DataLineage:
        asset = _uuid(asset_id, "Asset")
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
        async with info.context.db.read() as session:
            page = await domain.list_evaluations(
                session,
                info.context.actor,
                period=(period.start, period.end) if period else None,
                grade=grade,
                first=first,
                after=after,
            )
        return connection(page, BrokerEvaluation.from_row)

    @strawberry.field(description="Risk alerts, oldest first. Data authority only.")
    async def risk_alerts(
        self,
        info: Info,
        status: AlertStatusEnum | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[RiskAlert]:
        async with info.context.db.read() as session:
            page = await domain.list_alerts(
                session, info.context.actor, status=status, first=first, after=after
            )
        return connection(page, RiskAlert.from_row)


# --- mutations ------------------------------------------------------------------------------


async def perform_refusable(
    info: Info, action: Callable[[AsyncSession, Principal | None], Awaitable[T]]
) -> tuple[T | None, list[UserErrorType]]:
    """`schema.errors.perform`, plus: a `domain.Refused` action is recorded for supervision
    in a second, short transaction after the first rolled back (`domain.record_refused`)."""
    context = info.context
    try:
        async with context.db.transaction() as session:
            return await action(session, context.actor), []
    except domain.Refused as refused:
        await domain.record_refused(context.db, context.actor, refused)
        return None, user_errors(refused)
    except UserError as error:
        return None, user_errors(error)


@strawberry.input
class ApplyBrokerLicenceInput:
    broker_type: BrokerTypeEnum
    business_scope: str
    scenarios: list[str]
    mlps_level: int
    dcmm_level: int
    contact: str
    minors_data_handling: str = strawberry.field(description="How minors' data is handled.")
    sensitive_data_handling: str = strawberry.field(
        description="How sensitive personal information is handled."
    )


@strawberry.input
class DecideBrokerLicenceInput:
    licence_id: strawberry.ID
    decision: LicenceDecisionEnum
    reason: str
    grade: str | None = strawberry.field(default=None, description="A, B, C or D.")
    valid_until: datetime | None = strawberry.field(
        default=None, description="APPROVE: defaults to 3 years from now."
    )


@strawberry.type
class BrokerLicencePayload:
    licence: BrokerLicence | None = strawberry.field(
        default=None, deprecation_reason=_RENAMED + "brokerLicence`."
    )
    user_errors: list[UserErrorType]

    @strawberry.field
    def broker_licence(self) -> BrokerLicence | None:
        return self.licence


@strawberry.input
class EntrustAssetInput:
    asset_id: strawberry.ID
    broker: strawberry.ID


@strawberry.type
class EntrustAssetPayload:
    asset: Asset | None = None
    user_errors: list[UserErrorType]


@strawberry.input
class LicenceTermsInput:
    purposes: list[str]
    term: str = strawberry.field(description="ISO 8601 duration: P1Y, P6M, P30D …")
    territory: str
    resale: bool = False


@strawberry.input
class ListProductInput:
    asset_id: strawberry.ID
    price: Decimal
    pricing_model: PricingModelEnum
    licence_terms: LicenceTermsInput


@strawberry.input
class DelistProductInput:
    id: strawberry.ID
    reason: str = ""


@strawberry.type
class ListingPayload:
    listing: Listing | None = None
    user_errors: list[UserErrorType]


@strawberry.input
class MatchDealInput:
    listing_id: strawberry.ID
    buyer: strawberry.ID
    purpose: str
    scenario: str
    price: Decimal


@strawberry.input
class DealIdInput:
    id: strawberry.ID


@strawberry.input
class RecordDeliveryInput:
    id: strawberry.ID
    note: str = ""


@strawberry.input
class CancelDealInput:
    id: strawberry.ID
    reason: str


@strawberry.type
class DealPayload:
    deal: Deal | None = None
    user_errors: list[UserErrorType]


@strawberry.input(
    description="PUBLIC_RESOURCE: `resource` (code) and, unless it is shared "
    "UNCONDITIONALLY, `basisAsset` (a REGISTERED public data asset covering it). "
    "NON_PUBLIC_DATASET: datasetName, datasetHolder, legalBasis. ASSET: `asset`, REGISTERED."
)
class DataFlowInputInput:
    kind: FlowInputKindEnum
    resource: str | None = None
    basis_asset: strawberry.ID | None = None
    asset: strawberry.ID | None = None
    dataset_name: str = ""
    dataset_holder: str = ""
    legal_basis: str = ""


@strawberry.input
class ConsentReliedInput:
    consent: strawberry.ID
    item: str = strawberry.field(description='"item:<data item code>" or "certificate:<TYPE>".')


@strawberry.input
class RecordDataFlowInput:
    inputs: list[DataFlowInputInput]
    output_asset_id: strawberry.ID
    recipients: list[strawberry.ID]
    purpose: str
    scenario: str
    consents: list[ConsentReliedInput] = strawberry.field(default_factory=list)


@strawberry.type
class DataFlowPayload:
    flow: DataFlow | None = strawberry.field(
        default=None, deprecation_reason=_RENAMED + "dataFlow`."
    )
    user_errors: list[UserErrorType]

    @strawberry.field
    def data_flow(self) -> DataFlow | None:
        return self.flow


@strawberry.input
class UpdateSupervisionIndicatorInput:
    code: str
    weight: Decimal | None = None
    parameter: Decimal | None = None
    name: str | None = None
    description: str | None = None
    veto: bool | None = None


@strawberry.type
class SupervisionIndicatorPayload:
    indicator: SupervisionIndicator | None = strawberry.field(
        default=None, deprecation_reason=_RENAMED + "supervisionIndicator`."
    )
    user_errors: list[UserErrorType]

    @strawberry.field
    def supervision_indicator(self) -> SupervisionIndicator | None:
        return self.indicator


@strawberry.input
class UpdateRiskRuleInput:
    rule: AlertRuleEnum
    threshold: Decimal | None = None
    enabled: bool | None = None
    min_volume: int | None = None


@strawberry.type
class RiskRulePayload:
    rule: RiskRule | None = strawberry.field(
        default=None, deprecation_reason=_RENAMED + "riskRule`."
    )
    user_errors: list[UserErrorType]

    @strawberry.field
    def risk_rule(self) -> RiskRule | None:
        return self.rule


@strawberry.input
class UpdateSupervisionGradeInput:
    grade: str
    min_score: Decimal


@strawberry.type
class SupervisionGradePayload:
    grade: SupervisionGrade | None = strawberry.field(
        default=None, deprecation_reason=_RENAMED + "supervisionGrade`."
    )
    user_errors: list[UserErrorType]

    @strawberry.field
    def supervision_grade(self) -> SupervisionGrade | None:
        return self.grade


@strawberry.input
class EvaluateBrokersInput:
    period_start: datetime
    period_end: datetime


@strawberry.type
class EvaluateBrokersPayload:
    evaluations: list[BrokerEvaluation] | None = None
    alerts_raised: list[RiskAlert] | None = None
    ledger_seq: int | None = None
    user_errors: list[UserErrorType]


@strawberry.input
class AcknowledgeRiskAlertInput:
    id: strawberry.ID
    note: str = ""


@strawberry.type
class RiskAlertPayload:
    alert: RiskAlert | None = strawberry.field(
        default=None, deprecation_reason=_RENAMED + "riskAlert`."
    )
    user_errors: list[UserErrorType]

    @strawberry.field
    def risk_alert(self) -> RiskAlert | None:
        return self.alert


LICENCE_CODES = "LICENCE_REQUIRED, LICENCE_SUSPENDED, LICENCE_REVOKED, LICENCE_EXPIRED"


def _flow_spec(input: RecordDataFlowInput) -> domain.FlowSpec:
    return domain.FlowSpec(
        inputs=tuple(
            domain.FlowInputSpec(
                kind=i.kind,
                resource_code=i.resource,
                basis_asset_id=_uuid(i.basis_asset, "Asset") if i.basis_asset else None,
                asset_id=_uuid(i.asset, "Asset") if i.asset else None,
                dataset_name=i.dataset_name,
                dataset_holder=i.dataset_holder,
                legal_basis=i.legal_basis,
            )
            for i in input.inputs
        ),
        output_asset_id=_uuid(input.output_asset_id, "Asset"),
        recipients=tuple(_uuid(r, "Organization") for r in input.recipients),
        purpose=input.purpose,
        scenario=input.scenario,
        consents=tuple(
            domain.ConsentRelied(consent_id=_uuid(c.consent, "Consent"), item=c.item)
            for c in input.consents
        ),
    )


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Apply for a data broker licence (APPLIED). Market entity or domain. "
        "userErrors codes: SCOPE_REQUIRED, SCENARIOS_REQUIRED, MLPS_LEVEL_INVALID, "
        "MLPS_LEVEL_TOO_LOW, DCMM_LEVEL_INVALID, CONTACT_REQUIRED, MINORS_HANDLING_REQUIRED, "
        "SENSITIVE_HANDLING_REQUIRED, LICENCE_ALREADY_HELD, ORGANIZATION_REQUIRED."
    )
    async def apply_broker_licence(
        self, info: Info, input: ApplyBrokerLicenceInput
    ) -> BrokerLicencePayload:
        application = domain.LicenceApplication(
            broker_type=input.broker_type,
            business_scope=input.business_scope,
            scenarios=tuple(input.scenarios),
            mlps_level=input.mlps_level,
            dcmm_level=input.dcmm_level,
            contact=input.contact,
            minors_data_handling=input.minors_data_handling,
            sensitive_data_handling=input.sensitive_data_handling,
        )
        row, errors = await perform_refusable(
            info, lambda s, a: domain.apply_broker_licence(s, a, application)
        )
        return BrokerLicencePayload(
            licence=BrokerLicence.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Decide on a licence, with a reason: APPROVE or REJECT an application, "
        "SUSPEND or REINSTATE, REVOKE from any status. Data authority only. userErrors codes: "
        "REASON_REQUIRED, GRADE_INVALID, VALID_UNTIL_INVALID, LICENCE_NOT_FOUND, "
        "LICENCE_STATUS_INVALID, ID_INVALID."
    )
    async def decide_broker_licence(
        self, info: Info, input: DecideBrokerLicenceInput
    ) -> BrokerLicencePayload:
        row, errors = await perform_refusable(
            info,
            lambda s, a: domain.decide_broker_licence(
                s,
                a,
                _uuid(input.licence_id, "BrokerLicence"),
                decision=input.decision,
                reason=input.reason,
                grade=input.grade,
                valid_until=input.valid_until,
            ),
        )
        return BrokerLicencePayload(
            licence=BrokerLicence.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Entrust a broker with offering an asset you hold. Holder only. "
        "userErrors codes: ASSET_NOT_FOUND, BROKER_NOT_FOUND, ID_INVALID."
    )
    async def entrust_asset(self, info: Info, input: EntrustAssetInput) -> EntrustAssetPayload:
        asset_id = _uuid(input.asset_id, "Asset")

        async def use_case(session: AsyncSession, actor: Principal | None) -> registry.Asset:
            await domain.entrust_asset(
                session, actor, asset_id, _uuid(input.broker, "Organization")
            )
            asset = await session.get(registry.Asset, asset_id)
            assert asset is not None
            return asset

        row, errors = await perform_refusable(info, use_case)
        return EntrustAssetPayload(asset=Asset.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(
        description="List a REGISTERED asset you hold or were entrusted with. Licensed broker "
        "only. userErrors codes: PRICE_INVALID, PURPOSES_REQUIRED, TERM_INVALID, "
        "TERRITORY_REQUIRED, ASSET_NOT_FOUND, ASSET_NOT_REGISTERED, ASSET_NOT_OFFERABLE, "
        f"ALREADY_LISTED, {LICENCE_CODES}."
    )
    async def list_product(self, info: Info, input: ListProductInput) -> ListingPayload:
        terms = domain.ListingTerms(
            price=input.price,
            pricing_model=input.pricing_model,
            purposes=tuple(input.licence_terms.purposes),
            term=input.licence_terms.term,
            territory=input.licence_terms.territory,
            resale=input.licence_terms.resale,
        )
        row, errors = await perform_refusable(
            info, lambda s, a: domain.list_product(s, a, _uuid(input.asset_id, "Asset"), terms)
        )
        return ListingPayload(listing=Listing.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(
        description="Withdraw a listing. Its broker only, licensed. userErrors codes: "
        f"LISTING_NOT_FOUND, LISTING_NOT_LISTED, {LICENCE_CODES}."
    )
    async def delist_product(self, info: Info, input: DelistProductInput) -> ListingPayload:
        row, errors = await perform_refusable(
            info,
            lambda s, a: domain.delist_product(
                s, a, _uuid(input.id, "Listing"), reason=input.reason
            ),
        )
        return ListingPayload(listing=Listing.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(
        description="Match a buyer to a listing → MATCHED. The listing's broker, licensed. "
        "userErrors codes: PURPOSE_REQUIRED, SCENARIO_REQUIRED, PRICE_INVALID, "
        "LISTING_NOT_FOUND, LISTING_NOT_LISTED, ASSET_NOT_REGISTERED, BUYER_NOT_FOUND, "
        "BUYER_INVALID, "
        f"PURPOSE_NOT_LICENSED, {LICENCE_CODES}."
    )
    async def match_deal(self, info: Info, input: MatchDealInput) -> DealPayload:
        def terms() -> domain.DealTerms:
            return domain.DealTerms(
                listing_id=_uuid(input.listing_id, "Listing"),
                buyer_id=_uuid(input.buyer, "Organization"),
                purpose=input.purpose,
                scenario=input.scenario,
                price=input.price,
            )

        return await _deal_payload(info, lambda s, a: domain.match_deal(s, a, terms()))

    @strawberry.mutation(
        description="MATCHED → CONFIRMED. The buyer only. userErrors codes: DEAL_NOT_FOUND, "
        "DEAL_STATUS_INVALID, BROKER_NOT_LICENSED."
    )
    async def confirm_deal(self, info: Info, input: DealIdInput) -> DealPayload:
        return await _deal_payload(
            info, lambda s, a: domain.confirm_deal(s, a, _uuid(input.id, "Deal"))
        )

    @strawberry.mutation(
        description="CONFIRMED → DELIVERED. The deal's broker, licensed. userErrors codes: "
        f"DEAL_NOT_FOUND, DEAL_NOT_CONFIRMED, DEAL_STATUS_INVALID, {LICENCE_CODES}."
    )
    async def record_delivery(self, info: Info, input: RecordDeliveryInput) -> DealPayload:
        return await _deal_payload(
            info,
            lambda s, a: domain.record_delivery(s, a, _uuid(input.id, "Deal"), note=input.note),
        )

    @strawberry.mutation(
        description="Cancel before delivery, with a reason. The broker (licensed) or the "
        f"buyer. userErrors codes: REASON_REQUIRED, DEAL_NOT_FOUND, DEAL_STATUS_INVALID, "
        f"{LICENCE_CODES}."
    )
    async def cancel_deal(self, info: Info, input: CancelDealInput) -> DealPayload:
        return await _deal_payload(
            info,
            lambda s, a: domain.cancel_deal(s, a, _uuid(input.id, "Deal"), reason=input.reason),
        )

    @strawberry.mutation(
        description="Record a fusion of public with non-public data (Art. 24). Licensed "
        "broker only; each consent passes the consent gate now. Refused (nothing recorded "
        "but the attempt, for supervision) when a basis is missing. userErrors codes: "
        "RESOURCE_NOT_SHARED, PUBLIC_BASIS_REQUIRED, BASIS_ASSET_NOT_FOUND, "
        "BASIS_ASSET_NOT_PUBLIC, BASIS_ASSET_NOT_REGISTERED, BASIS_ASSET_MISMATCH, "
        "DATASET_HOLDER_REQUIRED, LEGAL_BASIS_REQUIRED, INPUT_ASSET_NOT_REGISTERED, "
        "CONSENT_REVOKED, CONSENT_EXPIRED, CONSENT_NOT_YET_VALID, CONSENT_OUT_OF_SCOPE, "
        "CONSENT_PURPOSE_MISMATCH, CONSENT_EXHAUSTED, CONSENT_NOT_GRANTEE, CONSENT_NOT_FOUND, "
        "ITEM_INVALID, DATASET_NAME_REQUIRED, RESOURCE_NOT_FOUND, ASSET_NOT_FOUND, "
        "OUTPUT_NOT_OFFERABLE, RECIPIENT_NOT_FOUND, RECIPIENTS_REQUIRED, INPUTS_REQUIRED, "
        f"PURPOSE_REQUIRED, SCENARIO_REQUIRED, {LICENCE_CODES}."
    )
    async def record_data_flow(self, info: Info, input: RecordDataFlowInput) -> DataFlowPayload:
        row, errors = await perform_refusable(
            info, lambda s, a: domain.record_data_flow(s, a, _flow_spec(input))
        )
        return DataFlowPayload(flow=DataFlow.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(
        description="Change a published indicator's weight, parameter, name, description or "
        "veto. Data authority only. userErrors codes: INDICATOR_NOT_FOUND, WEIGHT_INVALID, "
        "PARAMETER_INVALID, NAME_INVALID, NOTHING_CHANGED."
    )
    async def update_supervision_indicator(
        self, info: Info, input: UpdateSupervisionIndicatorInput
    ) -> SupervisionIndicatorPayload:
        row, errors = await perform_refusable(
            info,
            lambda s, a: domain.update_indicator(
                s, a, input.code.strip(), weight=input.weight, parameter=input.parameter,
                name=input.name, description=input.description, veto=input.veto,
            ),
        )  # fmt: skip
        return SupervisionIndicatorPayload(
            indicator=SupervisionIndicator.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Change a published risk rule's threshold or switch it on or off; periods "
        "evaluated afterwards use it. Data authority only. userErrors codes: RULE_NOT_FOUND, "
        "THRESHOLD_INVALID, MIN_VOLUME_INVALID, MIN_VOLUME_NOT_APPLICABLE, NOTHING_CHANGED."
    )
    async def update_risk_rule(self, info: Info, input: UpdateRiskRuleInput) -> RiskRulePayload:
        row, errors = await perform_refusable(
            info,
            lambda s, a: domain.update_risk_rule(
                s, a, input.rule, threshold=input.threshold, enabled=input.enabled,
                min_volume=input.min_volume,
            ),
        )  # fmt: skip
        return RiskRulePayload(rule=RiskRule.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(
        description="Move a grade's published threshold (the lowest total score it needs). "
        "Data authority only. userErrors codes: GRADE_NOT_FOUND, MIN_SCORE_INVALID, "
        "GRADES_OUT_OF_ORDER, NOTHING_CHANGED."
    )
    async def update_supervision_grade(
        self, info: Info, input: UpdateSupervisionGradeInput
    ) -> SupervisionGradePayload:
        row, errors = await perform_refusable(
            info,
            lambda s, a: domain.update_grade(s, a, input.grade.strip(), min_score=input.min_score),
        )
        grade = SupervisionGrade(grade=row.grade, min_score=Decimal(row.min_score)) if row else None
        return SupervisionGradePayload(grade=grade, user_errors=errors)

    @strawberry.mutation(
        description="Evaluate every licensed broker over a period that has ended, from "
        "recorded facts; replaces the period's results, raises risk alerts and moves each "
        "broker's licence grade to its latest evaluated period's. A period before any broker "
        "was licensed is refused, with no ledger entry. Data authority only. userErrors codes: "
        "PERIOD_INVALID, PERIOD_NOT_OVER, NO_BROKERS_IN_PERIOD."
    )
    async def evaluate_brokers(
        self, info: Info, input: EvaluateBrokersInput
    ) -> EvaluateBrokersPayload:
        run, errors = await perform_refusable(
            info,
            lambda s, a: domain.evaluate_brokers(s, a, input.period_start, input.period_end),
        )
        if run is None:
            return EvaluateBrokersPayload(user_errors=errors)
        return EvaluateBrokersPayload(
            evaluations=[BrokerEvaluation.from_row(e) for e in run.evaluations],
            alerts_raised=[RiskAlert.from_row(a) for a in run.alerts_raised],
            ledger_seq=run.ledger_seq,
            user_errors=[],
        )

    @strawberry.mutation(
        description="Acknowledge a risk alert. Data authority only. userErrors codes: "
        "ALERT_NOT_FOUND, ALERT_ALREADY_ACKNOWLEDGED."
    )
    async def acknowledge_risk_alert(
        self, info: Info, input: AcknowledgeRiskAlertInput
    ) -> RiskAlertPayload:
        row, errors = await perform_refusable(
            info,
            lambda s, a: domain.acknowledge_alert(
                s, a, _uuid(input.id, "RiskAlert"), note=input.note
            ),
        )
        return RiskAlertPayload(alert=RiskAlert.from_row(row) if row else None, user_errors=errors)


async def _deal_payload(
    info: Info, use_case: Callable[[AsyncSession, Principal | None], Awaitable[domain.Deal]]
) -> DealPayload:
    row, errors = await perform_refusable(info, use_case)
    return DealPayload(deal=Deal.from_row(row) if row else None, user_errors=errors)
