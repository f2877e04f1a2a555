"""data items

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_item",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("legal_basis", sa.String(length=1000), nullable=False),
        sa.Column("source_department_id", sa.Uuid(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_department_id"],
            ["organization.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("data_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_data_item_source_department_id"), ["source_department_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("data_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_item_source_department_id"))

    op.drop_table("data_item")
