"""The published evaluation definitions every supervised kind of subject is graded by: one
indicator table and one grade table, each row naming the kind of subject it grades (a
broker under Art. 26, an agency under Art. 30). A new kind is rows here and a fact query in
its domain (`authority.indicators` runs the rest)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.clock import now
from core.sqltypes import UTCDateTime, enum_column


class SubjectKind(StrEnum):
    """Who an indicator grades."""

    BROKER = "BROKER"  # Art. 26: data brokers (broker.evaluation)
    AGENCY = "AGENCY"  # Art. 30: agencies (supervision.scorecards)


class Scoring(StrEnum):
    """How an indicator's value becomes a score in [0, 100] (`authority.scoring`)."""

    RATIO = "RATIO"  # value in [0, 1]: score = 100 × value
    TARGET = "TARGET"  # more is better: score = 100 × min(1, value / parameter)
    PENALTY = "PENALTY"  # less is better: score = max(0, 100 − parameter × value)


class SupervisionIndicator(SQLModel, table=True):
    """One published evaluation indicator (Art. 26, 30). Data: the authority may change it.
    Codes are unique across subject kinds."""

    __tablename__ = "supervision_indicator"

    code: str = Field(primary_key=True, max_length=64)
    subject_kind: SubjectKind = Field(
        sa_column=enum_column(SubjectKind, nullable=False, server_default="BROKER")
    )
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    position: int
    # Exact decimals as text (as registry's quality scores): SQLite has no exact NUMERIC.
    weight: str = Field(max_length=40)
    scoring: Scoring = Field(sa_column=enum_column(Scoring, nullable=False))
    parameter: str = Field(max_length=40)
    veto: bool = False  # any non-zero value grades the subject lowest, whatever the total
    updated_at: datetime = Field(
        default_factory=now, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )


class SupervisionGrade(SQLModel, table=True):
    """Published grade thresholds of one subject kind: the lowest total score each grade needs."""

    __tablename__ = "supervision_grade"

    subject_kind: SubjectKind = Field(
        sa_column=enum_column(SubjectKind, primary_key=True, server_default="BROKER")
    )
    grade: str = Field(primary_key=True, max_length=8)
    min_score: str = Field(max_length=40)
