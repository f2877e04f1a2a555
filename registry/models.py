"""Registry tables: data items (Art. 8) and the resource catalogue (Art. 9-11, 14, 18)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.clock import now
from core.sqltypes import Money, UTCDateTime, enum_column


class DataItem(SQLModel, table=True):
    """A kind of data (e.g. "business licence status") and the one agency legally
    responsible for collecting it: its source department (数源部门)."""

    __tablename__ = "data_item"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    code: str = Field(max_length=64, unique=True)  # Art. 8: one item, one source department
    name: str = Field(max_length=200)
    legal_basis: str = Field(max_length=1000)
    # PIPL Art. 28: sensitive personal information needs separate consent (Art. 29)
    sensitive_personal: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    source_department_id: uuid.UUID = Field(foreign_key="organization.id", index=True)
    claimed_at: datetime = Field(
        default_factory=now, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )


# Art. 14: every catalogue entry is shared unconditionally, on conditions, or not
class ShareType(StrEnum):
    """Art. 14: every catalogue entry says how it is shared."""

    UNCONDITIONAL = "UNCONDITIONAL"
    CONDITIONAL = "CONDITIONAL"  # the conditions are stated
    NOT_SHARED = "NOT_SHARED"  # the legal basis is stated


# Art. 18: open, conditionally open or not open
class OpenType(StrEnum):
    """Art. 18: open, conditionally open (by application) or not open to society."""

    OPEN = "OPEN"
    CONDITIONAL_OPEN = "CONDITIONAL_OPEN"
    NOT_OPEN = "NOT_OPEN"


# Art. 10: aggregated by table, API, or by file without an IT system
class Delivery(StrEnum):
    """Art. 10: aggregated to the platform by table, by API, or (no IT system) by file."""

    TABLE = "TABLE"
    API = "API"
    FILE = "FILE"


# Art. 11: the catalogued frequency data is updated at
class UpdateFrequency(StrEnum):
    """Art. 11: data is updated at the catalogued frequency."""

    REALTIME = "REALTIME"
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"
    QUARTERLY = "QUARTERLY"
    YEARLY = "YEARLY"
    ON_CHANGE = "ON_CHANGE"


# DSL Art. 21: data is graded and protected by class: general, important, core
class Sensitivity(StrEnum):
    """Data Security Law art. 21 grading: general, important, core data."""

    GENERAL = "GENERAL"
    IMPORTANT = "IMPORTANT"
    CORE = "CORE"


class Resource(SQLModel, table=True):
    """One entry of an agency's resource catalogue (Art. 9)."""

    __tablename__ = "resource"
    __table_args__ = (sa.Index("ix_resource_owner_code", "owner_id", "code"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=4000)
    owner_id: uuid.UUID = Field(foreign_key="organization.id")
    share_type: ShareType = Field(sa_column=enum_column(ShareType, nullable=False))
    share_conditions: str = Field(default="", max_length=2000)
    share_legal_basis: str = Field(default="", max_length=2000)
    open_type: OpenType = Field(sa_column=enum_column(OpenType, nullable=False, index=True))
    delivery: Delivery = Field(sa_column=enum_column(Delivery, nullable=False))
    update_frequency: UpdateFrequency = Field(
        sa_column=enum_column(UpdateFrequency, nullable=False)
    )
    sensitivity: Sensitivity = Field(sa_column=enum_column(Sensitivity, nullable=False))
    contains_personal_info: bool = False
    last_updated_at: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )
    # Art. 11: when the resource turns stale unless refreshed; None: ON_CHANGE never does.
    stale_after: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True, index=True)
    )
    version: int = 1
    created_at: datetime = Field(
        default_factory=now, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )


class Deidentification(SQLModel, table=True):
    """Art. 18: how an entry holding personal information was de-identified before it may
    be OPEN or CONDITIONAL_OPEN: the method, the day it was done and who checked it."""

    __tablename__ = "resource_deidentification"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    resource_id: uuid.UUID = Field(foreign_key="resource.id", index=True)
    method: str = Field(max_length=200)
    performed_on: date
    checked_by: str = Field(max_length=200)
    recorded_by_id: uuid.UUID | None = Field(default=None, foreign_key="organization.id")
    recorded_at: datetime = Field(
        default_factory=now, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
    ledger_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


class ResourceItem(SQLModel, table=True):
    """The data items a resource carries; each must be claimed by the resource's owner."""

    __tablename__ = "resource_item"

    resource_id: uuid.UUID = Field(foreign_key="resource.id", primary_key=True)
    data_item_id: uuid.UUID = Field(foreign_key="data_item.id", primary_key=True)


class ResourceChange(SQLModel, table=True):
    """Art. 9: catalogue entries are records with history. One row per version."""

    __tablename__ = "resource_change"

    resource_id: uuid.UUID = Field(foreign_key="resource.id", primary_key=True)
    version: int = Field(primary_key=True)
    changed_by_id: uuid.UUID | None = Field(default=None, foreign_key="organization.id")
    changed_at: datetime = Field(
        default_factory=now, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
    change: str  # canonical JSON: {"field": [old, new], …}; {"created": …} for version 1


class AssetKind(StrEnum):
    """Art. 25: public data assets (registered by the authority or an agency) and the data
    products and services market entities and brokers develop and trade."""

    PUBLIC_DATA_ASSET = "PUBLIC_DATA_ASSET"
    DATA_PRODUCT = "DATA_PRODUCT"
    DATA_SERVICE = "DATA_SERVICE"


class AssetRight(StrEnum):
    """The three data rights of the 'Data Twenty Articles' (2022): holding, processing and
    use, and operation of products."""

    HOLDING = "HOLDING"
    PROCESSING_USE = "PROCESSING_USE"
    OPERATION = "OPERATION"


class AssetStatus(StrEnum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    PUBLIC_NOTICE = "PUBLIC_NOTICE"  # 5 working days in which anyone may object
    OBJECTED = "OBJECTED"  # paused until the authority resolves the objection
    REGISTERED = "REGISTERED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"


# The registration lifecycle, in one place: from → the statuses it may move to.
ASSET_TRANSITIONS: dict[AssetStatus, frozenset[AssetStatus]] = {
    AssetStatus.DRAFT: frozenset({AssetStatus.SUBMITTED, AssetStatus.CANCELLED}),
    AssetStatus.SUBMITTED: frozenset({AssetStatus.PUBLIC_NOTICE, AssetStatus.REJECTED}),
    AssetStatus.PUBLIC_NOTICE: frozenset({AssetStatus.OBJECTED, AssetStatus.REGISTERED}),
    AssetStatus.OBJECTED: frozenset({AssetStatus.PUBLIC_NOTICE, AssetStatus.REJECTED}),
    AssetStatus.REGISTERED: frozenset({AssetStatus.SUBMITTED, AssetStatus.CANCELLED}),
    AssetStatus.REJECTED: frozenset(),
    AssetStatus.CANCELLED: frozenset(),
}


class Asset(SQLModel, table=True):
    __tablename__ = "asset"
    __table_args__ = (
        sa.Index("ix_asset_holder_name", "holder_id", "name"),
        sa.Index("ix_asset_created_id", "created_at", "id"),  # the `assets` keyset order
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: AssetKind = Field(sa_column=enum_column(AssetKind, nullable=False))
    name: str = Field(max_length=200, index=True)
    description: str = Field(default="", max_length=4000)
    scenario: str = Field(max_length=2000)  # the application scenario it serves
    rights: str = Field(max_length=100)  # comma-separated AssetRight values, sorted
    delivery_mode: str = Field(default="", max_length=200)
    update_frequency: UpdateFrequency = Field(
        sa_column=enum_column(UpdateFrequency, nullable=False)
    )
    time_span: str = Field(default="", max_length=200)
    scale: str = Field(default="", max_length=200)
    holder_id: uuid.UUID = Field(foreign_key="organization.id")
    status: AssetStatus = Field(sa_column=enum_column(AssetStatus, nullable=False, index=True))
    notice_ends_at: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )
    # Art. 25: the public notice clock, `notice_days` working days from `notice_from`. While
    # an objection is open the clock is paused: `notice_from` and `notice_ends_at` are NULL and
    # `notice_days` holds the working days left.
    notice_from: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )
    notice_days: int | None = None
    notice_ends_provisional: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean(), nullable=False, server_default=sa.false())
    )
    registration_number: str | None = Field(default=None, max_length=40, unique=True)
    registered_at: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )
    registration_seq: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger))
    decision_reason: str = Field(default="", max_length=2000)
    version: int = 1
    created_at: datetime = Field(
        default_factory=now, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )


class AssetSource(SQLModel, table=True):
    """Where an asset's data comes from: a catalogue resource, or a declared non-public
    dataset with its holder and legal basis (Art. 24: fusion must be traceable)."""

    __tablename__ = "asset_source"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    asset_id: uuid.UUID = Field(foreign_key="asset.id", index=True)
    resource_id: uuid.UUID | None = Field(default=None, foreign_key="resource.id")
    dataset_name: str = Field(default="", max_length=200)
    dataset_holder: str = Field(default="", max_length=200)
    legal_basis: str = Field(default="", max_length=1000)


class AssetObjection(SQLModel, table=True):
    __tablename__ = "asset_objection"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    asset_id: uuid.UUID = Field(foreign_key="asset.id", index=True)
    filed_by: str = Field(max_length=120)  # the objector's subject id
    filed_by_org_id: uuid.UUID | None = Field(default=None, foreign_key="organization.id")
    text: str = Field(max_length=4000)
    filed_at: datetime = Field(
        default_factory=now, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
    upheld: bool | None = None  # None while open
    resolution: str = Field(default="", max_length=2000)


class QualityAssessment(SQLModel, table=True):
    """Scores on GB/T 36344's six dimensions, their weights and the weighted result."""

    __tablename__ = "quality_assessment"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    asset_id: uuid.UUID = Field(foreign_key="asset.id", index=True)
    scores: str  # JSON {dimension: "decimal"}
    weights: str  # JSON {dimension: "decimal"}
    overall: str = Field(max_length=40)  # the exact Decimal, as text
    assessor_id: uuid.UUID | None = Field(default=None, foreign_key="organization.id")
    assessed_at: datetime = Field(
        default_factory=now, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )


class AssetValuation(SQLModel, table=True):
    """Art. 25 appraisal: the method, every input and the result, so it can be re-run."""

    __tablename__ = "asset_valuation"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    asset_id: uuid.UUID = Field(foreign_key="asset.id", index=True)
    method: str = Field(max_length=16)
    inputs: str  # JSON of the inputs, numbers as strings
    value: Decimal = Field(sa_column=sa.Column(Money(), nullable=False))
    breakdown: str  # JSON of the intermediate figures
    valuer_id: uuid.UUID | None = Field(default=None, foreign_key="organization.id")
    valued_at: datetime = Field(
        default_factory=now, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
    ledger_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
