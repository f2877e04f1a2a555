"""resource catalogue

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "resource",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=4000), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column(
            "share_type",
            sa.Enum(
                "UNCONDITIONAL",
                "CONDITIONAL",
                "NOT_SHARED",
                name="sharetype",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("share_conditions", sa.String(length=2000), nullable=False),
        sa.Column("share_legal_basis", sa.String(length=2000), nullable=False),
        sa.Column(
            "open_type",
            sa.Enum(
                "OPEN",
                "CONDITIONAL_OPEN",
                "NOT_OPEN",
                name="opentype",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "delivery",
            sa.Enum("TABLE", "API", "FILE", name="delivery", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "update_frequency",
            sa.Enum(
                "REALTIME",
                "DAILY",
                "WEEKLY",
                "MONTHLY",
                "QUARTERLY",
                "YEARLY",
                "ON_CHANGE",
                name="updatefrequency",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "sensitivity",
            sa.Enum(
                "GENERAL", "IMPORTANT", "CORE", name="sensitivity", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("contains_personal_info", sa.Boolean(), nullable=False),
        sa.Column("last_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stale_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["organization.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resource_open_type"), ["open_type"], unique=False)
        batch_op.create_index("ix_resource_owner_code", ["owner_id", "code"], unique=False)
        batch_op.create_index(batch_op.f("ix_resource_stale_after"), ["stale_after"], unique=False)

    op.create_table(
        "resource_change",
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_by_id", sa.Uuid(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("change", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["organization.id"],
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
        ),
        sa.PrimaryKeyConstraint("resource_id", "version"),
    )
    op.create_table(
        "resource_item",
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("data_item_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["data_item_id"],
            ["data_item.id"],
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
        ),
        sa.PrimaryKeyConstraint("resource_id", "data_item_id"),
    )


def downgrade() -> None:
    op.drop_table("resource_item")
    op.drop_table("resource_change")
    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_stale_after"))
        batch_op.drop_index("ix_resource_owner_code")
        batch_op.drop_index(batch_op.f("ix_resource_open_type"))

    op.drop_table("resource")
