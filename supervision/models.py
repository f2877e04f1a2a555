"""Supervision tables (Art. 9, 28-30, 33, 35): chief data officers, the system inventory,
fiscally funded IT projects and their data lists, agency scorecards, findings and
rectification orders. The published agency indicators and grades are the one engine's
(`authority.SupervisionIndicator` rows of kind AGENCY)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.clock import now
from core.sqltypes import Money, UTCDateTime, enum_column


def _at(nullable: bool = False, index: bool = False) -> sa.Column[datetime]:
    return sa.Column(UTCDateTime(), nullable=nullable, index=index)


# --- Art. 28: chief data officers -----------------------------------------------------------


class ChiefDataOfficer(SQLModel, table=True):
    """One appointment of an organisation's chief data officer; ended, never deleted, so the
    history stays. At most one appointment per organisation is current (`ended_at` unset)."""

    __tablename__ = "supervision_cdo"
    __table_args__ = (
        sa.Index(
            "ux_supervision_cdo_current",
            "organization_id",
            unique=True,
            postgresql_where=sa.text("ended_at IS NULL"),
            sqlite_where=sa.text("ended_at IS NULL"),
        ),
        sa.Index("ix_supervision_cdo_org_appointed", "organization_id", "appointed_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organization_id: uuid.UUID = Field(foreign_key="organization.id")
    name: str = Field(max_length=200)
    title: str = Field(max_length=200)
    appointed_at: datetime = Field(default_factory=now, sa_column=_at())
    appointed_by_id: uuid.UUID = Field(foreign_key="organization.id")
    ended_at: datetime | None = Field(default=None, sa_column=_at(nullable=True))
    end_reason: str = Field(default="", max_length=2000)
    ledger_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


# --- Art. 9: the system inventory -----------------------------------------------------------


class InformationSystem(SQLModel, table=True):
    """An information system an agency runs, with the SHA-256 of its filed design and
    data-structure documents (Art. 9: filed, not uploaded: pdex keeps the hashes)."""

    __tablename__ = "supervision_system"
    __table_args__ = (
        sa.UniqueConstraint("owner_id", "name"),
        sa.Index("ix_supervision_system_registered_id", "registered_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    owner_id: uuid.UUID = Field(foreign_key="organization.id", index=True)
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    design_doc_sha256: str = Field(max_length=64)
    data_structure_doc_sha256: str = Field(max_length=64)
    registered_at: datetime = Field(default_factory=now, sa_column=_at())
    ledger_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


class SystemResource(SQLModel, table=True):
    """A catalogue entry an information system feeds."""

    __tablename__ = "supervision_system_resource"

    system_id: uuid.UUID = Field(foreign_key="supervision_system.id", primary_key=True)
    resource_id: uuid.UUID = Field(foreign_key="resource.id", primary_key=True, index=True)


# --- Art. 29: fiscally funded IT projects ---------------------------------------------------


class ProjectStatus(StrEnum):
    FILED = "FILED"  # the agency filed it with its data list
    APPROVED = "APPROVED"  # the authority approved it (Art. 29: only with a data list)
    ACCEPTED = "ACCEPTED"  # accepted: every listed item catalogued and, if shareable, shared


PROJECT_TRANSITIONS: dict[ProjectStatus, frozenset[ProjectStatus]] = {
    ProjectStatus.FILED: frozenset({ProjectStatus.APPROVED}),
    ProjectStatus.APPROVED: frozenset({ProjectStatus.ACCEPTED}),
    ProjectStatus.ACCEPTED: frozenset(),
}


class ItProject(SQLModel, table=True):
    """A fiscally funded IT project of an agency (Art. 29)."""

    __tablename__ = "supervision_project"
    __table_args__ = (sa.Index("ix_supervision_project_filed_id", "filed_at", "id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agency_id: uuid.UUID = Field(foreign_key="organization.id", index=True)
    name: str = Field(max_length=200)
    budget: Decimal = Field(sa_column=sa.Column(Money(), nullable=False))
    status: ProjectStatus = Field(sa_column=enum_column(ProjectStatus, nullable=False))
    filed_at: datetime = Field(default_factory=now, sa_column=_at())
    approved_at: datetime | None = Field(default=None, sa_column=_at(nullable=True))
    # Art. 30: an agency graded D in the last period is approved only on an explicit override
    override_reason: str = Field(default="", max_length=2000)
    accepted_at: datetime | None = Field(default=None, sa_column=_at(nullable=True))
    ledger_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


class ProjectItem(SQLModel, table=True):
    """One piece of public data a project will produce: a data item the agency claims, or a
    planned catalogue entry (by the code it will have in the agency's catalogue)."""

    __tablename__ = "supervision_project_item"
    __table_args__ = (
        sa.CheckConstraint(
            "(data_item_id IS NULL) <> (resource_code IS NULL)", name="one_kind_of_item"
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    project_id: uuid.UUID = Field(foreign_key="supervision_project.id", index=True)
    data_item_id: uuid.UUID | None = Field(default=None, foreign_key="data_item.id")
    resource_code: str | None = Field(default=None, max_length=64)


# --- Art. 30: agency scorecards -------------------------------------------------------------


class AgencyScorecard(SQLModel, table=True):
    """One agency's result for one period. Re-running the period replaces it (and appends
    another ledger entry); the same facts and definitions give the same result."""

    __tablename__ = "supervision_scorecard"
    __table_args__ = (
        sa.UniqueConstraint("period_start", "period_end", "agency_id"),
        sa.Index("ix_supervision_scorecard_evaluated_id", "evaluated_at", "id"),
        sa.Index("ix_supervision_scorecard_agency_end", "agency_id", "period_end"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agency_id: uuid.UUID = Field(foreign_key="organization.id")
    period_start: datetime = Field(sa_column=_at())
    period_end: datetime = Field(sa_column=_at())
    facts: str  # JSON {fact: "decimal"}
    indicators: str  # JSON [{code, value, score, weight}]
    score: str = Field(max_length=40)
    grade: str = Field(max_length=8)
    evaluated_at: datetime = Field(default_factory=now, sa_column=_at())
    ledger_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


# --- Art. 35: findings and rectification ----------------------------------------------------


class FindingKind(StrEnum):
    """What a detector found, each with the Art. 35 item it falls under."""

    OVERDUE_ANSWER = "OVERDUE_ANSWER"  # 35(1): a share request answered late or not at all
    OVERDUE_DELIVERY = "OVERDUE_DELIVERY"  # 35(1): an approved share delivered late or not
    STALE_CATALOGUE = "STALE_CATALOGUE"  # 35(2): an entry stale beyond the grace period
    OUT_OF_GRANT_USE = "OUT_OF_GRANT_USE"  # 35(4): shared data asked for outside its grant
    UNRECORDED_CHANGE = "UNRECORDED_CHANGE"  # 35(6): an entry changed with no recorded reason
    DEMAND_ALREADY_GRANTED = "DEMAND_ALREADY_GRANTED"  # 35(7): asked for what it already holds


ARTICLE_ITEM: dict[FindingKind, str] = {
    FindingKind.OVERDUE_ANSWER: "35(1)",
    FindingKind.OVERDUE_DELIVERY: "35(1)",
    FindingKind.STALE_CATALOGUE: "35(2)",
    FindingKind.OUT_OF_GRANT_USE: "35(4)",
    FindingKind.UNRECORDED_CHANGE: "35(6)",
    FindingKind.DEMAND_ALREADY_GRANTED: "35(7)",
}


class Finding(SQLModel, table=True):
    """One violation the records show, with its evidence. Found once: `key` names what it is
    about (kind and the record), so a second sweep finds it already there."""

    __tablename__ = "supervision_finding"
    __table_args__ = (
        sa.Index("ix_supervision_finding_detected_id", "detected_at", "id"),
        sa.Index("ix_supervision_finding_subject", "kind", "subject_id", "subject_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    kind: FindingKind = Field(sa_column=enum_column(FindingKind, nullable=False))
    article_item: str = Field(max_length=16)
    agency_id: uuid.UUID = Field(foreign_key="organization.id", index=True)
    # the record it is about (an entry, a request, a refused attempt) and, where the same
    # record can be found again later, the moment that tells the two apart (the entry's
    # stale-after time, the change's time): a sweep skips what is found already in SQL
    subject_id: uuid.UUID
    subject_at: datetime | None = Field(default=None, sa_column=_at(nullable=True))
    summary: str = Field(max_length=2000)
    evidence: str  # JSON: {"resources": [...], "requests": [...], "ledgerSeqs": [...], ...}
    detected_at: datetime = Field(default_factory=now, sa_column=_at())
    ledger_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    rectification_id: uuid.UUID | None = Field(
        default=None, foreign_key="supervision_rectification.id", index=True
    )


class RectificationStatus(StrEnum):
    ORDERED = "ORDERED"  # the authority ordered it, due in N working days
    REPORTED = "REPORTED"  # the agency reported what it did, with evidence
    ACCEPTED = "ACCEPTED"  # the authority accepted the report: closed
    REOPENED = "REOPENED"  # the authority found the report wanting: still due
    ESCALATED = "ESCALATED"  # Art. 35: the deadline passed unrectified: to the superior (Art. 33)


RECTIFICATION_TRANSITIONS: dict[RectificationStatus, frozenset[RectificationStatus]] = {
    RectificationStatus.ORDERED: frozenset(
        {RectificationStatus.REPORTED, RectificationStatus.ESCALATED}
    ),
    RectificationStatus.REPORTED: frozenset(
        {RectificationStatus.ACCEPTED, RectificationStatus.REOPENED}
    ),
    RectificationStatus.REOPENED: frozenset(
        {RectificationStatus.REPORTED, RectificationStatus.ESCALATED}
    ),
    RectificationStatus.ESCALATED: frozenset({RectificationStatus.REPORTED}),
    RectificationStatus.ACCEPTED: frozenset(),
}

# Open: counted against the agency and by the escalation sweep.
OPEN_RECTIFICATION = (
    RectificationStatus.ORDERED,
    RectificationStatus.REPORTED,
    RectificationStatus.REOPENED,
    RectificationStatus.ESCALATED,
)


class Rectification(SQLModel, table=True):
    """An order to rectify findings by a working-day deadline (Art. 35)."""

    __tablename__ = "supervision_rectification"
    __table_args__ = (
        sa.Index("ix_supervision_rectification_ordered_id", "ordered_at", "id"),
        sa.Index("ix_supervision_rectification_status_due", "status", "due_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agency_id: uuid.UUID = Field(foreign_key="organization.id", index=True)
    status: RectificationStatus = Field(sa_column=enum_column(RectificationStatus, nullable=False))
    instructions: str = Field(max_length=4000)
    working_days: int
    ordered_by_id: uuid.UUID = Field(foreign_key="organization.id")
    ordered_at: datetime = Field(default_factory=now, sa_column=_at())
    due_at: datetime = Field(sa_column=_at())
    due_provisional: bool = False
    evidence: str = Field(default="", max_length=4000)
    reported_at: datetime | None = Field(default=None, sa_column=_at(nullable=True))
    decided_at: datetime | None = Field(default=None, sa_column=_at(nullable=True))
    decision_reason: str = Field(default="", max_length=4000)
    escalated_at: datetime | None = Field(default=None, sa_column=_at(nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=_at(nullable=True))
    ledger_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
