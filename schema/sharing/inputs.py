"""GraphQL for sharing (Art. 9, 12-20): the input types."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.sharing.enums import (
    AnomalyStatusEnum,
    DemandStatusEnum,
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


@strawberry.input
class DeclareDataDemandInput:
    scenario: str
    legal_duty: str = strawberry.field(description="The legal duty the data serves.")
    items: list[str] = strawberry.field(default_factory=list, description="Data item codes.")
    resource_id: strawberry.ID | None = strawberry.field(
        default=None, description="A whole resource (its items, unless items are named)."
    )


@strawberry.input
class DataDemandFilter:
    status: DemandStatusEnum | None = None
    mine: bool | None = strawberry.field(
        default=None,
        description="Agencies: true → declared by you; false → naming items you are the "
        "source department of.",
    )


@strawberry.input
class ReportDataAnomalyInput:
    resource_id: strawberry.ID
    text: str


@strawberry.input
class AnswerDataAnomalyInput:
    anomaly_id: strawberry.ID
    outcome: AnomalyStatusEnum = strawberry.field(description="CORRECTED or NOT_AN_ERROR.")
    answer: str
    corrected_version: int | None = strawberry.field(
        default=None, description="CORRECTED: the resource version that fixes it."
    )


@strawberry.input
class SubmitUsageReportInput:
    grant_id: strawberry.ID
    quarter: str = strawberry.field(description='e.g. "2026Q1".')
    uses: int
    effect: str = strawberry.field(description="How the data was used and what it achieved.")


@strawberry.input
class ApplyForOpenDataInput:
    resource_id: strawberry.ID
    purpose: str
    scenario: str
    security_measures: str


@strawberry.input
class AnswerOpenApplicationInput:
    application_id: strawberry.ID
    approve: bool
    terms: str = strawberry.field(default="", description="APPROVE: the usage agreement.")
    reason: str = strawberry.field(default="", description="Refusal: the reason.")


@strawberry.input
class AcceptUsageAgreementInput:
    application_id: strawberry.ID
    terms_hash: str = strawberry.field(description="Hex SHA-256 of the terms you accept.")


@strawberry.input
class VerificationPointsInput:
    resource_id: strawberry.ID
    blinded: list[str] = strawberry.field(
        description="Blinded points (hex, 32 bytes each) of H(subject key, item, value)."
    )


@strawberry.input
class VerificationEntryInput:
    digest: str = strawberry.field(
        description="Hex of the finished hash of (subject, item, value)."
    )
    subject_item: str = strawberry.field(description="Hex of the finished hash of (subject, item).")


@strawberry.input
class UploadVerificationBatchInput:
    resource_id: strawberry.ID
    entries: list[VerificationEntryInput]


@strawberry.input
class VerifyDataClaimInput:
    resource_id: strawberry.ID
    subject_key: str = strawberry.field(description="E.g. the firm's USCC.")
    item: str = strawberry.field(description="A data item code of the resource.")
    claimed_value: str


@strawberry.input
class OpenVerificationSetInput:
    resource_id: strawberry.ID
