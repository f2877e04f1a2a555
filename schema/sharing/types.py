"""GraphQL for sharing (Art. 9, 12-20): the object types."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

import sharing
from core.clock import now
from schema.calendar import PROVISIONAL
from schema.context import Info
from schema.dataloaders import load_then
from schema.organizations import Organization, from_row
from schema.registry import DataItem, Resource, resource_of
from schema.relay import Node, to_global_id
from schema.sharing.enums import (
    AnomalyStatusEnum,
    DemandStatusEnum,
    DisputeOutcomeEnum,
    GrantStatusEnum,
    OpenApplicationStatusEnum,
    ShareModeEnum,
    ShareRequestStatusEnum,
    VerificationAnswerEnum,
    ViolationKindEnum,
)


def _org(info: Info, org_id: uuid.UUID | None) -> Organization | None:
    if org_id is None:
        return None
    return load_then(info.context.loaders.organization, org_id, from_row)  # type: ignore[return-value]


def _items(rows: list[object]) -> list[DataItem]:
    return [DataItem.from_row(r) for r in rows]  # type: ignore[arg-type]


@strawberry.type(description="The data authority's ruling on a disputed refusal.")
class ShareDispute:
    reason: str
    filed_at: datetime
    outcome: DisputeOutcomeEnum | None
    ruling: str
    ruled_at: datetime | None

    @classmethod
    def from_row(cls, row: sharing.ShareDispute) -> ShareDispute:
        return cls(
            reason=row.reason, filed_at=row.filed_at, outcome=row.outcome, ruling=row.ruling,
            ruled_at=row.ruled_at,
        )  # fmt: skip


@strawberry.type(
    description="A share request (Art. 13, 15): one concrete use, answered within 5 working "
    "days of receipt and delivered within 5 working days of approval."
)
class ShareRequest(Node):
    purpose: str
    scenario: str
    mode: ShareModeEnum
    until: datetime
    share_type: str = strawberry.field(description="The entry's share type when asked.")
    status: ShareRequestStatusEnum
    received_at: datetime
    answer_due_at: datetime | None = strawberry.field(
        description="Art. 15: 5 working days after receipt (CONDITIONAL only)."
    )
    answer_due_provisional: bool = strawberry.field(description=PROVISIONAL)
    answered_at: datetime | None
    answered_late: bool
    refusal_law: str
    refusal_article: str
    refusal_reason: str
    delivery_due_at: datetime | None = strawberry.field(
        description="Art. 15: 5 working days after approval."
    )
    delivery_due_provisional: bool = strawberry.field(description=PROVISIONAL)
    delivered_at: datetime | None
    delivered_late: bool
    delivery_channel: ShareModeEnum | None
    delivery_reference: str
    overdue: bool = strawberry.field(description="An answer or delivery past due, not made.")
    ledger_seq: int
    row: strawberry.Private[sharing.ShareRequest]

    @strawberry.field
    def requester(self, info: Info) -> Organization | None:
        return _org(info, self.row.requester_id)

    @strawberry.field
    def source_department(self, info: Info) -> Organization | None:
        return _org(info, self.row.source_department_id)

    @strawberry.field
    def resource(self, info: Info) -> Resource | None:
        return resource_of(info, self.row.resource_id)  # type: ignore[return-value]

    @strawberry.field(description="The data items asked for.")
    def items(self, info: Info) -> list[DataItem]:
        return load_then(info.context.loaders.share_request_items, self.row.id, _items)  # type: ignore[return-value]

    @strawberry.field
    def grant(self, info: Info) -> ShareGrant | None:
        if self.row.grant_id is None:
            return None
        return load_then(info.context.loaders.share_grant, self.row.grant_id, _grant_or_none)  # type: ignore[return-value]

    @strawberry.field
    def dispute(self, info: Info) -> ShareDispute | None:
        return load_then(
            info.context.loaders.share_dispute,
            self.row.id,
            lambda d: ShareDispute.from_row(d) if d else None,
        )  # type: ignore[return-value]

    @classmethod
    def from_row(cls, row: sharing.ShareRequest) -> ShareRequest:
        return cls(
            id=to_global_id("ShareRequest", row.id), purpose=row.purpose, scenario=row.scenario,
            mode=row.mode, until=row.until, share_type=row.share_type, status=row.status,
            received_at=row.received_at, answer_due_at=row.answer_due_at,
            answer_due_provisional=row.answer_due_provisional, answered_at=row.answered_at,
            answered_late=sharing.answered_late(row), refusal_law=row.refusal_law,
            refusal_article=row.refusal_article, refusal_reason=row.refusal_reason,
            delivery_due_at=row.delivery_due_at,
            delivery_due_provisional=row.delivery_due_provisional,
            delivered_at=row.delivered_at, delivered_late=sharing.delivered_late(row),
            delivery_channel=row.delivery_channel, delivery_reference=row.delivery_reference,
            overdue=sharing.is_overdue(row, now()), ledger_seq=row.ledger_seq, row=row,
        )  # fmt: skip


@strawberry.type(
    description="A grant (Art. 16): exactly the items approved, one scenario, a mode and an "
    "end date. Data is released only against an access ticket issued on it."
)
class ShareGrant(Node):
    purpose: str
    scenario: str
    mode: ShareModeEnum
    valid_until: datetime
    status: GrantStatusEnum
    status_reason: str
    expired: bool
    created_at: datetime
    ledger_seq: int
    row: strawberry.Private[sharing.ShareGrant]

    @strawberry.field
    def grantee(self, info: Info) -> Organization | None:
        return _org(info, self.row.grantee_id)

    @strawberry.field
    def source_department(self, info: Info) -> Organization | None:
        return _org(info, self.row.source_department_id)

    @strawberry.field
    def resource(self, info: Info) -> Resource | None:
        return resource_of(info, self.row.resource_id)  # type: ignore[return-value]

    @strawberry.field(description="Exactly the items granted.")
    def items(self, info: Info) -> list[DataItem]:
        return load_then(info.context.loaders.share_grant_items, self.row.id, _items)  # type: ignore[return-value]

    @classmethod
    def from_row(cls, row: sharing.ShareGrant) -> ShareGrant:
        return cls(
            id=to_global_id("ShareGrant", row.id), purpose=row.purpose, scenario=row.scenario,
            mode=row.mode, valid_until=row.valid_until, status=row.status,
            status_reason=row.status_reason, expired=sharing.is_expired(row),
            created_at=row.created_at, ledger_seq=row.ledger_seq, row=row,
        )  # fmt: skip


def _grant_or_none(row: sharing.ShareGrant | None) -> ShareGrant | None:
    return ShareGrant.from_row(row) if row else None


@strawberry.type(description="One release against a grant (Art. 12, 17), and its reported use.")
class AccessTicket(Node):
    items: list[str] = strawberry.field(description="Data item codes the ticket covers.")
    purpose: str
    issued_at: datetime
    expires_at: datetime
    key_id: str = strawberry.field(description="`kid` of the key in /.well-known/jwks.json.")
    ledger_seq: int
    used_at: datetime | None
    rows_released: int | None
    content_hash: str | None
    row: strawberry.Private[sharing.AccessTicket]

    @strawberry.field
    def grant(self, info: Info) -> ShareGrant | None:
        return load_then(info.context.loaders.share_grant, self.row.grant_id, _grant_or_none)  # type: ignore[return-value]

    @strawberry.field
    def grantee(self, info: Info) -> Organization | None:
        return _org(info, self.row.grantee_id)

    @classmethod
    def from_row(cls, row: sharing.AccessTicket) -> AccessTicket:
        return cls(
            id=to_global_id("AccessTicket", row.id), items=row.items.split(","),
            purpose=row.purpose, issued_at=row.issued_at, expires_at=row.expires_at,
            key_id=row.key_id, ledger_seq=row.ledger_seq, used_at=row.used_at,
            rows_released=row.rows_released, content_hash=row.content_hash, row=row,
        )  # fmt: skip


@strawberry.type(description="A use asked for outside a grant (Art. 17), counted against it.")
class ShareViolationCandidate(Node):
    kind: ViolationKindEnum
    detail: str
    at: datetime
    ledger_seq: int
    row: strawberry.Private[sharing.ShareViolationCandidate]

    @strawberry.field
    def grantee(self, info: Info) -> Organization | None:
        return _org(info, self.row.grantee_id)

    @strawberry.field
    def grant_id(self) -> strawberry.ID | None:
        return to_global_id("ShareGrant", self.row.grant_id) if self.row.grant_id else None

    @classmethod
    def from_row(cls, row: sharing.ShareViolationCandidate) -> ShareViolationCandidate:
        return cls(
            id=to_global_id("ShareViolationCandidate", row.id), kind=row.kind, detail=row.detail,
            at=row.at, ledger_seq=row.ledger_seq, row=row,
        )  # fmt: skip


@strawberry.type(description="Art. 15: one source department's overdue and late answers.")
class ShareOverdueCount:
    overdue_answers: int = strawberry.field(description="PENDING past the answer due date.")
    overdue_deliveries: int = strawberry.field(description="APPROVED past the delivery date.")
    late_answers: int = strawberry.field(
        description="Answered after the due date, by the department itself (an authority's "
        "ruling that overturns a refusal is not the department's lateness)."
    )
    late_deliveries: int = strawberry.field(description="Delivered after the due date.")
    row: strawberry.Private[sharing.OverdueCount]

    @strawberry.field
    def source_department(self, info: Info) -> Organization | None:
        return _org(info, self.row.source_department_id)

    @classmethod
    def from_row(cls, row: sharing.OverdueCount) -> ShareOverdueCount:
        return cls(
            overdue_answers=row.overdue_answers, overdue_deliveries=row.overdue_deliveries,
            late_answers=row.late_answers, late_deliveries=row.late_deliveries, row=row,
        )  # fmt: skip


@strawberry.type(description="Art. 9: what an agency needs from others, and why.")
class DataDemand(Node):
    scenario: str
    legal_duty: str
    status: DemandStatusEnum
    created_at: datetime
    ledger_seq: int
    row: strawberry.Private[sharing.ShareDemand]

    @strawberry.field
    def requester(self, info: Info) -> Organization | None:
        return _org(info, self.row.requester_id)

    @strawberry.field
    def resource(self, info: Info) -> Resource | None:
        return resource_of(info, self.row.resource_id)  # type: ignore[return-value]

    @strawberry.field
    def items(self, info: Info) -> list[DataItem]:
        return load_then(info.context.loaders.data_demand_items, self.row.id, _items)  # type: ignore[return-value]

    @classmethod
    def from_row(cls, row: sharing.ShareDemand) -> DataDemand:
        return cls(
            id=to_global_id("DataDemand", row.id), scenario=row.scenario,
            legal_duty=row.legal_duty, status=row.status, created_at=row.created_at,
            ledger_seq=row.ledger_seq, row=row,
        )  # fmt: skip


@strawberry.type(description="Art. 19: a doubt or anomaly reported about a resource.")
class DataAnomaly(Node):
    text: str
    status: AnomalyStatusEnum
    received_at: datetime
    due_at: datetime = strawberry.field(description="5 working days after receipt.")
    due_provisional: bool = strawberry.field(description=PROVISIONAL)
    overdue: bool
    answered_at: datetime | None
    answer: str
    corrected_version: int | None
    ledger_seq: int
    row: strawberry.Private[sharing.DataAnomaly]

    @strawberry.field
    def resource(self, info: Info) -> Resource | None:
        return resource_of(info, self.row.resource_id)  # type: ignore[return-value]

    @strawberry.field
    def owner(self, info: Info) -> Organization | None:
        return _org(info, self.row.owner_id)

    @classmethod
    def from_row(cls, row: sharing.DataAnomaly) -> DataAnomaly:
        return cls(
            id=to_global_id("DataAnomaly", row.id), text=row.text, status=row.status,
            received_at=row.received_at, due_at=row.due_at, due_provisional=row.due_provisional,
            overdue=sharing.anomaly_overdue(row, now()), answered_at=row.answered_at,
            answer=row.answer, corrected_version=row.corrected_version,
            ledger_seq=row.ledger_seq, row=row,
        )  # fmt: skip


@strawberry.type(description="Art. 20: a grantee's usage-and-effect report for one quarter.")
class UsageReport:
    quarter: str
    uses: int
    effect: str
    submitted_at: datetime
    ledger_seq: int
    row: strawberry.Private[sharing.UsageReport]

    @strawberry.field
    def grant(self, info: Info) -> ShareGrant | None:
        return load_then(info.context.loaders.share_grant, self.row.grant_id, _grant_or_none)  # type: ignore[return-value]

    @classmethod
    def from_row(cls, row: sharing.UsageReport) -> UsageReport:
        return cls(
            quarter=row.quarter, uses=row.uses, effect=row.effect,
            submitted_at=row.submitted_at, ledger_seq=row.ledger_seq, row=row,
        )  # fmt: skip


@strawberry.type(description="Art. 18: an application to use a CONDITIONAL_OPEN resource.")
class OpenApplication(Node):
    purpose: str
    scenario: str
    security_measures: str
    status: OpenApplicationStatusEnum
    received_at: datetime
    due_at: datetime = strawberry.field(description="5 working days after receipt.")
    due_provisional: bool = strawberry.field(description=PROVISIONAL)
    overdue: bool
    answered_at: datetime | None
    reason: str
    terms: str = strawberry.field(description="The usage agreement (once approved).")
    terms_hash: str = strawberry.field(description="Hex SHA-256 of the terms: accept with it.")
    owner_accepted_at: datetime | None
    applicant_accepted_at: datetime | None
    ledger_seq: int
    row: strawberry.Private[sharing.OpenApplication]

    @strawberry.field
    def resource(self, info: Info) -> Resource | None:
        return resource_of(info, self.row.resource_id)  # type: ignore[return-value]

    @strawberry.field
    def owner(self, info: Info) -> Organization | None:
        return _org(info, self.row.owner_id)

    @classmethod
    def from_row(cls, row: sharing.OpenApplication) -> OpenApplication:
        return cls(
            id=to_global_id("OpenApplication", row.id), purpose=row.purpose,
            scenario=row.scenario, security_measures=row.security_measures, status=row.status,
            received_at=row.received_at, due_at=row.due_at, due_provisional=row.due_provisional,
            overdue=sharing.application_overdue(row, now()), answered_at=row.answered_at,
            reason=row.reason, terms=row.terms, terms_hash=row.terms_hash,
            owner_accepted_at=row.owner_accepted_at,
            applicant_accepted_at=row.applicant_accepted_at, ledger_seq=row.ledger_seq, row=row,
        )  # fmt: skip


@strawberry.type(
    description="A resource's verification set (Art. 15 ¶3): how many keyed hashes it holds. "
    "The key never leaves pdex and is never shown."
)
class VerificationSet:
    entries: int
    batches: int
    updated_at: datetime

    @classmethod
    def from_row(cls, row: sharing.VerificationSet) -> VerificationSet:
        return cls(entries=row.entries, batches=row.batches, updated_at=row.updated_at)


@strawberry.type(description="One verification answer (Art. 15 ¶3): never a value.")
class VerificationResult:
    answer: VerificationAnswerEnum
    item: str
    at: datetime
    ledger_seq: int

    @classmethod
    def from_row(cls, row: sharing.VerificationQuery) -> VerificationResult:
        return cls(answer=row.answer, item=row.item, at=row.at, ledger_seq=row.ledger_seq)
