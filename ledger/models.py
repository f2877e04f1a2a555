"""Ledger tables. `ledger_entry`, `ledger_node`, `ledger_checkpoint` and
`ledger_cosignature` are append-only (a database trigger refuses UPDATE and DELETE);
`ledger_head` is the single row appends lock; salts live apart so they can be erased.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.clock import now
from core.sqltypes import UTCDateTime


class LedgerEntry(SQLModel, table=True):
    """One recorded fact. The columns are exactly the hashed document's fields, stored as
    canonical JSON text, so `pdex ledger verify` re-derives the hash from what is stored."""

    __tablename__ = "ledger_entry"

    seq: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False))
    kind: str = Field(max_length=100, index=True)
    actor: str  # canonical JSON object
    at: str = Field(max_length=32)  # RFC 3339 UTC, exactly as hashed
    prev: str = Field(max_length=64)
    body: str  # canonical JSON object
    subjects: str  # canonical JSON list of subject commitments
    hash: str = Field(max_length=64)


class LedgerParty(SQLModel, table=True):
    """Who may read an entry besides the authority and auditors: `org:<uuid>` or
    `subject:<id>`. An index beside the log, not part of it (it may name a person)."""

    __tablename__ = "ledger_party"

    party: str = Field(max_length=120, primary_key=True)
    seq: int = Field(
        sa_column=sa.Column(sa.BigInteger, sa.ForeignKey("ledger_entry.seq"), primary_key=True)
    )


class LedgerNode(SQLModel, table=True):
    """Hash of the complete subtree covering leaves [idx·2^level, (idx+1)·2^level)."""

    __tablename__ = "ledger_node"

    level: int = Field(sa_column=sa.Column(sa.SmallInteger, primary_key=True, autoincrement=False))
    idx: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False))
    hash: bytes = Field(sa_column=sa.Column(sa.LargeBinary(32), nullable=False))


class LedgerHead(SQLModel, table=True):
    """The tip of the log: size, last hash and the frontier (roots of complete subtrees).
    Appenders lock this one row, which is what makes seq gap-free and the chain unforked."""

    __tablename__ = "ledger_head"

    id: int = Field(default=1, primary_key=True)
    size: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    last_hash: str = Field(max_length=64)
    frontier: str  # JSON list of hex hashes, highest level first


class Checkpoint(SQLModel, table=True):
    """A signed statement of the tree at one size (C2SP checkpoint body, BLS signature)."""

    __tablename__ = "ledger_checkpoint"

    tree_size: int = Field(
        sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False)
    )
    origin: str = Field(max_length=200)
    root_hash: str = Field(max_length=64)
    timestamp: str = Field(max_length=32)
    public_key: str = Field(max_length=96)  # the platform key that signed it
    signature: str = Field(max_length=192)


class WitnessKey(SQLModel, table=True):
    """An auditor's or the authority's BLS key, registered with a proof of possession."""

    __tablename__ = "ledger_witness"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organization_id: uuid.UUID = Field(foreign_key="organization.id", unique=True)
    public_key: str = Field(max_length=96, unique=True)
    last_signed_size: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False))
    registered_at: datetime = Field(
        default_factory=now, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )


class Cosignature(SQLModel, table=True):
    __tablename__ = "ledger_cosignature"

    tree_size: int = Field(
        sa_column=sa.Column(
            sa.BigInteger, sa.ForeignKey("ledger_checkpoint.tree_size"), primary_key=True
        )
    )
    witness_id: uuid.UUID = Field(foreign_key="ledger_witness.id", primary_key=True)
    signature: str = Field(max_length=192)
    signed_at: datetime = Field(
        default_factory=now, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )


class SubjectSalt(SQLModel, table=True):
    """The salt behind a data subject's ledger commitments. Deleting it (PIPL Art. 47)
    makes every commitment to that subject unlinkable, without touching a hash."""

    __tablename__ = "ledger_subject_salt"

    subject_id: str = Field(max_length=120, primary_key=True)
    salt: bytes = Field(sa_column=sa.Column(sa.LargeBinary(32), nullable=False))
    created_at: datetime = Field(
        default_factory=now, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )


class LedgerFact(SQLModel, table=True):
    """A fact a domain transaction recorded, waiting for the sequencer (`ledger.sequencer`)
    to give it its seq, chain it and add it to the tree. Written in the domain's own
    transaction, so a fact exists exactly when the change it records committed. Kept a while
    after it is sequenced (`seq` set) so a waiter in another process can read its seq."""

    __tablename__ = "ledger_fact"
    __table_args__ = (
        # The queue: facts not sequenced yet, in id order (both engines index part of a table).
        sa.Index(
            "ix_ledger_fact_pending",
            "id",
            postgresql_where=sa.text("seq IS NULL"),
            sqlite_where=sa.text("seq IS NULL"),
        ),
        sa.Index("ix_ledger_fact_seq", "seq"),  # pruning sequenced facts
    )

    # Autoincrement on both engines (SQLite: an INTEGER PRIMARY KEY is the rowid): ids are
    # taken in time order, which is the order the sequencer takes committed facts in.
    id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    )
    kind: str = Field(max_length=100)
    actor: str  # canonical JSON object, as it will be hashed
    at: str = Field(max_length=32)  # RFC 3339 UTC: when the fact was made
    body: str  # canonical JSON object
    subjects: str  # canonical JSON list of subject commitments
    parties: str  # JSON list of `org:<uuid>` / `subject:<id>` (ledger_party rows)
    stamps: str  # JSON list of [table, column, key column, key value]: rows to give the seq
    seq: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, nullable=True))
