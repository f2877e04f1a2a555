"""GraphQL for sharing (Art. 9, 12-20): the mutations and their payloads."""

from __future__ import annotations

import strawberry

import sharing
from consent import Code as ConsentCode
from core.db import AsyncSession
from core.errors import Code as CoreCode
from core.identity import Principal
from schema.context import Info
from schema.errors import Code as ApiCode
from schema.errors import UserErrorType, payload, with_codes
from schema.relay import uuid_of
from schema.sharing.inputs import (
    AcceptUsageAgreementInput,
    AnswerDataAnomalyInput,
    AnswerOpenApplicationInput,
    AnswerShareRequestInput,
    ApplyForOpenDataInput,
    ChangeShareGrantStatusInput,
    DeclareDataDemandInput,
    DisputeShareRefusalInput,
    IssueAccessTicketInput,
    OpenVerificationSetInput,
    RecordShareDeliveryInput,
    ReportDataAnomalyInput,
    ReportTicketUseInput,
    RequestShareInput,
    RuleOnShareDisputeInput,
    SubmitUsageReportInput,
    UploadVerificationBatchInput,
    VerificationPointsInput,
    VerifyDataClaimInput,
    WithdrawShareRequestInput,
)
from schema.sharing.types import (
    AccessTicket,
    DataAnomaly,
    DataDemand,
    OpenApplication,
    ShareGrant,
    ShareRequest,
    UsageReport,
    VerificationResult,
    VerificationSet,
)
from sharing import Code

# A deadline counted in working days (core.workdays): its own input checks.
DEADLINE_CODES = (
    CoreCode.TIME_ZONE_REQUIRED,
    CoreCode.WORKING_DAYS_INVALID,
    CoreCode.YEAR_OUT_OF_RANGE,
)


@strawberry.type
class ShareRequestPayload:
    share_request: ShareRequest | None = None
    user_errors: list[UserErrorType]


@strawberry.type
class ShareGrantPayload:
    grant: ShareGrant | None = None
    user_errors: list[UserErrorType]


@strawberry.type
class AccessTicketPayload:
    ticket: AccessTicket | None = None
    token: str | None = strawberry.field(
        default=None,
        description="The compact JWS (EdDSA) to present to the source department's data "
        "service, which verifies it offline against GET /.well-known/jwks.json.",
    )
    user_errors: list[UserErrorType]


@strawberry.type
class DataDemandPayload:
    demand: DataDemand | None = None
    user_errors: list[UserErrorType]


@strawberry.type
class DataAnomalyPayload:
    anomaly: DataAnomaly | None = None
    user_errors: list[UserErrorType]


@strawberry.type
class UsageReportPayload:
    report: UsageReport | None = None
    user_errors: list[UserErrorType]


@strawberry.type
class OpenApplicationPayload:
    application: OpenApplication | None = None
    user_errors: list[UserErrorType]


@strawberry.type
class VerificationSetPayload:
    verification_set: VerificationSet | None = None
    user_errors: list[UserErrorType]


@strawberry.type
class VerificationPointsPayload:
    evaluated: list[str] | None = strawberry.field(
        default=None, description="k·P for each blinded point P, in order (hex)."
    )
    user_errors: list[UserErrorType]


@strawberry.type
class VerifyDataClaimPayload:
    result: VerificationResult | None = None
    user_errors: list[UserErrorType]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description=with_codes(
            "Agencies (Art. 13, 15): ask for a resource's items for one purpose and scenario. "
            "UNCONDITIONAL is granted at once, CONDITIONAL waits for the answer (5 working days), "
            "NOT_SHARED is refused with the entry's legal basis.",
            Code.PURPOSE_REQUIRED,
            Code.SCENARIO_REQUIRED,
            Code.ITEMS_REQUIRED,
            Code.TIME_ZONE_REQUIRED,
            Code.UNTIL_IN_PAST,
            Code.RESOURCE_NOT_FOUND,
            Code.OWN_RESOURCE,
            Code.ITEM_NOT_IN_RESOURCE,
            Code.REQUEST_DUPLICATE,
            Code.ORGANIZATION_REQUIRED,
            *DEADLINE_CODES,
            ApiCode.ID_INVALID,
        )
    )
    async def request_share(self, info: Info, input: RequestShareInput) -> ShareRequestPayload:
        async def use_case(session: AsyncSession, actor: Principal | None) -> sharing.ShareRequest:
            fields = sharing.RequestFields(
                resource_id=uuid_of(input.resource_id, "Resource"),
                items=tuple(input.items),
                purpose=input.purpose,
                scenario=input.scenario,
                mode=input.mode,
                until=input.until,
            )
            return await sharing.request_share(session, actor, fields)

        return await payload(
            info, use_case, ShareRequestPayload, share_request=ShareRequest.from_row
        )

    @strawberry.mutation(
        description=with_codes(
            "The source department (Art. 15, 16): APPROVE (optionally fewer items) or REFUSE "
            "citing law and article.",
            Code.REQUEST_NOT_FOUND,
            Code.REQUEST_STATUS_INVALID,
            Code.LEGAL_BASIS_REQUIRED,
            Code.ITEMS_REQUIRED,
            Code.ITEMS_WIDENED,
            *DEADLINE_CODES,
            ApiCode.ID_INVALID,
        )
    )
    async def answer_share_request(
        self, info: Info, input: AnswerShareRequestInput
    ) -> ShareRequestPayload:
        return await payload(
            info,
            lambda s, a: sharing.answer_share_request(
                s, a, uuid_of(input.request_id, "ShareRequest"), decision=input.decision,
                items=input.items, law=input.law, article=input.article, reason=input.reason,
            ),
            ShareRequestPayload, share_request=ShareRequest.from_row,
        )  # fmt: skip

    @strawberry.mutation(
        description=with_codes(
            "The source department (Art. 15): record the delivery, within 5 working days of "
            "approval.",
            Code.REQUEST_NOT_FOUND,
            Code.REQUEST_STATUS_INVALID,
            Code.REFERENCE_REQUIRED,
            Code.REFERENCE_TOO_LONG,
            Code.TIME_ZONE_REQUIRED,
            Code.DELIVERED_IN_FUTURE,
            Code.DELIVERED_BEFORE_APPROVAL,
            ApiCode.ID_INVALID,
        )
    )
    async def record_share_delivery(
        self, info: Info, input: RecordShareDeliveryInput
    ) -> ShareRequestPayload:
        return await payload(
            info,
            lambda s, a: sharing.record_share_delivery(
                s, a, uuid_of(input.request_id, "ShareRequest"), channel=input.channel,
                delivered_at=input.delivered_at, reference=input.reference,
            ),
            ShareRequestPayload, share_request=ShareRequest.from_row,
        )  # fmt: skip

    @strawberry.mutation(
        description=with_codes(
            "The requester: withdraw until delivered (its grant ends).",
            Code.REQUEST_NOT_FOUND,
            Code.REQUEST_STATUS_INVALID,
            Code.GRANT_NOT_FOUND,
            ApiCode.ID_INVALID,
        )
    )
    async def withdraw_share_request(
        self, info: Info, input: WithdrawShareRequestInput
    ) -> ShareRequestPayload:
        return await payload(
            info,
            lambda s, a: sharing.withdraw_share_request(
                s,
                a,
                uuid_of(
                    input.request_id,
                    "ShareRequest",
                    ShareRequestPayload,
                    share_request=ShareRequest.from_row,
                ),
            ),
        )

    @strawberry.mutation(
        description=with_codes(
            "The requester: ask the data authority to rule on a refusal.",
            Code.REASON_REQUIRED,
            Code.REQUEST_NOT_FOUND,
            Code.REQUEST_STATUS_INVALID,
            Code.ALREADY_DISPUTED,
            ApiCode.ID_INVALID,
        )
    )
    async def dispute_share_refusal(
        self, info: Info, input: DisputeShareRefusalInput
    ) -> ShareRequestPayload:
        return await payload(
            info,
            lambda s, a: sharing.dispute_share_refusal(
                s, a, uuid_of(input.request_id, "ShareRequest"), reason=input.reason
            ),
            ShareRequestPayload,
            share_request=ShareRequest.from_row,
        )

    @strawberry.mutation(
        description=with_codes(
            "The data authority: uphold the refusal or overturn it (the request is approved and "
            "granted).",
            Code.RULING_REQUIRED,
            Code.REQUEST_NOT_FOUND,
            Code.NOT_DISPUTED,
            Code.REQUEST_STATUS_INVALID,
            *DEADLINE_CODES,
            ApiCode.ID_INVALID,
        )
    )
    async def rule_on_share_dispute(
        self, info: Info, input: RuleOnShareDisputeInput
    ) -> ShareRequestPayload:
        return await payload(
            info,
            lambda s, a: sharing.rule_on_share_dispute(
                s, a, uuid_of(input.request_id, "ShareRequest"), outcome=input.outcome,
                ruling=input.ruling,
            ),
            ShareRequestPayload, share_request=ShareRequest.from_row,
        )  # fmt: skip

    @strawberry.mutation(
        description=with_codes(
            "The source department (Art. 16, 17): suspend, reinstate (ACTIVE) or revoke a grant "
            "with a reason.",
            Code.REASON_REQUIRED,
            Code.GRANT_NOT_FOUND,
            Code.GRANT_STATUS_INVALID,
            ApiCode.ID_INVALID,
        )
    )
    async def change_share_grant_status(
        self, info: Info, input: ChangeShareGrantStatusInput
    ) -> ShareGrantPayload:
        return await payload(
            info,
            lambda s, a: sharing.change_grant_status(
                s, a, uuid_of(input.grant_id, "ShareGrant"), status=input.status,
                reason=input.reason,
            ),
            ShareGrantPayload, grant=ShareGrant.from_row,
        )  # fmt: skip

    @strawberry.mutation(
        description=with_codes(
            "The grantee (Art. 12, 16, 17, 27): a short-lived signed ticket to release items of a "
            "grant. Checked against the grant and, for personal information, the subject's "
            "consent. A refusal outside the grant is recorded and counted against you.",
            Code.PURPOSE_REQUIRED,
            Code.ITEMS_REQUIRED,
            Code.GRANT_NOT_FOUND,
            Code.GRANT_SUSPENDED,
            Code.GRANT_REVOKED,
            Code.GRANT_EXPIRED,
            Code.ITEMS_OUTSIDE_GRANT,
            Code.PURPOSE_MISMATCH,
            Code.CONSENT_REQUIRED,
            Code.CONSENT_DENIED,
            ConsentCode.CONSENT_NOT_FOUND,
            Code.ORGANIZATION_REQUIRED,
            ConsentCode.ITEM_INVALID,
            ApiCode.ID_INVALID,
        )
    )
    async def issue_access_ticket(
        self, info: Info, input: IssueAccessTicketInput
    ) -> AccessTicketPayload:
        signer = sharing.ticket_signer(info.context.settings)

        async def use_case(session: AsyncSession, actor: Principal | None) -> sharing.IssuedTicket:
            asked = sharing.TicketRequest(
                grant_id=uuid_of(input.grant_id, "ShareGrant"),
                items=tuple(input.items),
                purpose=input.purpose,
                consent_id=uuid_of(input.consent_id, "Consent") if input.consent_id else None,
            )
            return await sharing.issue_access_ticket(session, actor, signer, asked)

        return await payload(
            info,
            use_case,
            AccessTicketPayload,
            ticket=lambda issued: AccessTicket.from_row(issued.ticket),
            token=lambda issued: issued.token,
        )

    @strawberry.mutation(
        description=with_codes(
            "The source department's data service (Art. 12, 17): report what it released against "
            "a ticket.",
            Code.ROWS_INVALID,
            Code.CONTENT_HASH_INVALID,
            Code.TICKET_NOT_FOUND,
            Code.TICKET_ALREADY_REPORTED,
            ApiCode.ID_INVALID,
        )
    )
    async def report_ticket_use(
        self, info: Info, input: ReportTicketUseInput
    ) -> AccessTicketPayload:
        return await payload(
            info,
            lambda s, a: sharing.report_ticket_use(
                s, a, uuid_of(input.ticket_id, "AccessTicket"), rows=input.rows,
                content_hash=input.content_hash,
            ),
            AccessTicketPayload, ticket=AccessTicket.from_row,
        )  # fmt: skip

    @strawberry.mutation(
        description=with_codes(
            "Agencies (Art. 9): declare what you need, the scenario and the legal duty.",
            Code.SCENARIO_REQUIRED,
            Code.LEGAL_DUTY_REQUIRED,
            Code.ITEMS_REQUIRED,
            Code.RESOURCE_NOT_FOUND,
            Code.DATA_ITEM_NOT_FOUND,
            Code.OWN_ITEM,
            Code.ORGANIZATION_REQUIRED,
            ApiCode.ID_INVALID,
        )
    )
    async def declare_data_demand(
        self, info: Info, input: DeclareDataDemandInput
    ) -> DataDemandPayload:
        async def use_case(session: AsyncSession, actor: Principal | None) -> sharing.ShareDemand:
            fields = sharing.DemandFields(  # in the runner: a bad id is userErrors ID_INVALID
                scenario=input.scenario, legal_duty=input.legal_duty, items=tuple(input.items),
                resource_id=uuid_of(input.resource_id, "Resource") if input.resource_id else None,
            )  # fmt: skip
            return await sharing.declare_data_demand(session, actor, fields)

        return await payload(
            info,
            use_case,
            DataDemandPayload,
            demand=DataDemand.from_row,
        )

    @strawberry.mutation(
        description=with_codes(
            "Any signed-in user (Art. 19): report a doubt or anomaly about a resource you can "
            "see; the owner answers within 5 working days.",
            Code.TEXT_REQUIRED,
            Code.RESOURCE_NOT_FOUND,
            *DEADLINE_CODES,
            ApiCode.ID_INVALID,
        )
    )
    async def report_data_anomaly(
        self, info: Info, input: ReportDataAnomalyInput
    ) -> DataAnomalyPayload:
        return await payload(
            info,
            lambda s, a: sharing.report_data_anomaly(
                s, a, uuid_of(input.resource_id, "Resource"), text=input.text
            ),
            DataAnomalyPayload,
            anomaly=DataAnomaly.from_row,
        )

    @strawberry.mutation(
        description=with_codes(
            "The owner (Art. 19): CORRECTED with the version that fixes it, or NOT_AN_ERROR with "
            "the reason.",
            Code.OUTCOME_INVALID,
            Code.ANSWER_REQUIRED,
            Code.ANOMALY_NOT_FOUND,
            Code.ANOMALY_ANSWERED,
            Code.VERSION_REQUIRED,
            ApiCode.ID_INVALID,
        )
    )
    async def answer_data_anomaly(
        self, info: Info, input: AnswerDataAnomalyInput
    ) -> DataAnomalyPayload:
        return await payload(
            info,
            lambda s, a: sharing.answer_data_anomaly(
                s, a, uuid_of(input.anomaly_id, "DataAnomaly"), outcome=input.outcome,
                answer=input.answer, corrected_version=input.corrected_version,
            ),
            DataAnomalyPayload, anomaly=DataAnomaly.from_row,
        )  # fmt: skip

    @strawberry.mutation(
        description=with_codes(
            "Grantees (Art. 20): the usage-and-effect report of a grant for a quarter.",
            Code.QUARTER_INVALID,
            Code.QUARTER_IN_FUTURE,
            Code.QUARTER_OUTSIDE_GRANT,
            Code.EFFECT_REQUIRED,
            Code.USES_INVALID,
            Code.GRANT_NOT_FOUND,
            Code.USAGE_REPORT_EXISTS,
            ApiCode.ID_INVALID,
        )
    )
    async def submit_usage_report(
        self, info: Info, input: SubmitUsageReportInput
    ) -> UsageReportPayload:
        return await payload(
            info,
            lambda s, a: sharing.submit_usage_report(
                s, a, uuid_of(input.grant_id, "ShareGrant"), quarter=input.quarter,
                uses=input.uses, effect=input.effect,
            ),
            UsageReportPayload, report=UsageReport.from_row,
        )  # fmt: skip

    @strawberry.mutation(
        description=with_codes(
            "Market entities, brokers and individuals (Art. 18): apply to use a CONDITIONAL_OPEN "
            "resource.",
            Code.PURPOSE_REQUIRED,
            Code.SCENARIO_REQUIRED,
            Code.SECURITY_MEASURES_REQUIRED,
            Code.NOT_CONDITIONALLY_OPEN,
            *DEADLINE_CODES,
            ApiCode.ID_INVALID,
        )
    )
    async def apply_for_open_data(
        self, info: Info, input: ApplyForOpenDataInput
    ) -> OpenApplicationPayload:
        async def use_case(
            session: AsyncSession, actor: Principal | None
        ) -> sharing.OpenApplication:
            fields = sharing.ApplicationFields(  # in the runner: a bad id is userErrors
                resource_id=uuid_of(input.resource_id, "Resource"), purpose=input.purpose,
                scenario=input.scenario, security_measures=input.security_measures,
            )  # fmt: skip
            return await sharing.apply_for_open_data(session, actor, fields)

        return await payload(
            info,
            use_case,
            OpenApplicationPayload,
            application=OpenApplication.from_row,
        )

    @strawberry.mutation(
        description=with_codes(
            "The owner (Art. 18): approve with the usage agreement's terms, or refuse with a "
            "reason, within 5 working days.",
            Code.TERMS_REQUIRED,
            Code.REASON_REQUIRED,
            Code.APPLICATION_NOT_FOUND,
            Code.APPLICATION_STATUS_INVALID,
            ApiCode.ID_INVALID,
        )
    )
    async def answer_open_application(
        self, info: Info, input: AnswerOpenApplicationInput
    ) -> OpenApplicationPayload:
        return await payload(
            info,
            lambda s, a: sharing.answer_open_application(
                s, a, uuid_of(input.application_id, "OpenApplication"), approve=input.approve,
                terms=input.terms, reason=input.reason,
            ),
            OpenApplicationPayload, application=OpenApplication.from_row,
        )  # fmt: skip

    @strawberry.mutation(
        description=with_codes(
            "The owner and the applicant (Art. 18): accept the usage agreement by the SHA-256 of "
            "its terms; with both, the application is AGREED.",
            Code.TERMS_HASH_MISMATCH,
            Code.APPLICATION_NOT_FOUND,
            Code.APPLICATION_STATUS_INVALID,
            ApiCode.ID_INVALID,
        )
    )
    async def accept_usage_agreement(
        self, info: Info, input: AcceptUsageAgreementInput
    ) -> OpenApplicationPayload:
        return await payload(
            info,
            lambda s, a: sharing.accept_usage_agreement(
                s, a, uuid_of(input.application_id, "OpenApplication"),
                accepted_hash=input.terms_hash,
            ),
            OpenApplicationPayload, application=OpenApplication.from_row,
        )  # fmt: skip

    @strawberry.mutation(
        description=with_codes(
            "The source department (Art. 15): open the verification set of a NOT_SHARED or "
            "CONDITIONAL resource (pdex makes its key and never exports it).",
            Code.RESOURCE_NOT_FOUND,
            Code.VERIFICATION_NOT_NEEDED,
            Code.VERIFICATION_SET_NOT_FOUND,
            ApiCode.ID_INVALID,
        )
    )
    async def open_verification_set(
        self, info: Info, input: OpenVerificationSetInput
    ) -> VerificationSetPayload:
        return await payload(
            info,
            lambda s, a: sharing.open_verification_set(
                s, a, uuid_of(input.resource_id, "Resource")
            ),
            VerificationSetPayload,
            verification_set=VerificationSet.from_row,
        )

    @strawberry.mutation(
        description=with_codes(
            "The source department (Art. 15): the OPRF step — pdex multiplies each blinded point "
            "by the resource's key; unblind them to get the hashes to upload.",
            Code.BATCH_SIZE_INVALID,
            Code.POINT_INVALID,
            Code.VERIFICATION_SET_NOT_FOUND,
            Code.RESOURCE_NOT_FOUND,
            Code.VERIFICATION_NOT_NEEDED,
            ApiCode.ID_INVALID,
        )
    )
    async def evaluate_verification_points(
        self, info: Info, input: VerificationPointsInput
    ) -> VerificationPointsPayload:
        return await payload(
            info,
            lambda s, a: sharing.evaluate_blinded(
                s, a, uuid_of(input.resource_id, "Resource"), input.blinded
            ),
            VerificationPointsPayload,
            evaluated=list,
        )

    @strawberry.mutation(
        description=with_codes(
            "The source department (Art. 15): upload finished hashes in batches (no plaintext).",
            Code.BATCH_SIZE_INVALID,
            Code.DIGEST_INVALID,
            Code.VERIFICATION_SET_NOT_FOUND,
            Code.RESOURCE_NOT_FOUND,
            Code.VERIFICATION_NOT_NEEDED,
            ApiCode.ID_INVALID,
        )
    )
    async def upload_verification_batch(
        self, info: Info, input: UploadVerificationBatchInput
    ) -> VerificationSetPayload:
        pairs = [(e.digest, e.subject_item) for e in input.entries]
        return await payload(
            info,
            lambda s, a: sharing.upload_verification_batch(
                s, a, uuid_of(input.resource_id, "Resource"), pairs
            ),
            VerificationSetPayload,
            verification_set=VerificationSet.from_row,
        )

    @strawberry.mutation(
        description=with_codes(
            "Agencies (Art. 15 ¶3): does the source department's set hold this value? MATCH, "
            "NO_MATCH or UNKNOWN — never a value; each answer is a ledger fact; a rate limit per "
            "agency stops enumeration (counted against it).",
            Code.SUBJECT_KEY_REQUIRED,
            Code.VALUE_TOO_LONG,
            Code.VERIFICATION_SET_NOT_FOUND,
            Code.ITEM_NOT_IN_RESOURCE,
            Code.VERIFICATION_RATE_EXCEEDED,
            Code.ORGANIZATION_REQUIRED,
            ApiCode.ID_INVALID,
        )
    )
    async def verify_data_claim(
        self, info: Info, input: VerifyDataClaimInput
    ) -> VerifyDataClaimPayload:
        return await payload(
            info,
            lambda s, a: sharing.verify_data_claim(
                s, a, uuid_of(input.resource_id, "Resource"), subject_key=input.subject_key,
                item=input.item, claimed_value=input.claimed_value,
            ),
            VerifyDataClaimPayload, result=VerificationResult.from_row,
        )  # fmt: skip
