"""Broker tables (Art. 24, 26): licences and their decisions, listings, deals, recorded fusion
flows, refused activity, evaluations and risk alerts. The published indicators and grades
(`Scoring`, `SupervisionIndicator`, `SupervisionGrade`) are the one engine's, in `authority`;
they are named here too for the broker's readers.

Statuses that time decides (a licence past `valid_until` is EXPIRED) are computed by
`broker.licences.effective_status`, never written by a job.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from authority import Scoring, SupervisionGrade, SupervisionIndicator  # noqa: F401 (re-exported)
from core.clock import now
from core.sqltypes import Money, UTCDateTime, enum_column


class BrokerType(StrEnum):
    """The Guangzhou Haizhu pilot's three broker types."""

    TECHNOLOGY_ENABLEMENT = "TECHNOLOGY_ENABLEMENT"  # 技术赋能型
    DATA_ENABLEMENT = "DATA_ENABLEMENT"  # 数据赋能型
    ENTRUSTED_RIGHTS = "ENTRUSTED_RIGHTS"  # 受托行权型


class LicenceStatus(StrEnum):
    APPLIED = "APPLIED"
    LICENSED = "LICENSED"
    REJECTED = "REJECTED"
    SUSPENDED = "SUSPENDED"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"  # computed: a LICENSED or SUSPENDED licence past `valid_until`


class LicenceDecisionKind(StrEnum):
    APPROVE = "APPROVE"
    REJECT = "REJECT"
    SUSPEND = "SUSPEND"
    REINSTATE = "REINSTATE"
    REVOKE = "REVOKE"


# What each decision turns a licence into.
DECISION_TARGET: dict[LicenceDecisionKind, LicenceStatus] = {
    LicenceDecisionKind.APPROVE: LicenceStatus.LICENSED,
    LicenceDecisionKind.REJECT: LicenceStatus.REJECTED,
    LicenceDecisionKind.SUSPEND: LicenceStatus.SUSPENDED,
    LicenceDecisionKind.REINSTATE: LicenceStatus.LICENSED,
    LicenceDecisionKind.REVOKE: LicenceStatus.REVOKED,
}

# The licence lifecycle, in one place: from → the statuses it may move to. REINSTATE is the
# only way from SUSPENDED back to LICENSED and APPROVE the only way from APPLIED (see
# `broker.licences.decide_broker_licence`). EXPIRED is computed, so never a target; an expired
# licence may still be revoked.
LICENCE_TRANSITIONS: dict[LicenceStatus, frozenset[LicenceStatus]] = {
    LicenceStatus.APPLIED: frozenset(
        {LicenceStatus.LICENSED, LicenceStatus.REJECTED, LicenceStatus.REVOKED}
    ),
    LicenceStatus.LICENSED: frozenset({LicenceStatus.SUSPENDED, LicenceStatus.REVOKED}),
    LicenceStatus.SUSPENDED: frozenset({LicenceStatus.LICENSED, LicenceStatus.REVOKED}),
    LicenceStatus.EXPIRED: frozenset({LicenceStatus.REVOKED}),
    LicenceStatus.REJECTED: frozenset({LicenceStatus.REVOKED}),
    LicenceStatus.REVOKED: frozenset(),
}


class BrokerLicence(SQLModel, table=True):
    """A market entity's application to act as a data broker, and what became of it."""

    __tablename__ = "broker_licence"
    __table_args__ = (
        sa.Index("ix_broker_licence_broker_applied", "broker_id", "applied_at"),
        sa.Index("ix_broker_licence_applied_id", "applied_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    broker_id: uuid.UUID = Field(foreign_key="organization.id")
    broker_type: BrokerType = Field(sa_column=enum_column(BrokerType, nullable=False))
    business_scope: str = Field(max_length=2000)
    scenarios: str = Field(max_length=2000)  # JSON list of application scenarios
    mlps_level: int  # 网络安全等级保护 (MLPS 2.0) level, 1-5
    dcmm_level: int  # GB/T 36073 data management capability maturity level, 1-5
    contact: str = Field(max_length=200)
    minors_data_handling: str = Field(max_length=2000)
    sensitive_data_handling: str = Field(max_length=2000)
    status: LicenceStatus = Field(sa_column=enum_column(LicenceStatus, nullable=False))
    grade: str | None = Field(default=None, max_length=8)  # the authority's grade, e.g. "A"
    applied_at: datetime = Field(
        default_factory=now, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
    licensed_at: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )
    valid_until: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )
    decision_reason: str = Field(default="", max_length=2000)
    ledger_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


class LicenceDecision(SQLModel, table=True):
    """Every decision on a licence, with its reason: the facts suspensions are counted from."""

    __tablename__ = "broker_licence_decision"
    __table_args__ = (sa.Index("ix_broker_licence_decision_at", "decided_at", "broker_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    licence_id: uuid.UUID = Field(foreign_key="broker_licence.id", index=True)
    broker_id: uuid.UUID = Field(foreign_key="organization.id")
    decision: LicenceDecisionKind = Field(
        sa_column=enum_column(LicenceDecisionKind, nullable=False)
    )
    from_status: LicenceStatus = Field(sa_column=enum_column(LicenceStatus, nullable=False))
    to_status: LicenceStatus = Field(sa_column=enum_column(LicenceStatus, nullable=False))
    reason: str = Field(max_length=2000)
    decided_by_id: uuid.UUID | None = Field(default=None, foreign_key="organization.id")
    decided_at: datetime = Field(
        default_factory=now, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
    ledger_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


class Entrustment(SQLModel, table=True):
    """An asset's holder entrusts a broker with listing it (受托行权)."""

    __tablename__ = "broker_entrustment"

    asset_id: uuid.UUID = Field(foreign_key="asset.id", primary_key=True)
    broker_id: uuid.UUID = Field(foreign_key="organization.id", primary_key=True)
    entrusted_by_id: uuid.UUID = Field(foreign_key="organization.id")
    entrusted_at: datetime = Field(
        default_factory=now, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
    ledger_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


class PricingModel(StrEnum):
    ONE_TIME = "ONE_TIME"
    SUBSCRIPTION = "SUBSCRIPTION"
    PER_CALL = "PER_CALL"
    REVENUE_SHARE = "REVENUE_SHARE"


class ListingStatus(StrEnum):
    LISTED = "LISTED"
    DELISTED = "DELISTED"


class Listing(SQLModel, table=True):
    """A broker's offer of a REGISTERED asset, with its price and licence terms."""

    __tablename__ = "broker_listing"
    __table_args__ = (
        sa.Index("ix_broker_listing_listed_id", "listed_at", "id"),  # the `listings` order
        sa.Index("ix_broker_listing_broker", "broker_id", "listed_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    broker_id: uuid.UUID = Field(foreign_key="organization.id")
    asset_id: uuid.UUID = Field(foreign_key="asset.id", index=True)
    price: Decimal = Field(sa_column=sa.Column(Money(), nullable=False))
    pricing_model: PricingModel = Field(sa_column=enum_column(PricingModel, nullable=False))
    purposes: str = Field(max_length=2000)  # JSON list of the purposes licensed
    term: str = Field(max_length=40)  # ISO 8601 duration, e.g. P1Y
    territory: str = Field(max_length=200)
    resale: bool = False
    status: ListingStatus = Field(sa_column=enum_column(ListingStatus, nullable=False))
    listed_at: datetime = Field(
        default_factory=now, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
    delisted_at: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )
    delist_reason: str = Field(default="", max_length=2000)
    ledger_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


class DealStatus(StrEnum):
    MATCHED = "MATCHED"
    CONFIRMED = "CONFIRMED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


DEAL_TRANSITIONS: dict[DealStatus, frozenset[DealStatus]] = {
    DealStatus.MATCHED: frozenset({DealStatus.CONFIRMED, DealStatus.CANCELLED}),
    DealStatus.CONFIRMED: frozenset({DealStatus.DELIVERED, DealStatus.CANCELLED}),
    DealStatus.DELIVERED: frozenset(),
    DealStatus.CANCELLED: frozenset(),
}


class Deal(SQLModel, table=True):
    __tablename__ = "broker_deal"
    __table_args__ = (
        sa.Index("ix_broker_deal_broker_matched", "broker_id", "matched_at"),
        sa.Index("ix_broker_deal_matched_id", "matched_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    listing_id: uuid.UUID = Field(foreign_key="broker_listing.id", index=True)
    broker_id: uuid.UUID = Field(foreign_key="organization.id")
    buyer_id: uuid.UUID = Field(foreign_key="organization.id", index=True)
    purpose: str = Field(max_length=200)
    scenario: str = Field(max_length=2000)
    price: Decimal = Field(sa_column=sa.Column(Money(), nullable=False))
    status: DealStatus = Field(sa_column=enum_column(DealStatus, nullable=False))
    matched_at: datetime = Field(
        default_factory=now, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
    confirmed_at: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )
    delivered_at: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )
    cancelled_at: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )
    cancel_reason: str = Field(default="", max_length=2000)
    cancelled_by_id: uuid.UUID | None = Field(default=None, foreign_key="organization.id")
    delivery_note: str = Field(default="", max_length=2000)


class FlowInputKind(StrEnum):
    PUBLIC_RESOURCE = "PUBLIC_RESOURCE"  # a catalogue resource, with its basis
    NON_PUBLIC_DATASET = "NON_PUBLIC_DATASET"  # a dataset with holder and legal basis
    ASSET = "ASSET"  # a REGISTERED asset or product (e.g. an earlier flow's output)


class ResourceBasis(StrEnum):
    """What allows a public resource into a fusion flow (Art. 24)."""

    REGISTERED_PUBLIC_ASSET = "REGISTERED_PUBLIC_ASSET"
    UNCONDITIONAL_SHARE = "UNCONDITIONAL_SHARE"


class DataFlow(SQLModel, table=True):
    """A recorded fusion of public with non-public data (Art. 24): one scenario, one output."""

    __tablename__ = "broker_data_flow"
    __table_args__ = (
        sa.Index("ix_broker_data_flow_recorded", "recorded_at", "broker_id"),
        sa.Index("ix_broker_data_flow_output", "output_asset_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    broker_id: uuid.UUID = Field(foreign_key="organization.id")
    output_asset_id: uuid.UUID = Field(foreign_key="asset.id")
    purpose: str = Field(max_length=200)
    scenario: str = Field(max_length=2000)
    recipients: str = Field(max_length=4000)  # JSON list of organisation ids
    recorded_at: datetime = Field(
        default_factory=now, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
    ledger_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


class DataFlowInput(SQLModel, table=True):
    __tablename__ = "broker_data_flow_input"
    __table_args__ = (sa.Index("ix_broker_data_flow_input_asset", "asset_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    flow_id: uuid.UUID = Field(foreign_key="broker_data_flow.id", index=True)
    position: int
    kind: FlowInputKind = Field(sa_column=enum_column(FlowInputKind, nullable=False))
    resource_id: uuid.UUID | None = Field(default=None, foreign_key="resource.id")
    basis: ResourceBasis | None = Field(
        default=None, sa_column=enum_column(ResourceBasis, nullable=True)
    )
    # The basis asset of a public resource, or the input asset itself (kind ASSET): the
    # lineage graph walks this column.
    asset_id: uuid.UUID | None = Field(default=None, foreign_key="asset.id")
    dataset_name: str = Field(default="", max_length=200)
    dataset_holder: str = Field(default="", max_length=200)
    legal_basis: str = Field(default="", max_length=1000)


class DataFlowConsent(SQLModel, table=True):
    """A consent a flow relied on, and the gate's ALLOWED use that let it pass."""

    __tablename__ = "broker_data_flow_consent"

    flow_id: uuid.UUID = Field(foreign_key="broker_data_flow.id", primary_key=True)
    consent_id: uuid.UUID = Field(foreign_key="consent.id", primary_key=True)
    item: str = Field(primary_key=True, max_length=120)
    use_id: uuid.UUID = Field(foreign_key="data_use.id")


class RefusalKind(StrEnum):
    """Why a broker's attempt was refused, as far as supervision cares."""

    LICENCE_NOT_ACTIVE = "LICENCE_NOT_ACTIVE"  # suspended, revoked, expired, …
    FLOW_BASIS_MISSING = "FLOW_BASIS_MISSING"  # a fusion flow without its legal basis
    CONSENT_DENIED = "CONSENT_DENIED"  # a fusion flow a consent did not allow


class BrokerRefusal(SQLModel, table=True):
    """A refused broker action, recorded after the refused transaction rolled back (in its
    own short transaction): the action changed nothing, but supervision counts the attempt."""

    __tablename__ = "broker_refusal"
    __table_args__ = (sa.Index("ix_broker_refusal_at", "at", "broker_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    broker_id: uuid.UUID = Field(foreign_key="organization.id")
    kind: RefusalKind = Field(sa_column=enum_column(RefusalKind, nullable=False))
    action: str = Field(max_length=64)  # the use case, e.g. "record_data_flow"
    licence_status: LicenceStatus | None = Field(
        default=None, sa_column=enum_column(LicenceStatus, nullable=True)
    )
    codes: str = Field(max_length=2000)  # comma-separated userError codes
    at: datetime = Field(default_factory=now, sa_column=sa.Column(UTCDateTime(), nullable=False))
    ledger_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


class BrokerEvaluation(SQLModel, table=True):
    """One broker's result for one period. Re-running the period replaces it (and appends
    another ledger entry); the same facts and definitions give the same result."""

    __tablename__ = "broker_evaluation"
    __table_args__ = (
        sa.UniqueConstraint("period_start", "period_end", "broker_id"),
        sa.Index("ix_broker_evaluation_evaluated_id", "evaluated_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    broker_id: uuid.UUID = Field(foreign_key="organization.id", index=True)
    period_start: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    period_end: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    facts: str  # JSON {fact: "decimal"}
    indicators: str  # JSON [{code, value, score, weight}]
    score: str = Field(max_length=40)
    grade: str = Field(max_length=8)
    evaluated_at: datetime = Field(
        default_factory=now, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
    ledger_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


class AlertRule(StrEnum):
    COMPLAINT_RATE = "COMPLAINT_RATE"  # complaints per 100 flows over the threshold
    FLOW_BASIS_MISSING = "FLOW_BASIS_MISSING"  # fusion flows attempted without legal basis
    ACTIVITY_WHILE_SUSPENDED = "ACTIVITY_WHILE_SUSPENDED"
    USE_AFTER_REVOCATION = "USE_AFTER_REVOCATION"


class RiskRule(SQLModel, table=True):
    """A published risk rule: it fires for a broker whose period value is above `threshold`.
    The data authority changes thresholds and switches rules off as data, like indicators."""

    __tablename__ = "broker_risk_rule"

    rule: AlertRule = Field(sa_column=enum_column(AlertRule, primary_key=True))
    description: str = Field(max_length=1000)
    threshold: str = Field(max_length=40)  # the exact Decimal, as text
    # A rate rule fires only when its denominator (broker.evaluation.RATE_VOLUME) reached
    # this in the period; 0 for count rules, where one event is already the fact.
    min_volume: int = Field(
        default=0, sa_column=sa.Column(sa.Integer(), nullable=False, server_default="0")
    )
    enabled: bool = True
    updated_at: datetime = Field(
        default_factory=now, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )


class AlertStatus(StrEnum):
    OPEN = "OPEN"
    ACKNOWLEDGED = "ACKNOWLEDGED"


class RiskAlert(SQLModel, table=True):
    """A rule over one period's facts fired for one broker. Raised once per (rule, broker,
    period): re-evaluating a period finds it already there."""

    __tablename__ = "broker_risk_alert"
    __table_args__ = (
        sa.UniqueConstraint("rule", "broker_id", "period_start", "period_end"),
        sa.Index("ix_broker_risk_alert_raised_id", "raised_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    rule: AlertRule = Field(sa_column=enum_column(AlertRule, nullable=False))
    broker_id: uuid.UUID = Field(foreign_key="organization.id")
    period_start: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    period_end: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    value: str = Field(max_length=40)
    threshold: str = Field(max_length=40)
    message: str = Field(max_length=2000)
    status: AlertStatus = Field(sa_column=enum_column(AlertStatus, nullable=False))
    raised_at: datetime = Field(
        default_factory=now, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
    ledger_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    acknowledged_at: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )
    acknowledged_by_id: uuid.UUID | None = Field(default=None, foreign_key="organization.id")
    acknowledgement: str = Field(default="", max_length=2000)
