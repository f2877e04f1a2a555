"""GraphQL for sharing (Art. 9, 12-20): the input types."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.sharing.enums import (
    DisputeOutcomeEnum,
    GrantStatusEnum,
    ShareDecisionEnum,
    ShareModeEnum,
    ShareRequestStatusEnum,
)


@strawberry.input
class RequestShareInput:
    resource_id: strawberry.ID
    items: list[str] = strawberry.field(description="Data item codes of the resource.")
    purpose: str
    scenario: str = strawberry.field(description="Art. 13: the one business scenario.")
    mode: ShareModeEnum
    until: datetime = strawberry.field(description="Art. 16: when the use ends.")


@strawberry.input
class AnswerShareRequestInput:
    request_id: strawberry.ID
    decision: ShareDecisionEnum
    items: list[str] | None = strawberry.field(
        default=None, description="APPROVE: the items kept (default: all asked). Only narrows."
    )
    law: str = strawberry.field(default="", description="REFUSE: the law refused under.")
    article: str = strawberry.field(default="", description="REFUSE: its article.")
    reason: str = ""


@strawberry.input
class RecordShareDeliveryInput:
    request_id: strawberry.ID
    channel: ShareModeEnum
    delivered_at: datetime | None = strawberry.field(default=None, description="Default: now.")
    reference: str = strawberry.field(
        default="", description="Offline channels: the hand-over reference (required)."
    )


@strawberry.input
class WithdrawShareRequestInput:
    request_id: strawberry.ID


@strawberry.input
class DisputeShareRefusalInput:
    request_id: strawberry.ID
    reason: str


@strawberry.input
class RuleOnShareDisputeInput:
    request_id: strawberry.ID
    outcome: DisputeOutcomeEnum
    ruling: str = strawberry.field(description="The reasons.")


@strawberry.input
class ChangeShareGrantStatusInput:
    grant_id: strawberry.ID
    status: GrantStatusEnum
    reason: str


@strawberry.input
class IssueAccessTicketInput:
    grant_id: strawberry.ID
    items: list[str] = strawberry.field(description="A subset of the grant's item codes.")
    purpose: str = strawberry.field(description="The grant's purpose.")
    consent_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Items holding personal information: the subject's consent to you, "
        "checked by the consent gate where the data is released.",
    )


@strawberry.input
class ReportTicketUseInput:
    ticket_id: strawberry.ID
    rows: int
    content_hash: str = strawberry.field(description="Hex SHA-256 of what was sent.")


@strawberry.input
class ShareRequestFilter:
    status: ShareRequestStatusEnum | None = None
    overdue: bool | None = None
    source_department: strawberry.ID | None = None
    requester: strawberry.ID | None = None


@strawberry.input
class ShareGrantFilter:
    status: GrantStatusEnum | None = None
    grantee: strawberry.ID | None = None
    source_department: strawberry.ID | None = None
