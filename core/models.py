"""Organisations: every agency, broker, firm, auditor and the data authority itself.

They live in `core/` because identity needs them: a token's `org` claim names one, and every
domain scopes its rows to one.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.clock import now
from core.sqltypes import UTCDateTime, enum_column


class OrganizationKind(StrEnum):
    AUTHORITY = "AUTHORITY"  # the data authority (Art. 3, 5)
    AGENCY = "AGENCY"  # a public body; source department for the items it claims (Art. 8)
    BROKER = "BROKER"  # a data broker (Art. 26)
    MARKET_ENTITY = "MARKET_ENTITY"  # firm, university, research body (Art. 21-23, 25)
    AUDITOR = "AUDITOR"  # an independent ledger witness (Art. 24)


class Organization(SQLModel, table=True):
    __tablename__ = "organization"
    __table_args__ = (sa.Index("ix_organization_kind_name", "kind", "name", "id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: OrganizationKind = Field(sa_column=enum_column(OrganizationKind, nullable=False))
    name: str = Field(max_length=200, index=True)
    # Unified social credit code (GB 32100-2015), normalised to upper case.
    uscc: str = Field(max_length=18, unique=True)
    registered_by_id: uuid.UUID | None = Field(default=None, foreign_key="organization.id")
    created_at: datetime = Field(
        default_factory=now, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )


class CalendarDay(SQLModel, table=True):
    """The data authority's explicit working-day table: the days of a year it entered whole
    (`CalendarYear`), or a correction of a day the calendar gets wrong. True = working day."""

    __tablename__ = "calendar_day"

    day: date = Field(primary_key=True)
    working: bool
    note: str = Field(default="", max_length=200)
    set_by_id: uuid.UUID | None = Field(default=None, foreign_key="organization.id")
    set_at: datetime = Field(
        default_factory=now, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )


class CalendarYear(SQLModel, table=True):
    """A year whose official holiday arrangement the data authority entered whole, from the
    State Council notice: its deadlines are confirmed, no longer provisional (core/calendar.py)."""

    __tablename__ = "calendar_year"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    notice: str = Field(max_length=200)
    set_by_id: uuid.UUID | None = Field(default=None, foreign_key="organization.id")
    set_at: datetime = Field(
        default_factory=now, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
