"""Registry tables: data items and their one source department (Art. 8)."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.clock import now
from core.sqltypes import UTCDateTime


class DataItem(SQLModel, table=True):
    """A kind of data (e.g. "business licence status") and the one agency legally
    responsible for collecting it: its source department (数源部门)."""

    __tablename__ = "data_item"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    code: str = Field(max_length=64, unique=True)  # unique: Art. 8, one item, one source
    name: str = Field(max_length=200)
    legal_basis: str = Field(max_length=1000)
    source_department_id: uuid.UUID = Field(foreign_key="organization.id", index=True)
    claimed_at: datetime = Field(
        default_factory=now, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
