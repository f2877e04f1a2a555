"""GraphQL for data brokers: the mutations and their payloads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal

import strawberry

import broker as domain  # `broker` is a field name on several types here
import registry
from core.db import AsyncSession
from core.identity import Principal
from schema.broker.inputs import (
    AcknowledgeRiskAlertInput,
    ApplyBrokerLicenceInput,
    CancelDealInput,
    DealIdInput,
    DecideBrokerLicenceInput,
    DelistProductInput,
    EntrustAssetInput,
    EvaluateBrokersInput,
    ListProductInput,
    MatchDealInput,
    RecordDataFlowInput,
    RecordDeliveryInput,
    UpdateRiskRuleInput,
    UpdateSupervisionGradeInput,
    UpdateSupervisionIndicatorInput,
)
from schema.broker.types import (
    BrokerEvaluation,
    BrokerLicence,
    DataFlow,
    Deal,
    Listing,
    RiskAlert,
    RiskRule,
    SupervisionGrade,
    SupervisionIndicator,
)
from schema.context import Info
from schema.errors import UserErrorType, perform
from schema.registry import Asset
from schema.relay import uuid_of

# A payload names its object after the object's type, as elsewhere in the API (issue 10 §7).
_RENAMED = "Named after its type like every payload's object: use `"


@strawberry.type
class BrokerLicencePayload:
    licence: BrokerLicence | None = strawberry.field(
        default=None, deprecation_reason=_RENAMED + "brokerLicence`."
    )
    user_errors: list[UserErrorType]

    @strawberry.field
    def broker_licence(self) -> BrokerLicence | None:
        return self.licence


@strawberry.type
class EntrustAssetPayload:
    asset: Asset | None = None
    user_errors: list[UserErrorType]


@strawberry.type
class ListingPayload:
    listing: Listing | None = None
    user_errors: list[UserErrorType]


@strawberry.type
class DealPayload:
    deal: Deal | None = None
    user_errors: list[UserErrorType]


@strawberry.type
class DataFlowPayload:
    flow: DataFlow | None = strawberry.field(
        default=None, deprecation_reason=_RENAMED + "dataFlow`."
    )
    user_errors: list[UserErrorType]

    @strawberry.field
    def data_flow(self) -> DataFlow | None:
        return self.flow


@strawberry.type
class SupervisionIndicatorPayload:
    indicator: SupervisionIndicator | None = strawberry.field(
        default=None, deprecation_reason=_RENAMED + "supervisionIndicator`."
    )
    user_errors: list[UserErrorType]

    @strawberry.field
    def supervision_indicator(self) -> SupervisionIndicator | None:
        return self.indicator


@strawberry.type
class RiskRulePayload:
    rule: RiskRule | None = strawberry.field(
        default=None, deprecation_reason=_RENAMED + "riskRule`."
    )
    user_errors: list[UserErrorType]

    @strawberry.field
    def risk_rule(self) -> RiskRule | None:
        return self.rule


@strawberry.type
class SupervisionGradePayload:
    grade: SupervisionGrade | None = strawberry.field(
        default=None, deprecation_reason=_RENAMED + "supervisionGrade`."
    )
    user_errors: list[UserErrorType]

    @strawberry.field
    def supervision_grade(self) -> SupervisionGrade | None:
        return self.grade


@strawberry.type
class EvaluateBrokersPayload:
    evaluations: list[BrokerEvaluation] | None = None
    alerts_raised: list[RiskAlert] | None = None
    ledger_seq: int | None = None
    user_errors: list[UserErrorType]


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
                basis_asset_id=uuid_of(i.basis_asset, "Asset") if i.basis_asset else None,
                asset_id=uuid_of(i.asset, "Asset") if i.asset else None,
                dataset_name=i.dataset_name,
                dataset_holder=i.dataset_holder,
                legal_basis=i.legal_basis,
            )
            for i in input.inputs
        ),
        output_asset_id=uuid_of(input.output_asset_id, "Asset"),
        recipients=tuple(uuid_of(r, "Organization") for r in input.recipients),
        purpose=input.purpose,
        scenario=input.scenario,
        consents=tuple(
            domain.ConsentRelied(consent_id=uuid_of(c.consent, "Consent"), item=c.item)
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
        row, errors = await perform(
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
        row, errors = await perform(
            info,
            lambda s, a: domain.decide_broker_licence(
                s,
                a,
                uuid_of(input.licence_id, "BrokerLicence"),
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
        asset_id = uuid_of(input.asset_id, "Asset")

        async def use_case(session: AsyncSession, actor: Principal | None) -> registry.Asset:
            await domain.entrust_asset(
                session, actor, asset_id, uuid_of(input.broker, "Organization")
            )
            asset = await session.get(registry.Asset, asset_id)
            assert asset is not None
            return asset

        row, errors = await perform(info, use_case)
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
        row, errors = await perform(
            info, lambda s, a: domain.list_product(s, a, uuid_of(input.asset_id, "Asset"), terms)
        )
        return ListingPayload(listing=Listing.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(
        description="Withdraw a listing. Its broker only, licensed. userErrors codes: "
        f"LISTING_NOT_FOUND, LISTING_NOT_LISTED, {LICENCE_CODES}."
    )
    async def delist_product(self, info: Info, input: DelistProductInput) -> ListingPayload:
        row, errors = await perform(
            info,
            lambda s, a: domain.delist_product(
                s, a, uuid_of(input.id, "Listing"), reason=input.reason
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
                listing_id=uuid_of(input.listing_id, "Listing"),
                buyer_id=uuid_of(input.buyer, "Organization"),
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
            info, lambda s, a: domain.confirm_deal(s, a, uuid_of(input.id, "Deal"))
        )

    @strawberry.mutation(
        description="CONFIRMED → DELIVERED. The deal's broker, licensed. userErrors codes: "
        f"DEAL_NOT_FOUND, DEAL_NOT_CONFIRMED, DEAL_STATUS_INVALID, {LICENCE_CODES}."
    )
    async def record_delivery(self, info: Info, input: RecordDeliveryInput) -> DealPayload:
        return await _deal_payload(
            info,
            lambda s, a: domain.record_delivery(s, a, uuid_of(input.id, "Deal"), note=input.note),
        )

    @strawberry.mutation(
        description="Cancel before delivery, with a reason. The broker (licensed) or the "
        f"buyer. userErrors codes: REASON_REQUIRED, DEAL_NOT_FOUND, DEAL_STATUS_INVALID, "
        f"{LICENCE_CODES}."
    )
    async def cancel_deal(self, info: Info, input: CancelDealInput) -> DealPayload:
        return await _deal_payload(
            info,
            lambda s, a: domain.cancel_deal(s, a, uuid_of(input.id, "Deal"), reason=input.reason),
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
        row, errors = await perform(
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
        row, errors = await perform(
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
        row, errors = await perform(
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
        row, errors = await perform(
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
        run, errors = await perform(
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
        row, errors = await perform(
            info,
            lambda s, a: domain.acknowledge_alert(
                s, a, uuid_of(input.id, "RiskAlert"), note=input.note
            ),
        )
        return RiskAlertPayload(alert=RiskAlert.from_row(row) if row else None, user_errors=errors)


async def _deal_payload(
    info: Info, use_case: Callable[[AsyncSession, Principal | None], Awaitable[domain.Deal]]
) -> DealPayload:
    row, errors = await perform(info, use_case)
    return DealPayload(deal=Deal.from_row(row) if row else None, user_errors=errors)
