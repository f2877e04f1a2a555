"""Sharing tables: the demand list (Art. 9), share requests on the statutory calendar and
their grants (Art. 13, 15, 16), access tickets checked where data is released (Art. 12, 17),
verification without disclosure (Art. 15 ¶3), conditional opening (Art. 18), anomaly
feedback and usage reports (Art. 19, 20).

Items are data item ids (`data_item.id`); a request, a grant and a ticket each list exactly
theirs in a child table, so "items ⊆ grant" is a set comparison, never a string match.
Overdue is computed (`due_at < now` and not answered), never written by a job.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.clock import now
from core.sqltypes import UTCDateTime, enum_column


def _at(nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(UTCDateTime(), nullable=nullable)


def _flag() -> sa.Column[bool]:
    return sa.Column(sa.Boolean(), nullable=False, server_default=sa.false())


# --- Art. 9: the demand list -------------------------------------------------------------


class DemandStatus(StrEnum):
    OPEN = "OPEN"
    MET = "MET"  # a grant now covers it
    WITHDRAWN = "WITHDRAWN"


class ShareDemand(SQLModel, table=True):
    """Art. 9: what an agency needs from others, the scenario and the legal duty it serves."""

    __tablename__ = "share_demand"
    __table_args__ = (
        sa.Index("ix_share_demand_requester_created", "requester_id", "created_at", "id"),
        sa.Index("ix_share_demand_status_created", "status", "created_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    requester_id: uuid.UUID = Field(foreign_key="organization.id")
    resource_id: uuid.UUID | None = Field(default=None, foreign_key="resource.id")
    scenario: str = Field(max_length=2000)
    legal_duty: str = Field(max_length=2000)
    status: DemandStatus = Field(sa_column=enum_column(DemandStatus, nullable=False))
    created_at: datetime = Field(default_factory=now, sa_column=_at())
    ledger_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


class ShareDemandItem(SQLModel, table=True):
    """The data items a demand names; their source departments see the demand."""

    __tablename__ = "share_demand_item"
    __table_args__ = (sa.Index("ix_share_demand_item_item", "data_item_id"),)

    demand_id: uuid.UUID = Field(foreign_key="share_demand.id", primary_key=True)
    data_item_id: uuid.UUID = Field(foreign_key="data_item.id", primary_key=True)
    source_department_id: uuid.UUID = Field(foreign_key="organization.id", index=True)


# --- Art. 13, 15: share requests -----------------------------------------------------------


class ShareMode(StrEnum):
    """Art. 10, 15: online by API, table or file; offline by secure line, media or paper."""

    API = "API"
    TABLE = "TABLE"
    FILE = "FILE"
    OFFLINE_LINE = "OFFLINE_LINE"
    OFFLINE_MEDIA = "OFFLINE_MEDIA"
    PAPER = "PAPER"


OFFLINE_MODES = frozenset({ShareMode.OFFLINE_LINE, ShareMode.OFFLINE_MEDIA, ShareMode.PAPER})


class ShareRequestStatus(StrEnum):
    PENDING = "PENDING"  # CONDITIONAL: waiting for the source department's answer
    APPROVED = "APPROVED"  # answered yes; delivery due
    DELIVERED = "DELIVERED"  # approved and delivered (UNCONDITIONAL: at once)
    REFUSED = "REFUSED"  # with a legal basis; may be disputed
    DISPUTED = "DISPUTED"  # the authority is asked to rule on the refusal
    WITHDRAWN = "WITHDRAWN"


# The request lifecycle in one table (from → allowed to).
SHARE_REQUEST_TRANSITIONS: dict[ShareRequestStatus, frozenset[ShareRequestStatus]] = {
    ShareRequestStatus.PENDING: frozenset(
        {ShareRequestStatus.APPROVED, ShareRequestStatus.REFUSED, ShareRequestStatus.WITHDRAWN}
    ),
    ShareRequestStatus.APPROVED: frozenset(
        {ShareRequestStatus.DELIVERED, ShareRequestStatus.WITHDRAWN}
    ),
    ShareRequestStatus.DELIVERED: frozenset(),
    ShareRequestStatus.REFUSED: frozenset(
        {ShareRequestStatus.DISPUTED, ShareRequestStatus.WITHDRAWN}
    ),
    # The authority upholds (back to REFUSED, final) or overturns (APPROVED, delivery due).
    ShareRequestStatus.DISPUTED: frozenset(
        {ShareRequestStatus.REFUSED, ShareRequestStatus.APPROVED}
    ),
    ShareRequestStatus.WITHDRAWN: frozenset(),
}


class ShareRequest(SQLModel, table=True):
    """Art. 13: one request per concrete use, with purpose and business scenario; Art. 15:
    answered within 5 working days of receipt, delivered within 5 of approving."""

    __tablename__ = "share_request"
    __table_args__ = (
        sa.Index("ix_share_request_requester_received", "requester_id", "received_at", "id"),
        sa.Index("ix_share_request_source_received", "source_department_id", "received_at", "id"),
        # The overdue board counts from these alone (index-only on PostgreSQL).
        sa.Index(
            "ix_share_request_status_answer_due",
            "status",
            "answer_due_at",
            "source_department_id",
        ),
        sa.Index(
            "ix_share_request_status_delivery_due",
            "status",
            "delivery_due_at",
            "source_department_id",
        ),
        sa.Index("ix_share_request_received", "received_at", "id"),
        sa.Index("ix_share_request_resource_scenario", "resource_id", "requester_id", "status"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    requester_id: uuid.UUID = Field(foreign_key="organization.id")
    resource_id: uuid.UUID = Field(foreign_key="resource.id")
    source_department_id: uuid.UUID = Field(foreign_key="organization.id")  # the resource owner
    purpose: str = Field(max_length=200)
    scenario: str = Field(max_length=2000)
    scenario_key: str = Field(max_length=64)  # SHA-256 of the normalised scenario: one per use
    mode: ShareMode = Field(sa_column=enum_column(ShareMode, nullable=False))
    until: datetime = Field(sa_column=_at())
    share_type: str = Field(max_length=32)  # the entry's share type when asked
    status: ShareRequestStatus = Field(sa_column=enum_column(ShareRequestStatus, nullable=False))
    received_at: datetime = Field(default_factory=now, sa_column=_at())
    # Art. 15: the answer is due 5 working days after receipt (CONDITIONAL only)
    answer_due_at: datetime | None = Field(default=None, sa_column=_at(True))
    answer_due_provisional: bool = Field(default=False, sa_column=_flag())
    answered_at: datetime | None = Field(default=None, sa_column=_at(True))
    refusal_law: str = Field(default="", max_length=200)
    refusal_article: str = Field(default="", max_length=100)
    refusal_reason: str = Field(default="", max_length=2000)
    # Art. 15: delivery is due 5 working days after approval
    delivery_due_at: datetime | None = Field(default=None, sa_column=_at(True))
    delivery_due_provisional: bool = Field(default=False, sa_column=_flag())
    delivered_at: datetime | None = Field(default=None, sa_column=_at(True))
    delivery_channel: ShareMode | None = Field(
        default=None, sa_column=enum_column(ShareMode, nullable=True)
    )
    delivery_reference: str = Field(default="", max_length=200)  # offline: the hand-over ref
    grant_id: uuid.UUID | None = Field(default=None)  # set when approved (no FK: cycle)
    withdrawn_at: datetime | None = Field(default=None, sa_column=_at(True))
    ledger_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


class ShareLateness(SQLModel, table=True):
    """Art. 15: how many answers and deliveries a source department made after their due date,
    counted as each late one is made (the board reads 50 rows, not every request ever made).
    Only the department's own acts count: an authority overturning a refusal is not late."""

    __tablename__ = "share_lateness"

    source_department_id: uuid.UUID = Field(foreign_key="organization.id", primary_key=True)
    late_answers: int = Field(default=0)
    late_deliveries: int = Field(default=0)


class ShareRequestItem(SQLModel, table=True):
    """An item asked for; `approved` says whether the answer kept it (narrowing)."""

    __tablename__ = "share_request_item"

    request_id: uuid.UUID = Field(foreign_key="share_request.id", primary_key=True)
    data_item_id: uuid.UUID = Field(foreign_key="data_item.id", primary_key=True)
    approved: bool | None = None  # None until answered


class DisputeOutcome(StrEnum):
    UPHELD = "UPHELD"  # the refusal stands
    OVERTURNED = "OVERTURNED"  # the request is approved


class ShareDispute(SQLModel, table=True):
    """A refused requester asks the data authority to rule (Art. 15, 5)."""

    __tablename__ = "share_dispute"
    __table_args__ = (sa.Index("ix_share_dispute_open_filed", "outcome", "filed_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    request_id: uuid.UUID = Field(foreign_key="share_request.id", unique=True)
    reason: str = Field(max_length=4000)
    filed_at: datetime = Field(default_factory=now, sa_column=_at())
    outcome: DisputeOutcome | None = Field(
        default=None, sa_column=enum_column(DisputeOutcome, nullable=True)
    )
    ruling: str = Field(default="", max_length=4000)
    ruled_at: datetime | None = Field(default=None, sa_column=_at(True))
    ruled_by_id: uuid.UUID | None = Field(default=None, foreign_key="organization.id")


# --- Art. 16, 17: grants, tickets, violations ---------------------------------------------


class GrantStatus(StrEnum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    REVOKED = "REVOKED"


GRANT_TRANSITIONS: dict[GrantStatus, frozenset[GrantStatus]] = {
    GrantStatus.ACTIVE: frozenset({GrantStatus.SUSPENDED, GrantStatus.REVOKED}),
    GrantStatus.SUSPENDED: frozenset({GrantStatus.ACTIVE, GrantStatus.REVOKED}),
    GrantStatus.REVOKED: frozenset(),
}


class ShareGrant(SQLModel, table=True):
    """Art. 16: least privilege — grantee, resource, exactly the approved items, scenario,
    mode and end date. Expiry is computed from `valid_until`, not stored."""

    __tablename__ = "share_grant"
    __table_args__ = (
        sa.Index("ix_share_grant_grantee_created", "grantee_id", "created_at", "id"),
        sa.Index("ix_share_grant_source_created", "source_department_id", "created_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    request_id: uuid.UUID = Field(foreign_key="share_request.id", unique=True)
    grantee_id: uuid.UUID = Field(foreign_key="organization.id")
    resource_id: uuid.UUID = Field(foreign_key="resource.id")
    source_department_id: uuid.UUID = Field(foreign_key="organization.id")
    purpose: str = Field(max_length=200)
    scenario: str = Field(max_length=2000)
    mode: ShareMode = Field(sa_column=enum_column(ShareMode, nullable=False))
    valid_until: datetime = Field(sa_column=_at())
    status: GrantStatus = Field(sa_column=enum_column(GrantStatus, nullable=False))
    status_reason: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=now, sa_column=_at())
    ledger_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


class ShareGrantItem(SQLModel, table=True):
    __tablename__ = "share_grant_item"

    grant_id: uuid.UUID = Field(foreign_key="share_grant.id", primary_key=True)
    data_item_id: uuid.UUID = Field(foreign_key="data_item.id", primary_key=True)


class AccessTicket(SQLModel, table=True):
    """Art. 12, 17: one release of data against a grant, as a signed JWS (EdDSA). `id` is the
    ticket's `jti`; the source department's data service reports the use back."""

    __tablename__ = "access_ticket"
    __table_args__ = (
        sa.Index("ix_access_ticket_grant_issued", "grant_id", "issued_at", "id"),
        sa.Index("ix_access_ticket_grantee_issued", "grantee_id", "issued_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    grant_id: uuid.UUID = Field(foreign_key="share_grant.id")
    grantee_id: uuid.UUID = Field(foreign_key="organization.id")
    source_department_id: uuid.UUID = Field(foreign_key="organization.id")
    items: str = Field(max_length=4000)  # sorted data item codes, comma-separated (claims)
    purpose: str = Field(max_length=200)
    subject: str | None = Field(default=None, max_length=120)  # whose personal data, if any
    issued_at: datetime = Field(default_factory=now, sa_column=_at())
    expires_at: datetime = Field(sa_column=_at())
    key_id: str = Field(max_length=64)
    ledger_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=_at(True))
    rows_released: int | None = None
    content_hash: str | None = Field(default=None, max_length=64)  # hex SHA-256 of what was sent
    use_seq: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger))


class ViolationKind(StrEnum):
    """Why a use fell outside a grant (Art. 17): candidates for agency supervision (Art. 35)."""

    NO_GRANT = "NO_GRANT"  # not the grantee, or no such grant
    ITEMS_OUTSIDE_GRANT = "ITEMS_OUTSIDE_GRANT"
    PURPOSE_MISMATCH = "PURPOSE_MISMATCH"
    GRANT_EXPIRED = "GRANT_EXPIRED"
    GRANT_SUSPENDED = "GRANT_SUSPENDED"
    GRANT_REVOKED = "GRANT_REVOKED"
    CONSENT_DENIED = "CONSENT_DENIED"
    VERIFICATION_RATE_EXCEEDED = "VERIFICATION_RATE_EXCEEDED"


class ShareViolationCandidate(SQLModel, table=True):
    """Art. 17, 35: a request outside a grant, counted against the grantee. Supervision reads
    this table (and the `sharing.violation.counted` ledger facts) per grantee and period."""

    __tablename__ = "share_violation_candidate"
    __table_args__ = (sa.Index("ix_share_violation_grantee_at", "grantee_id", "at", "id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    grantee_id: uuid.UUID = Field(foreign_key="organization.id")
    grant_id: uuid.UUID | None = Field(default=None, foreign_key="share_grant.id")
    resource_id: uuid.UUID | None = Field(default=None, foreign_key="resource.id")
    kind: ViolationKind = Field(sa_column=enum_column(ViolationKind, nullable=False))
    detail: str = Field(default="", max_length=2000)
    at: datetime = Field(default_factory=now, sa_column=_at())
    ledger_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


# --- Art. 15 ¶3: verification without disclosure ------------------------------------------


class VerificationSet(SQLModel, table=True):
    """A resource's verification set: the per-resource key pdex generates and never exports
    (no API field returns it), and how many keyed hashes the source department uploaded."""

    __tablename__ = "verification_set"

    resource_id: uuid.UUID = Field(foreign_key="resource.id", primary_key=True)
    key: bytes = Field(sa_column=sa.Column(sa.LargeBinary(32), nullable=False))
    entries: int = 0
    batches: int = 0
    created_at: datetime = Field(default_factory=now, sa_column=_at())
    updated_at: datetime = Field(default_factory=now, sa_column=_at())


class VerificationEntry(SQLModel, table=True):
    """One keyed hash of (subject key, item, value). No plaintext ever reaches pdex."""

    __tablename__ = "verification_entry"

    resource_id: uuid.UUID = Field(foreign_key="verification_set.resource_id", primary_key=True)
    digest: str = Field(max_length=64, primary_key=True)  # hex
    # keyed hash of (subject key, item) alone: tells NO_MATCH (known) from UNKNOWN
    subject_item: str = Field(max_length=64, index=True)


class VerificationAnswer(StrEnum):
    MATCH = "MATCH"
    NO_MATCH = "NO_MATCH"
    UNKNOWN = "UNKNOWN"


class VerificationQuery(SQLModel, table=True):
    """One `verifyDataClaim` answer (never a value); counted for the per-asker rate limit."""

    __tablename__ = "verification_query"
    __table_args__ = (sa.Index("ix_verification_query_asker_at", "asker_id", "at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    resource_id: uuid.UUID = Field(foreign_key="resource.id")
    asker_id: uuid.UUID = Field(foreign_key="organization.id")
    item: str = Field(max_length=64)
    answer: VerificationAnswer = Field(sa_column=enum_column(VerificationAnswer, nullable=False))
    at: datetime = Field(default_factory=now, sa_column=_at())
    ledger_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


# --- Art. 18: conditional opening -----------------------------------------------------------


class OpenApplicationStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"  # waiting for both sides to accept the usage agreement
    AGREED = "AGREED"  # both accepted: the applicant may use the data
    REFUSED = "REFUSED"
    WITHDRAWN = "WITHDRAWN"


OPEN_APPLICATION_TRANSITIONS: dict[OpenApplicationStatus, frozenset[OpenApplicationStatus]] = {
    OpenApplicationStatus.PENDING: frozenset(
        {
            OpenApplicationStatus.APPROVED,
            OpenApplicationStatus.REFUSED,
            OpenApplicationStatus.WITHDRAWN,
        }
    ),
    OpenApplicationStatus.APPROVED: frozenset(
        {OpenApplicationStatus.AGREED, OpenApplicationStatus.WITHDRAWN}
    ),
    OpenApplicationStatus.AGREED: frozenset(),
    OpenApplicationStatus.REFUSED: frozenset(),
    OpenApplicationStatus.WITHDRAWN: frozenset(),
}


class OpenApplication(SQLModel, table=True):
    """Art. 18: an application for a CONDITIONAL_OPEN resource, answered on the working-day
    clock; an approval carries the usage agreement both sides accept (its hash on the ledger)."""

    __tablename__ = "open_application"
    __table_args__ = (
        sa.Index("ix_open_application_owner_received", "owner_id", "received_at", "id"),
        sa.Index("ix_open_application_applicant_received", "applicant", "received_at", "id"),
        sa.Index("ix_open_application_status_due", "status", "due_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    resource_id: uuid.UUID = Field(foreign_key="resource.id")
    owner_id: uuid.UUID = Field(foreign_key="organization.id")
    applicant: str = Field(max_length=120)  # the token's subject (a person may apply)
    applicant_org_id: uuid.UUID | None = Field(default=None, foreign_key="organization.id")
    purpose: str = Field(max_length=200)
    scenario: str = Field(max_length=2000)
    security_measures: str = Field(max_length=4000)
    status: OpenApplicationStatus = Field(
        sa_column=enum_column(OpenApplicationStatus, nullable=False)
    )
    received_at: datetime = Field(default_factory=now, sa_column=_at())
    due_at: datetime = Field(sa_column=_at())
    due_provisional: bool = Field(default=False, sa_column=_flag())
    answered_at: datetime | None = Field(default=None, sa_column=_at(True))
    reason: str = Field(default="", max_length=2000)
    terms: str = Field(default="", max_length=20000)
    terms_hash: str = Field(default="", max_length=64)
    owner_accepted_at: datetime | None = Field(default=None, sa_column=_at(True))
    applicant_accepted_at: datetime | None = Field(default=None, sa_column=_at(True))
    ledger_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


# --- Art. 19, 20: feedback and usage ---------------------------------------------------------


class AnomalyStatus(StrEnum):
    RECEIVED = "RECEIVED"
    CORRECTED = "CORRECTED"
    NOT_AN_ERROR = "NOT_AN_ERROR"


class DataAnomaly(SQLModel, table=True):
    """Art. 19: a doubt or anomaly about a resource, answered by its owner in 5 working days."""

    __tablename__ = "data_anomaly"
    __table_args__ = (
        sa.Index("ix_data_anomaly_owner_received", "owner_id", "received_at", "id"),
        sa.Index("ix_data_anomaly_status_due", "status", "due_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    resource_id: uuid.UUID = Field(foreign_key="resource.id")
    owner_id: uuid.UUID = Field(foreign_key="organization.id")
    reporter: str = Field(max_length=120)
    reporter_org_id: uuid.UUID | None = Field(default=None, foreign_key="organization.id")
    text: str = Field(max_length=4000)
    status: AnomalyStatus = Field(sa_column=enum_column(AnomalyStatus, nullable=False))
    received_at: datetime = Field(default_factory=now, sa_column=_at())
    due_at: datetime = Field(sa_column=_at())
    due_provisional: bool = Field(default=False, sa_column=_flag())
    answered_at: datetime | None = Field(default=None, sa_column=_at(True))
    answer: str = Field(default="", max_length=4000)
    corrected_version: int | None = None
    ledger_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


class UsageReport(SQLModel, table=True):
    """Art. 20: a grantee's usage-and-effect report, one per grant and quarter."""

    __tablename__ = "usage_report"
    __table_args__ = (sa.UniqueConstraint("grant_id", "quarter", name="uq_usage_report_quarter"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    grant_id: uuid.UUID = Field(foreign_key="share_grant.id")
    grantee_id: uuid.UUID = Field(foreign_key="organization.id", index=True)
    quarter: str = Field(max_length=7)  # "2026Q1"
    quarter_start: date
    uses: int
    effect: str = Field(max_length=4000)
    submitted_at: datetime = Field(default_factory=now, sa_column=_at())
    ledger_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
