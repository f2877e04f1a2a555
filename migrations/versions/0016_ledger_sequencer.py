"""ledger sequencer: domain transactions queue their facts in `ledger_fact`; the sequencer
numbers, chains and adds them to the tree in batches (issue 14 item 4)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_fact",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("subjects", sa.String(), nullable=False),
        sa.Column("parties", sa.String(), nullable=False),
        sa.Column("stamps", sa.String(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    # The queue: facts not yet sequenced, in id order (both engines have partial indexes).
    op.create_index(
        "ix_ledger_fact_pending",
        "ledger_fact",
        ["id"],
        postgresql_where=sa.text("seq IS NULL"),
        sqlite_where=sa.text("seq IS NULL"),
    )
    # Pruning sequenced facts by seq.
    op.create_index("ix_ledger_fact_seq", "ledger_fact", ["seq"])


def downgrade() -> None:
    op.drop_index("ix_ledger_fact_seq", table_name="ledger_fact")
    op.drop_index("ix_ledger_fact_pending", table_name="ledger_fact")
    op.drop_table("ledger_fact")
