"""GraphQL for sharing (Art. 9, 12-20): the mutations and their payloads."""

from __future__ import annotations

import strawberry

import sharing
from core.db import AsyncSession
from core.identity import Principal
from schema.context import Info
from schema.errors import UserErrorType, perform
from schema.relay import uuid_of
from schema.sharing.inputs import (
    AnswerShareRequestInput,
    ChangeShareGrantStatusInput,
    DisputeShareRefusalInput,
    IssueAccessTicketInput,
    RecordShareDeliveryInput,
    ReportTicketUseInput,
    RequestShareInput,
    RuleOnShareDisputeInput,
    WithdrawShareRequestInput,
)
from schema.sharing.types import AccessTicket, ShareGrant, ShareRequest


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


async def _request_payload(info: Info, use_case: object) -> ShareRequestPayload:
    row, errors = await perform(info, use_case)  # type: ignore[arg-type]
    return ShareRequestPayload(
        share_request=ShareRequest.from_row(row) if row else None, user_errors=errors
    )


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Agencies (Art. 13, 15): ask for a resource's items for one purpose and "
        "scenario. UNCONDITIONAL is granted at once, CONDITIONAL waits for the answer "
        "(5 working days), NOT_SHARED is refused with the entry's legal basis. userErrors "
        "codes: PURPOSE_REQUIRED, SCENARIO_REQUIRED, ITEMS_REQUIRED, TIME_ZONE_REQUIRED, "
        "UNTIL_IN_PAST, RESOURCE_NOT_FOUND, OWN_RESOURCE, ITEM_NOT_IN_RESOURCE, "
        "REQUEST_DUPLICATE, ORGANIZATION_REQUIRED, ID_INVALID."
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

        return await _request_payload(info, use_case)

    @strawberry.mutation(
        description="The source department (Art. 15, 16): APPROVE (optionally fewer items) "
        "or REFUSE citing law and article. userErrors codes: REQUEST_NOT_FOUND, "
        "REQUEST_STATUS_INVALID, LEGAL_BASIS_REQUIRED, ITEMS_REQUIRED, ITEMS_WIDENED, ID_INVALID."
    )
    async def answer_share_request(
        self, info: Info, input: AnswerShareRequestInput
    ) -> ShareRequestPayload:
        return await _request_payload(
            info,
            lambda s, a: sharing.answer_share_request(
                s, a, uuid_of(input.request_id, "ShareRequest"), decision=input.decision,
                items=input.items, law=input.law, article=input.article, reason=input.reason,
            ),
        )  # fmt: skip

    @strawberry.mutation(
        description="The source department (Art. 15): record the delivery, within 5 working "
        "days of approval. userErrors codes: REQUEST_NOT_FOUND, REQUEST_STATUS_INVALID, "
        "REFERENCE_REQUIRED, REFERENCE_TOO_LONG, TIME_ZONE_REQUIRED, DELIVERED_IN_FUTURE, "
        "DELIVERED_BEFORE_APPROVAL, ID_INVALID."
    )
    async def record_share_delivery(
        self, info: Info, input: RecordShareDeliveryInput
    ) -> ShareRequestPayload:
        return await _request_payload(
            info,
            lambda s, a: sharing.record_share_delivery(
                s, a, uuid_of(input.request_id, "ShareRequest"), channel=input.channel,
                delivered_at=input.delivered_at, reference=input.reference,
            ),
        )  # fmt: skip

    @strawberry.mutation(
        description="The requester: withdraw until delivered (its grant ends). userErrors "
        "codes: REQUEST_NOT_FOUND, REQUEST_STATUS_INVALID, ID_INVALID."
    )
    async def withdraw_share_request(
        self, info: Info, input: WithdrawShareRequestInput
    ) -> ShareRequestPayload:
        return await _request_payload(
            info,
            lambda s, a: sharing.withdraw_share_request(
                s, a, uuid_of(input.request_id, "ShareRequest")
            ),
        )

    @strawberry.mutation(
        description="The requester: ask the data authority to rule on a refusal. userErrors "
        "codes: REASON_REQUIRED, REQUEST_NOT_FOUND, REQUEST_STATUS_INVALID, ALREADY_DISPUTED, "
        "ID_INVALID."
    )
    async def dispute_share_refusal(
        self, info: Info, input: DisputeShareRefusalInput
    ) -> ShareRequestPayload:
        return await _request_payload(
            info,
            lambda s, a: sharing.dispute_share_refusal(
                s, a, uuid_of(input.request_id, "ShareRequest"), reason=input.reason
            ),
        )

    @strawberry.mutation(
        description="The data authority: uphold the refusal or overturn it (the request is "
        "approved and granted). userErrors codes: RULING_REQUIRED, REQUEST_NOT_FOUND, "
        "NOT_DISPUTED, ID_INVALID."
    )
    async def rule_on_share_dispute(
        self, info: Info, input: RuleOnShareDisputeInput
    ) -> ShareRequestPayload:
        return await _request_payload(
            info,
            lambda s, a: sharing.rule_on_share_dispute(
                s, a, uuid_of(input.request_id, "ShareRequest"), outcome=input.outcome,
                ruling=input.ruling,
            ),
        )  # fmt: skip

    @strawberry.mutation(
        description="The source department (Art. 16, 17): suspend, reinstate (ACTIVE) or "
        "revoke a grant with a reason. userErrors codes: REASON_REQUIRED, GRANT_NOT_FOUND, "
        "GRANT_STATUS_INVALID, ID_INVALID."
    )
    async def change_share_grant_status(
        self, info: Info, input: ChangeShareGrantStatusInput
    ) -> ShareGrantPayload:
        row, errors = await perform(
            info,
            lambda s, a: sharing.change_grant_status(
                s, a, uuid_of(input.grant_id, "ShareGrant"), status=input.status,
                reason=input.reason,
            ),
        )  # fmt: skip
        return ShareGrantPayload(
            grant=ShareGrant.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(
        description="The grantee (Art. 12, 16, 17, 27): a short-lived signed ticket to "
        "release items of a grant. Checked against the grant and, for personal information, "
        "the subject's consent. A refusal outside the grant is recorded and counted against "
        "you. userErrors codes: PURPOSE_REQUIRED, ITEMS_REQUIRED, GRANT_NOT_FOUND, "
        "GRANT_SUSPENDED, GRANT_REVOKED, GRANT_EXPIRED, ITEMS_OUTSIDE_GRANT, PURPOSE_MISMATCH, "
        "CONSENT_REQUIRED, CONSENT_DENIED, CONSENT_NOT_FOUND, ORGANIZATION_REQUIRED, ID_INVALID."
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

        issued, errors = await perform(info, use_case)
        if issued is None:
            return AccessTicketPayload(user_errors=errors)
        return AccessTicketPayload(
            ticket=AccessTicket.from_row(issued.ticket), token=issued.token, user_errors=[]
        )

    @strawberry.mutation(
        description="The source department's data service (Art. 12, 17): report what it "
        "released against a ticket. userErrors codes: ROWS_INVALID, CONTENT_HASH_INVALID, "
        "TICKET_NOT_FOUND, TICKET_ALREADY_REPORTED, ID_INVALID."
    )
    async def report_ticket_use(
        self, info: Info, input: ReportTicketUseInput
    ) -> AccessTicketPayload:
        row, errors = await perform(
            info,
            lambda s, a: sharing.report_ticket_use(
                s, a, uuid_of(input.ticket_id, "AccessTicket"), rows=input.rows,
                content_hash=input.content_hash,
            ),
        )  # fmt: skip
        return AccessTicketPayload(
            ticket=AccessTicket.from_row(row) if row else None, user_errors=errors
        )
