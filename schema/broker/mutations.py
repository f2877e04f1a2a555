"""GraphQL for data brokers: the mutations and their payloads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal

import strawberry

import broker as domain  # `broker` is a field name on several types here
import registry
from broker import Code
from consent import Code as ConsentCode
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
from schema.errors import Code as ApiCode
from schema.errors import UserErrorType, payload, perform, with_codes
from schema.registry import Asset
from schema.relay import uuid_of

# A payload names its object after the object's type, as elsewhere in the API (issue 10 §7).
_RENAMED = "Named after its type like every payload's object: use `"


# Every action of a broker is checked against a current licence (broker.require_licensed).
LICENCE_CODES = (
    Code.LICENCE_REQUIRED,
    Code.LICENCE_SUSPENDED,
    Code.LICENCE_REVOKED,
    Code.LICENCE_EXPIRED,
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
        description=with_codes(
            "Apply for a data broker licence (APPLIED). Market entity or domain.",
            Code.SCOPE_REQUIRED,
            Code.SCENARIOS_REQUIRED,
            Code.MLPS_LEVEL_INVALID,
            Code.MLPS_LEVEL_TOO_LOW,
            Code.DCMM_LEVEL_INVALID,
            Code.CONTACT_REQUIRED,
            Code.MINORS_HANDLING_REQUIRED,
            Code.SENSITIVE_HANDLING_REQUIRED,
            Code.LICENCE_ALREADY_HELD,
            Code.ORGANIZATION_REQUIRED,
        )
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
        return await payload(
            info,
            lambda s, a: domain.apply_broker_licence(s, a, application),
            BrokerLicencePayload,
            licence=BrokerLicence.from_row,
        )

    @strawberry.mutation(
        description=with_codes(
            (
                "Decide on a licence, with a reason: APPROVE or REJECT an application, "
                "SUSPEND or REINSTATE, REVOKE from any status. Data authority only."
            ),
            Code.REASON_REQUIRED,
            Code.GRADE_INVALID,
            Code.VALID_UNTIL_INVALID,
            Code.LICENCE_NOT_FOUND,
            Code.LICENCE_STATUS_INVALID,
            ApiCode.ID_INVALID,
        )
    )
    async def decide_broker_licence(
        self, info: Info, input: DecideBrokerLicenceInput
    ) -> BrokerLicencePayload:
        return await payload(
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
            BrokerLicencePayload,
            licence=BrokerLicence.from_row,
        )

    @strawberry.mutation(
        description=with_codes(
            "Entrust a broker with offering an asset you hold. Holder only.",
            Code.ASSET_NOT_FOUND,
            Code.BROKER_NOT_FOUND,
            ApiCode.ID_INVALID,
        )
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

        return await payload(info, use_case, EntrustAssetPayload, asset=Asset.from_row)

    @strawberry.mutation(
        description=with_codes(
            "List a REGISTERED asset you hold or were entrusted with. Licensed broker only.",
            Code.PRICE_INVALID,
            Code.PURPOSES_REQUIRED,
            Code.TERM_INVALID,
            Code.TERRITORY_REQUIRED,
            Code.ASSET_NOT_FOUND,
            Code.ASSET_NOT_REGISTERED,
            Code.ASSET_NOT_OFFERABLE,
            Code.ALREADY_LISTED,
            *LICENCE_CODES,
            ApiCode.ID_INVALID,
            Code.ORGANIZATION_REQUIRED,
        )
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
        return await payload(
            info,
            lambda s, a: domain.list_product(s, a, uuid_of(input.asset_id, "Asset"), terms),
            ListingPayload,
            listing=Listing.from_row,
        )

    @strawberry.mutation(
        description=with_codes(
            "Withdraw a listing. Its broker only, licensed.",
            Code.LISTING_NOT_FOUND,
            Code.LISTING_NOT_LISTED,
            *LICENCE_CODES,
            ApiCode.ID_INVALID,
            Code.ORGANIZATION_REQUIRED,
        )
    )
    async def delist_product(self, info: Info, input: DelistProductInput) -> ListingPayload:
        return await payload(
            info,
            lambda s, a: domain.delist_product(
                s, a, uuid_of(input.id, "Listing"), reason=input.reason
            ),
            ListingPayload,
            listing=Listing.from_row,
        )

    @strawberry.mutation(
        description=with_codes(
            "Match a buyer to a listing → MATCHED. The listing's broker, licensed.",
            Code.PURPOSE_REQUIRED,
            Code.SCENARIO_REQUIRED,
            Code.PRICE_INVALID,
            Code.LISTING_NOT_FOUND,
            Code.LISTING_NOT_LISTED,
            Code.ASSET_NOT_REGISTERED,
            Code.BUYER_NOT_FOUND,
            Code.BUYER_INVALID,
            Code.PURPOSE_NOT_LICENSED,
            *LICENCE_CODES,
            ApiCode.ID_INVALID,
            Code.ORGANIZATION_REQUIRED,
        )
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
        description=with_codes(
            "MATCHED → CONFIRMED. The buyer only.",
            Code.DEAL_NOT_FOUND,
            Code.DEAL_STATUS_INVALID,
            Code.BROKER_NOT_LICENSED,
            ApiCode.ID_INVALID,
        )
    )
    async def confirm_deal(self, info: Info, input: DealIdInput) -> DealPayload:
        return await _deal_payload(
            info, lambda s, a: domain.confirm_deal(s, a, uuid_of(input.id, "Deal"))
        )

    @strawberry.mutation(
        description=with_codes(
            "CONFIRMED → DELIVERED. The deal's broker, licensed.",
            Code.DEAL_NOT_FOUND,
            Code.DEAL_NOT_CONFIRMED,
            Code.DEAL_STATUS_INVALID,
            *LICENCE_CODES,
            ApiCode.ID_INVALID,
            Code.ORGANIZATION_REQUIRED,
        )
    )
    async def record_delivery(self, info: Info, input: RecordDeliveryInput) -> DealPayload:
        return await _deal_payload(
            info,
            lambda s, a: domain.record_delivery(s, a, uuid_of(input.id, "Deal"), note=input.note),
        )

    @strawberry.mutation(
        description=with_codes(
            "Cancel before delivery, with a reason. The broker (licensed) or the buyer.",
            Code.REASON_REQUIRED,
            Code.DEAL_NOT_FOUND,
            Code.DEAL_STATUS_INVALID,
            *LICENCE_CODES,
            ApiCode.ID_INVALID,
            Code.ORGANIZATION_REQUIRED,
        )
    )
    async def cancel_deal(self, info: Info, input: CancelDealInput) -> DealPayload:
        return await _deal_payload(
            info,
            lambda s, a: domain.cancel_deal(s, a, uuid_of(input.id, "Deal"), reason=input.reason),
        )

    @strawberry.mutation(
        description=with_codes(
            (
                "Record a fusion of public with non-public data (Art. 24). Licensed broker "
                "only; each consent passes the consent gate now. Refused (nothing recorded "
                "but the attempt, for supervision) when a basis is missing."
            ),
            Code.RESOURCE_NOT_SHARED,
            Code.PUBLIC_BASIS_REQUIRED,
            Code.BASIS_ASSET_NOT_FOUND,
            Code.BASIS_ASSET_NOT_PUBLIC,
            Code.BASIS_ASSET_NOT_REGISTERED,
            Code.BASIS_ASSET_MISMATCH,
            Code.DATASET_HOLDER_REQUIRED,
            Code.LEGAL_BASIS_REQUIRED,
            Code.INPUT_ASSET_NOT_REGISTERED,
            Code.CONSENT_REVOKED,
            Code.CONSENT_EXPIRED,
            Code.CONSENT_NOT_YET_VALID,
            Code.CONSENT_OUT_OF_SCOPE,
            Code.CONSENT_PURPOSE_MISMATCH,
            Code.CONSENT_EXHAUSTED,
            Code.CONSENT_NOT_GRANTEE,
            ConsentCode.CONSENT_NOT_FOUND,
            ConsentCode.ITEM_INVALID,
            Code.DATASET_NAME_REQUIRED,
            Code.RESOURCE_NOT_FOUND,
            Code.ASSET_NOT_FOUND,
            Code.OUTPUT_NOT_OFFERABLE,
            Code.RECIPIENT_NOT_FOUND,
            Code.RECIPIENTS_REQUIRED,
            Code.INPUTS_REQUIRED,
            Code.PURPOSE_REQUIRED,
            Code.SCENARIO_REQUIRED,
            *LICENCE_CODES,
            ApiCode.ID_INVALID,
            Code.ORGANIZATION_REQUIRED,
        )
    )
    async def record_data_flow(self, info: Info, input: RecordDataFlowInput) -> DataFlowPayload:
        return await payload(
            info,
            lambda s, a: domain.record_data_flow(s, a, _flow_spec(input)),
            DataFlowPayload,
            flow=DataFlow.from_row,
        )

    @strawberry.mutation(
        description=with_codes(
            (
                "Change a published indicator's weight, parameter, name, description or veto."
                " Data authority only."
            ),
            Code.INDICATOR_NOT_FOUND,
            Code.WEIGHT_INVALID,
            Code.PARAMETER_INVALID,
            Code.NAME_INVALID,
            Code.NOTHING_CHANGED,
        )
    )
    async def update_supervision_indicator(
        self, info: Info, input: UpdateSupervisionIndicatorInput
    ) -> SupervisionIndicatorPayload:
        return await payload(
            info,
            lambda s, a: domain.update_indicator(
                s,
                a,
                input.code.strip(),
                weight=input.weight,
                parameter=input.parameter,
                name=input.name,
                description=input.description,
                veto=input.veto,
            ),
            SupervisionIndicatorPayload,
            indicator=SupervisionIndicator.from_row,
        )

    @strawberry.mutation(
        description=with_codes(
            (
                "Change a published risk rule's threshold or switch it on or off; periods "
                "evaluated afterwards use it. Data authority only."
            ),
            Code.RULE_NOT_FOUND,
            Code.THRESHOLD_INVALID,
            Code.MIN_VOLUME_INVALID,
            Code.MIN_VOLUME_NOT_APPLICABLE,
            Code.NOTHING_CHANGED,
        )
    )
    async def update_risk_rule(self, info: Info, input: UpdateRiskRuleInput) -> RiskRulePayload:
        return await payload(
            info,
            lambda s, a: domain.update_risk_rule(
                s,
                a,
                input.rule,
                threshold=input.threshold,
                enabled=input.enabled,
                min_volume=input.min_volume,
            ),
            RiskRulePayload,
            rule=RiskRule.from_row,
        )

    @strawberry.mutation(
        description=with_codes(
            (
                "Move a grade's published threshold (the lowest total score it needs). Data "
                "authority only."
            ),
            Code.GRADE_NOT_FOUND,
            Code.MIN_SCORE_INVALID,
            Code.GRADES_OUT_OF_ORDER,
            Code.NOTHING_CHANGED,
        )
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
        description=with_codes(
            (
                "Evaluate every licensed broker over a period that has ended, from recorded "
                "facts; replaces the period's results, raises risk alerts and moves each "
                "broker's licence grade to its latest evaluated period's. A period before any"
                " broker was licensed is refused, with no ledger entry. Data authority only."
            ),
            Code.PERIOD_INVALID,
            Code.PERIOD_NOT_OVER,
            Code.NO_BROKERS_IN_PERIOD,
        )
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
        description=with_codes(
            "Acknowledge a risk alert. Data authority only.",
            Code.ALERT_NOT_FOUND,
            Code.ALERT_ALREADY_ACKNOWLEDGED,
            ApiCode.ID_INVALID,
        )
    )
    async def acknowledge_risk_alert(
        self, info: Info, input: AcknowledgeRiskAlertInput
    ) -> RiskAlertPayload:
        return await payload(
            info,
            lambda s, a: domain.acknowledge_alert(
                s, a, uuid_of(input.id, "RiskAlert"), note=input.note
            ),
            RiskAlertPayload,
            alert=RiskAlert.from_row,
        )


async def _deal_payload(
    info: Info, use_case: Callable[[AsyncSession, Principal | None], Awaitable[domain.Deal]]
) -> DealPayload:
    return await payload(info, use_case, DealPayload, deal=Deal.from_row)
