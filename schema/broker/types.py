"""GraphQL for data brokers: the object types."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.scalars import JSON

import broker as domain  # `broker` is a field name on several types here
import registry
from core.clock import now
from schema.broker.enums import (
    AlertRuleEnum,
    AlertStatusEnum,
    BrokerTypeEnum,
    DealStatusEnum,
    FlowInputKindEnum,
    LicenceDecisionEnum,
    LicenceStatusEnum,
    ListingStatusEnum,
    PricingModelEnum,
    ResourceBasisEnum,
    ScoringEnum,
)
from schema.context import Info
from schema.dataloaders import load_then
from schema.ledger import InclusionProof
from schema.organizations import Organization, from_row
from schema.registry import Asset, Resource, resource_of
from schema.relay import (
    Node,
    to_global_id,
)


def _org(info: Info, org_id: uuid.UUID | None) -> Organization | None | Awaitable[Any]:
    if org_id is None:
        return None
    return load_then(info.context.loaders.organization, org_id, from_row)


async def _asset(info: Info, asset_id: uuid.UUID | None) -> Asset | None:
    if asset_id is None:
        return None
    row = await info.context.loaders.asset.load(asset_id)
    return Asset.from_row(row) if row else None


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

    @classmethod
    def from_json(cls, text: str) -> list[IndicatorScore]:
        """The scores the indicator engine stored for one run (brokers and agencies alike)."""
        return [
            cls(code=i["code"], value=Decimal(i["value"]), score=Decimal(i["score"]),
                weight=Decimal(i["weight"]))
            for i in json.loads(text)
        ]  # fmt: skip


@strawberry.type
class PeriodScores(Node):
    """The fields of one indicator-engine run for one subject and period (`authority.scoring`):
    a broker's evaluation and an agency's scorecard alike."""

    period_start: datetime
    period_end: datetime
    facts: JSON
    indicators: list[IndicatorScore]
    score: Decimal = strawberry.field(description="Σ weight × score ÷ Σ weight, 0-100.")
    grade: str
    evaluated_at: datetime
    ledger_seq: int

    @staticmethod
    def fields_of(row: Any) -> dict[str, Any]:
        return dict(
            period_start=row.period_start, period_end=row.period_end, facts=json.loads(row.facts),
            indicators=IndicatorScore.from_json(row.indicators), score=Decimal(row.score),
            grade=row.grade, evaluated_at=row.evaluated_at, ledger_seq=row.ledger_seq,
        )  # fmt: skip


@strawberry.type(description="One broker's evaluation for one period, from recorded facts.")
class BrokerEvaluation(PeriodScores):
    row: strawberry.Private[domain.BrokerEvaluation]

    @strawberry.field
    def broker(self, info: Info) -> Organization | None:
        return _org(info, self.row.broker_id)  # type: ignore[return-value]

    @classmethod
    def from_row(cls, row: domain.BrokerEvaluation) -> BrokerEvaluation:
        return cls(
            id=to_global_id("BrokerEvaluation", row.id), row=row, **PeriodScores.fields_of(row)
        )


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
