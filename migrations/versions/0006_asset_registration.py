"""asset registration

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "asset",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "PUBLIC_DATA_ASSET",
                "DATA_PRODUCT",
                "DATA_SERVICE",
                name="assetkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=4000), nullable=False),
        sa.Column("scenario", sa.String(length=2000), nullable=False),
        sa.Column("rights", sa.String(length=100), nullable=False),
        sa.Column("delivery_mode", sa.String(length=200), nullable=False),
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
        sa.Column("time_span", sa.String(length=200), nullable=False),
        sa.Column("scale", sa.String(length=200), nullable=False),
        sa.Column("holder_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "DRAFT",
                "SUBMITTED",
                "PUBLIC_NOTICE",
                "OBJECTED",
                "REGISTERED",
                "REJECTED",
                "CANCELLED",
                name="assetstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("notice_ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("registration_number", sa.String(length=40), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("registration_seq", sa.BigInteger(), nullable=True),
        sa.Column("decision_reason", sa.String(length=2000), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["holder_id"],
            ["organization.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("registration_number"),
    )
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.create_index("ix_asset_holder_name", ["holder_id", "name"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_status"), ["status"], unique=False)

    op.create_table(
        "asset_objection",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("filed_by", sa.String(length=120), nullable=False),
        sa.Column("filed_by_org_id", sa.Uuid(), nullable=True),
        sa.Column("text", sa.String(length=4000), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("upheld", sa.Boolean(), nullable=True),
        sa.Column("resolution", sa.String(length=2000), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["asset.id"],
        ),
        sa.ForeignKeyConstraint(
            ["filed_by_org_id"],
            ["organization.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("asset_objection", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_objection_asset_id"), ["asset_id"], unique=False)

    op.create_table(
        "asset_source",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=True),
        sa.Column("dataset_name", sa.String(length=200), nullable=False),
        sa.Column("dataset_holder", sa.String(length=200), nullable=False),
        sa.Column("legal_basis", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["asset.id"],
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("asset_source", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_source_asset_id"), ["asset_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("asset_source", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_source_asset_id"))

    op.drop_table("asset_source")
    with op.batch_alter_table("asset_objection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_objection_asset_id"))

    op.drop_table("asset_objection")
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_status"))
        batch_op.drop_index(batch_op.f("ix_asset_name"))
        batch_op.drop_index("ix_asset_holder_name")

    op.drop_table("asset")
