"""quality and valuations

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.sqltypes import Money

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "asset_valuation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("inputs", sa.String(), nullable=False),
        sa.Column("value", Money(), nullable=False),
        sa.Column("breakdown", sa.String(), nullable=False),
        sa.Column("valuer_id", sa.Uuid(), nullable=True),
        sa.Column("valued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["asset.id"],
        ),
        sa.ForeignKeyConstraint(
            ["valuer_id"],
            ["organization.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("asset_valuation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_valuation_asset_id"), ["asset_id"], unique=False)

    op.create_table(
        "quality_assessment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("scores", sa.String(), nullable=False),
        sa.Column("weights", sa.String(), nullable=False),
        sa.Column("overall", sa.String(length=40), nullable=False),
        sa.Column("assessor_id", sa.Uuid(), nullable=True),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessor_id"],
            ["organization.id"],
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["asset.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("quality_assessment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quality_assessment_asset_id"), ["asset_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("quality_assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quality_assessment_asset_id"))

    op.drop_table("quality_assessment")
    with op.batch_alter_table("asset_valuation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_valuation_asset_id"))

    op.drop_table("asset_valuation")
