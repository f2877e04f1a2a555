"""Consent tables: data subjects, their consents to third parties, every use checked against
a consent, and complaints to the data authority (Art. 27; PIPL Art. 15, 29).

Statuses that time or counting decide (EXPIRED, EXHAUSTED, NOT_YET_VALID) are computed by
`consent.rules`, never written by a job: the stored `status` only says ACTIVE or REVOKED.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.clock import now
from core.sqltypes import UTCDateTime, enum_column


class SubjectKind(StrEnum):
    PERSON = "PERSON"
    ORGANIZATION = "ORGANIZATION"


class DataSubject(SQLModel, table=True):
    """A person or organisation the data is about. `subject` is the token's `sub`.

    A resident identity number is kept only as a keyed hash (HMAC with a server secret), so
    the table can answer "is this the same person" without holding the number."""

    __tablename__ = "data_subject"

    subject: str = Field(primary_key=True, max_length=120)
    kind: SubjectKind = Field(sa_column=enum_column(SubjectKind, nullable=False))
    display_name: str = Field(default="", max_length=200)
    resident_id_hash: str | None = Field(default=None, max_length=64, unique=True)
    uscc: str | None = Field(default=None, max_length=18)
    created_at: datetime = Field(
        default_factory=now, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )


class CertificateType(StrEnum):
    """Certificates and licences (证照) a subject may let a third party fetch (Art. 27)."""

    RESIDENT_ID_CARD = "RESIDENT_ID_CARD"
    BUSINESS_LICENCE = "BUSINESS_LICENCE"
    SOCIAL_INSURANCE_RECORD = "SOCIAL_INSURANCE_RECORD"
    HOUSEHOLD_REGISTER = "HOUSEHOLD_REGISTER"
    MARRIAGE_CERTIFICATE = "MARRIAGE_CERTIFICATE"
    REAL_ESTATE_CERTIFICATE = "REAL_ESTATE_CERTIFICATE"
    DRIVING_LICENCE = "DRIVING_LICENCE"
    VEHICLE_REGISTRATION = "VEHICLE_REGISTRATION"
    MEDICAL_RECORD = "MEDICAL_RECORD"
    TAX_PAYMENT_CERTIFICATE = "TAX_PAYMENT_CERTIFICATE"
    ACADEMIC_CERTIFICATE = "ACADEMIC_CERTIFICATE"


class ConsentMode(StrEnum):
    """India's AA consent artefact: a single fetch, or periodic fetches at a frequency."""

    ONE_TIME = "ONE_TIME"
    PERIODIC = "PERIODIC"


class ConsentStatus(StrEnum):
    """What a reader sees. Only ACTIVE and REVOKED are stored; the rest are computed."""

    ACTIVE = "ACTIVE"
    NOT_YET_VALID = "NOT_YET_VALID"
    EXPIRED = "EXPIRED"
    EXHAUSTED = "EXHAUSTED"
    REVOKED = "REVOKED"


class Consent(SQLModel, table=True):
    """One authorisation by a data subject for one grantee (Art. 27)."""

    __tablename__ = "consent"
    __table_args__ = (
        sa.Index("ix_consent_subject_created", "subject", "created_at", "id"),
        sa.Index("ix_consent_grantee_created", "grantee_id", "created_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    subject: str = Field(foreign_key="data_subject.subject", max_length=120)
    grantee_id: uuid.UUID = Field(foreign_key="organization.id")
    purpose: str = Field(max_length=200)  # matched exactly by the gate (case-folded, trimmed)
    scenario: str = Field(default="", max_length=2000)  # the application scenario
    valid_from: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    valid_until: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    mode: ConsentMode = Field(sa_column=enum_column(ConsentMode, nullable=False))
    frequency: str | None = Field(default=None, max_length=40)  # PERIODIC: e.g. "P1M"
    max_uses: int | None = None  # None: unlimited within the window
    # India's AA artefact: the fetch frequency is a rate, at most this many uses in any
    # `frequency`-long window (None: no rate, only `max_uses` counts).
    uses_per_period: int | None = None
    # India's AA artefact: how long the grantee may keep what it fetched (ISO 8601, e.g. P30D).
    data_life: str | None = Field(default=None, max_length=40)
    uses: int = 0  # ALLOWED uses so far; the gate increments it under a row lock
    separate: bool = False  # PIPL Art. 29: separate consent for sensitive personal info
    status: ConsentStatus = Field(sa_column=enum_column(ConsentStatus, nullable=False))
    revoked_at: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )
    revoke_reason: str = Field(default="", max_length=2000)
    ledger_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    revoke_seq: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger))
    created_at: datetime = Field(
        default_factory=now, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )


class ConsentItem(SQLModel, table=True):
    """What a consent covers: a catalogue data item (by code) or a certificate type.

    `item` is the key the gate matches: "item:<data item code>" or "certificate:<TYPE>"."""

    __tablename__ = "consent_item"

    consent_id: uuid.UUID = Field(foreign_key="consent.id", primary_key=True)
    item: str = Field(primary_key=True, max_length=120)
    sensitive: bool = False  # sensitive personal information (PIPL Art. 28)


class UseOutcome(StrEnum):
    ALLOWED = "ALLOWED"
    DENIED = "DENIED"


class DenialReason(StrEnum):
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT_YET_VALID"
    OUT_OF_SCOPE = "OUT_OF_SCOPE"
    PURPOSE_MISMATCH = "PURPOSE_MISMATCH"
    EXHAUSTED = "EXHAUSTED"
    FREQUENCY_EXCEEDED = "FREQUENCY_EXCEEDED"  # more uses in the window than the rate allows
    NOT_GRANTEE = "NOT_GRANTEE"


class DataUse(SQLModel, table=True):
    """One pass through the gate, allowed or denied, with its ledger entry."""

    __tablename__ = "data_use"
    __table_args__ = (
        sa.Index("ix_data_use_subject_at", "subject", "at", "id"),
        sa.Index("ix_data_use_user_at", "user_id", "at"),
        sa.Index("ix_data_use_consent_at", "consent_id", "at"),  # the rate window
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    consent_id: uuid.UUID = Field(foreign_key="consent.id")
    subject: str = Field(max_length=120)  # copied from the consent: the dashboard's key
    user_id: uuid.UUID = Field(foreign_key="organization.id")  # who asked (may not be grantee)
    item: str = Field(max_length=120)
    purpose: str = Field(max_length=200)
    outcome: UseOutcome = Field(sa_column=enum_column(UseOutcome, nullable=False))
    reason: DenialReason | None = Field(
        default=None, sa_column=enum_column(DenialReason, nullable=True)
    )
    at: datetime = Field(default_factory=now, sa_column=sa.Column(UTCDateTime(), nullable=False))
    ledger_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


class ComplaintStatus(StrEnum):
    RECEIVED = "RECEIVED"
    ASSIGNED = "ASSIGNED"
    RESOLVED = "RESOLVED"


class ComplaintOutcome(StrEnum):
    UPHELD = "UPHELD"
    REJECTED = "REJECTED"


class Complaint(SQLModel, table=True):
    """Art. 27: a subject complains to the data authority; due in 15 working days."""

    __tablename__ = "complaint"
    __table_args__ = (
        sa.Index("ix_complaint_status_due", "status", "due_at"),
        sa.Index("ix_complaint_against_received", "against_id", "received_at"),
        sa.Index("ix_complaint_subject_received", "subject", "received_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    subject: str = Field(max_length=120)
    against_id: uuid.UUID = Field(foreign_key="organization.id")
    consent_id: uuid.UUID | None = Field(default=None, foreign_key="consent.id")
    use_id: uuid.UUID | None = Field(default=None, foreign_key="data_use.id")
    text: str = Field(max_length=4000)
    status: ComplaintStatus = Field(sa_column=enum_column(ComplaintStatus, nullable=False))
    received_at: datetime = Field(
        default_factory=now, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
    due_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    # Counted on a year whose official holidays are not known yet; recomputed when entered.
    due_provisional: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean(), nullable=False, server_default=sa.false())
    )
    assignee: str = Field(default="", max_length=200)  # the handling officer or unit
    outcome: ComplaintOutcome | None = Field(
        default=None, sa_column=enum_column(ComplaintOutcome, nullable=True)
    )
    resolution: str = Field(default="", max_length=4000)
    resolved_at: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )


# The complaint lifecycle in one table (from → allowed to). Reassigning is allowed.
COMPLAINT_TRANSITIONS: dict[ComplaintStatus, frozenset[ComplaintStatus]] = {
    ComplaintStatus.RECEIVED: frozenset({ComplaintStatus.ASSIGNED, ComplaintStatus.RESOLVED}),
    ComplaintStatus.ASSIGNED: frozenset({ComplaintStatus.ASSIGNED, ComplaintStatus.RESOLVED}),
    ComplaintStatus.RESOLVED: frozenset(),
}
