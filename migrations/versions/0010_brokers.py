"""brokers

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 05:37:40.476208
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from core.sqltypes import Money


revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


INDICATORS = (
    ('DEALS_MATCHED', 'Deals matched', 'Deals the broker matched in the period; 10 is full marks.', 0, '0.10', 'TARGET', '10', False),
    ('DEALS_DELIVERED', 'Deals delivered', 'Deals delivered in the period; 10 is full marks.', 1, '0.10', 'TARGET', '10', False),
    ('DEALS_CANCELLED', 'Deals cancelled', 'Deals cancelled in the period; 10 points off each.', 2, '0.05', 'PENALTY', '10', False),
    ('DEAL_VALUE', 'Deal value (CNY)', 'Value of deals delivered; CNY 1,000,000 is full marks.', 3, '0.10', 'TARGET', '1000000', False),
    ('FLOWS_RECORDED', 'Fusion flows recorded', 'Flows recorded (Art. 24); 20 is full marks.', 4, '0.10', 'TARGET', '20', False),
    ('FLOW_BASIS_COMPLETE_SHARE', 'Flows with complete legal basis', 'Recorded flows ÷ flows attempted (recorded + refused for a missing basis).', 5, '0.15', 'RATIO', '1', False),
    ('CONSENT_DENIALS', 'Denied consent checks', 'Uses the consent gate denied the broker; 5 points off each.', 6, '0.10', 'PENALTY', '5', False),
    ('COMPLAINTS_PER_100_FLOWS', 'Complaints per 100 flows', 'Complaints against the broker received in the period per 100 flows; 10 points off each.', 7, '0.10', 'PENALTY', '10', False),
    ('COMPLAINTS_ON_TIME_SHARE', 'Complaints resolved on time', 'Of the complaints due in the period, the share resolved by their due time.', 8, '0.05', 'RATIO', '1', False),
    ('LICENCE_SUSPENSIONS', 'Licence suspensions', 'Suspensions in the period; 50 points off each.', 9, '0.05', 'PENALTY', '50', False),
    ('USES_AFTER_REVOCATION', 'Uses after revocation', 'Data uses allowed after the consent was revoked. Must be 0: any grades the broker D.', 10, '0.10', 'PENALTY', '100', True),
)  # fmt: skip
GRADES = (("A", "85"), ("B", "70"), ("C", "55"), ("D", "0"))
# The published risk rules (defined here only; tests/broker/test_evaluation.py checks its
# test data against a new database): a rule fires when the broker's period value is above
# the threshold.
RISK_RULES = (
    (
        "COMPLAINT_RATE",
        "Complaints per 100 fusion flows in the period (with at least one complaint).",
        "5",
    ),
    ("FLOW_BASIS_MISSING", "Fusion flows refused for a missing legal basis or consent.", "0"),
    (
        "ACTIVITY_WHILE_SUSPENDED",
        "Broker actions attempted while the licence was not LICENSED.",
        "0",
    ),
    ("USE_AFTER_REVOCATION", "Data uses recorded after the consent was revoked.", "0"),
)


def upgrade() -> None:
    op.create_table(
        "supervision_grade",
        sa.Column("grade", sa.String(length=8), nullable=False),
        sa.Column("min_score", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("grade"),
    )
    op.create_table(
        "supervision_indicator",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("weight", sa.String(length=40), nullable=False),
        sa.Column(
            "scoring",
            sa.Enum("RATIO", "TARGET", "PENALTY", name="scoring", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("parameter", sa.String(length=40), nullable=False),
        sa.Column("veto", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "broker_evaluation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("broker_id", sa.Uuid(), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("facts", sa.String(), nullable=False),
        sa.Column("indicators", sa.String(), nullable=False),
        sa.Column("score", sa.String(length=40), nullable=False),
        sa.Column("grade", sa.String(length=8), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["broker_id"],
            ["organization.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("period_start", "period_end", "broker_id"),
    )
    with op.batch_alter_table("broker_evaluation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_broker_evaluation_broker_id"), ["broker_id"], unique=False
        )
        batch_op.create_index(
            "ix_broker_evaluation_evaluated_id", ["evaluated_at", "id"], unique=False
        )

    op.create_table(
        "broker_licence",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("broker_id", sa.Uuid(), nullable=False),
        sa.Column(
            "broker_type",
            sa.Enum(
                "TECHNOLOGY_ENABLEMENT",
                "DATA_ENABLEMENT",
                "ENTRUSTED_RIGHTS",
                name="brokertype",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("business_scope", sa.String(length=2000), nullable=False),
        sa.Column("scenarios", sa.String(length=2000), nullable=False),
        sa.Column("mlps_level", sa.Integer(), nullable=False),
        sa.Column("dcmm_level", sa.Integer(), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("minors_data_handling", sa.String(length=2000), nullable=False),
        sa.Column("sensitive_data_handling", sa.String(length=2000), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "APPLIED",
                "LICENSED",
                "REJECTED",
                "SUSPENDED",
                "REVOKED",
                "EXPIRED",
                name="licencestatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("grade", sa.String(length=8), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("licensed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.String(length=2000), nullable=False),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["broker_id"],
            ["organization.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("broker_licence", schema=None) as batch_op:
        batch_op.create_index("ix_broker_licence_applied_id", ["applied_at", "id"], unique=False)
        batch_op.create_index(
            "ix_broker_licence_broker_applied", ["broker_id", "applied_at"], unique=False
        )

    op.create_table(
        "broker_refusal",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("broker_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "LICENCE_NOT_ACTIVE",
                "FLOW_BASIS_MISSING",
                "CONSENT_DENIED",
                name="refusalkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column(
            "licence_status",
            sa.Enum(
                "APPLIED",
                "LICENSED",
                "REJECTED",
                "SUSPENDED",
                "REVOKED",
                "EXPIRED",
                name="licencestatus",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("codes", sa.String(length=2000), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["broker_id"],
            ["organization.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("broker_refusal", schema=None) as batch_op:
        batch_op.create_index("ix_broker_refusal_at", ["at", "broker_id"], unique=False)

    op.create_table(
        "broker_risk_alert",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "rule",
            sa.Enum(
                "COMPLAINT_RATE",
                "FLOW_BASIS_MISSING",
                "ACTIVITY_WHILE_SUSPENDED",
                "USE_AFTER_REVOCATION",
                name="alertrule",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("broker_id", sa.Uuid(), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value", sa.String(length=40), nullable=False),
        sa.Column("threshold", sa.String(length=40), nullable=False),
        sa.Column("message", sa.String(length=2000), nullable=False),
        sa.Column(
            "status",
            sa.Enum("OPEN", "ACKNOWLEDGED", name="alertstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by_id", sa.Uuid(), nullable=True),
        sa.Column("acknowledgement", sa.String(length=2000), nullable=False),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"],
            ["organization.id"],
        ),
        sa.ForeignKeyConstraint(
            ["broker_id"],
            ["organization.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rule", "broker_id", "period_start", "period_end"),
    )
    with op.batch_alter_table("broker_risk_alert", schema=None) as batch_op:
        batch_op.create_index("ix_broker_risk_alert_raised_id", ["raised_at", "id"], unique=False)

    op.create_table(
        "broker_data_flow",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("broker_id", sa.Uuid(), nullable=False),
        sa.Column("output_asset_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("scenario", sa.String(length=2000), nullable=False),
        sa.Column("recipients", sa.String(length=4000), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["broker_id"],
            ["organization.id"],
        ),
        sa.ForeignKeyConstraint(
            ["output_asset_id"],
            ["asset.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("broker_data_flow", schema=None) as batch_op:
        batch_op.create_index("ix_broker_data_flow_output", ["output_asset_id"], unique=False)
        batch_op.create_index(
            "ix_broker_data_flow_recorded", ["recorded_at", "broker_id"], unique=False
        )

    op.create_table(
        "broker_entrustment",
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("broker_id", sa.Uuid(), nullable=False),
        sa.Column("entrusted_by_id", sa.Uuid(), nullable=False),
        sa.Column("entrusted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["asset.id"],
        ),
        sa.ForeignKeyConstraint(
            ["broker_id"],
            ["organization.id"],
        ),
        sa.ForeignKeyConstraint(
            ["entrusted_by_id"],
            ["organization.id"],
        ),
        sa.PrimaryKeyConstraint("asset_id", "broker_id"),
    )
    op.create_table(
        "broker_licence_decision",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("licence_id", sa.Uuid(), nullable=False),
        sa.Column("broker_id", sa.Uuid(), nullable=False),
        sa.Column(
            "decision",
            sa.Enum(
                "APPROVE",
                "REJECT",
                "SUSPEND",
                "REINSTATE",
                "REVOKE",
                name="licencedecisionkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "from_status",
            sa.Enum(
                "APPLIED",
                "LICENSED",
                "REJECTED",
                "SUSPENDED",
                "REVOKED",
                "EXPIRED",
                name="licencestatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                "APPLIED",
                "LICENSED",
                "REJECTED",
                "SUSPENDED",
                "REVOKED",
                "EXPIRED",
                name="licencestatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["broker_id"],
            ["organization.id"],
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["organization.id"],
        ),
        sa.ForeignKeyConstraint(
            ["licence_id"],
            ["broker_licence.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("broker_licence_decision", schema=None) as batch_op:
        batch_op.create_index(
            "ix_broker_licence_decision_at", ["decided_at", "broker_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_broker_licence_decision_licence_id"), ["licence_id"], unique=False
        )

    op.create_table(
        "broker_listing",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("broker_id", sa.Uuid(), nullable=False),
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("price", Money(), nullable=False),
        sa.Column(
            "pricing_model",
            sa.Enum(
                "ONE_TIME",
                "SUBSCRIPTION",
                "PER_CALL",
                "REVENUE_SHARE",
                name="pricingmodel",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("purposes", sa.String(length=2000), nullable=False),
        sa.Column("term", sa.String(length=40), nullable=False),
        sa.Column("territory", sa.String(length=200), nullable=False),
        sa.Column("resale", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("LISTED", "DELISTED", name="listingstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("listed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delisted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delist_reason", sa.String(length=2000), nullable=False),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["asset.id"],
        ),
        sa.ForeignKeyConstraint(
            ["broker_id"],
            ["organization.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("broker_listing", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_broker_listing_asset_id"), ["asset_id"], unique=False)
        batch_op.create_index("ix_broker_listing_broker", ["broker_id", "listed_at"], unique=False)
        batch_op.create_index("ix_broker_listing_listed_id", ["listed_at", "id"], unique=False)

    op.create_table(
        "broker_data_flow_consent",
        sa.Column("flow_id", sa.Uuid(), nullable=False),
        sa.Column("consent_id", sa.Uuid(), nullable=False),
        sa.Column("item", sa.String(length=120), nullable=False),
        sa.Column("use_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consent_id"],
            ["consent.id"],
        ),
        sa.ForeignKeyConstraint(
            ["flow_id"],
            ["broker_data_flow.id"],
        ),
        sa.ForeignKeyConstraint(
            ["use_id"],
            ["data_use.id"],
        ),
        sa.PrimaryKeyConstraint("flow_id", "consent_id", "item"),
    )
    op.create_table(
        "broker_data_flow_input",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("flow_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "PUBLIC_RESOURCE",
                "NON_PUBLIC_DATASET",
                "ASSET",
                name="flowinputkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("resource_id", sa.Uuid(), nullable=True),
        sa.Column(
            "basis",
            sa.Enum(
                "REGISTERED_PUBLIC_ASSET",
                "UNCONDITIONAL_SHARE",
                name="resourcebasis",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("asset_id", sa.Uuid(), nullable=True),
        sa.Column("dataset_name", sa.String(length=200), nullable=False),
        sa.Column("dataset_holder", sa.String(length=200), nullable=False),
        sa.Column("legal_basis", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["asset.id"],
        ),
        sa.ForeignKeyConstraint(
            ["flow_id"],
            ["broker_data_flow.id"],
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("broker_data_flow_input", schema=None) as batch_op:
        batch_op.create_index("ix_broker_data_flow_input_asset", ["asset_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_broker_data_flow_input_flow_id"), ["flow_id"], unique=False
        )

    op.create_table(
        "broker_deal",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("listing_id", sa.Uuid(), nullable=False),
        sa.Column("broker_id", sa.Uuid(), nullable=False),
        sa.Column("buyer_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("scenario", sa.String(length=2000), nullable=False),
        sa.Column("price", Money(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "MATCHED",
                "CONFIRMED",
                "DELIVERED",
                "CANCELLED",
                name="dealstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("matched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=2000), nullable=False),
        sa.Column("cancelled_by_id", sa.Uuid(), nullable=True),
        sa.Column("delivery_note", sa.String(length=2000), nullable=False),
        sa.ForeignKeyConstraint(
            ["broker_id"],
            ["organization.id"],
        ),
        sa.ForeignKeyConstraint(
            ["buyer_id"],
            ["organization.id"],
        ),
        sa.ForeignKeyConstraint(
            ["cancelled_by_id"],
            ["organization.id"],
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["broker_listing.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("broker_deal", schema=None) as batch_op:
        batch_op.create_index(
            "ix_broker_deal_broker_matched", ["broker_id", "matched_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_broker_deal_buyer_id"), ["buyer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_broker_deal_listing_id"), ["listing_id"], unique=False)
        batch_op.create_index("ix_broker_deal_matched_id", ["matched_at", "id"], unique=False)

    # The published defaults, defined here only (the authority changes them through
    # updateSupervisionIndicator and updateSupervisionGrade, never by migration).
    indicator = sa.table(
        "supervision_indicator",
        sa.column("code", sa.String), sa.column("name", sa.String),
        sa.column("description", sa.String), sa.column("position", sa.Integer),
        sa.column("weight", sa.String), sa.column("scoring", sa.String),
        sa.column("parameter", sa.String), sa.column("veto", sa.Boolean),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )  # fmt: skip
    seeded_at = datetime(2026, 11, 27, tzinfo=UTC)
    op.bulk_insert(
        indicator,
        [
            dict(zip(("code", "name", "description", "position", "weight", "scoring",
                      "parameter", "veto"), row, strict=True), updated_at=seeded_at)
            for row in INDICATORS
        ],
    )  # fmt: skip
    grade = sa.table(
        "supervision_grade", sa.column("grade", sa.String), sa.column("min_score", sa.String)
    )
    op.bulk_insert(grade, [{"grade": g, "min_score": m} for g, m in GRADES])

    op.create_table(
        "broker_risk_rule",
        sa.Column(
            "rule",
            sa.Enum("COMPLAINT_RATE", "FLOW_BASIS_MISSING", "ACTIVITY_WHILE_SUSPENDED",
                    "USE_AFTER_REVOCATION", name="alertrule", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("threshold", sa.String(length=40), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("rule"),
    )  # fmt: skip
    rule = sa.table(
        "broker_risk_rule",
        sa.column("rule", sa.String), sa.column("description", sa.String),
        sa.column("threshold", sa.String), sa.column("enabled", sa.Boolean),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )  # fmt: skip
    op.bulk_insert(
        rule,
        [
            {"rule": r, "description": d, "threshold": t, "enabled": True, "updated_at": seeded_at}
            for r, d, t in RISK_RULES
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("broker_deal", schema=None) as batch_op:
        batch_op.drop_index("ix_broker_deal_matched_id")
        batch_op.drop_index(batch_op.f("ix_broker_deal_listing_id"))
        batch_op.drop_index(batch_op.f("ix_broker_deal_buyer_id"))
        batch_op.drop_index("ix_broker_deal_broker_matched")

    op.drop_table("broker_deal")
    with op.batch_alter_table("broker_data_flow_input", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_broker_data_flow_input_flow_id"))
        batch_op.drop_index("ix_broker_data_flow_input_asset")

    op.drop_table("broker_data_flow_input")
    op.drop_table("broker_data_flow_consent")
    with op.batch_alter_table("broker_listing", schema=None) as batch_op:
        batch_op.drop_index("ix_broker_listing_listed_id")
        batch_op.drop_index("ix_broker_listing_broker")
        batch_op.drop_index(batch_op.f("ix_broker_listing_asset_id"))

    op.drop_table("broker_listing")
    with op.batch_alter_table("broker_licence_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_broker_licence_decision_licence_id"))
        batch_op.drop_index("ix_broker_licence_decision_at")

    op.drop_table("broker_licence_decision")
    op.drop_table("broker_entrustment")
    with op.batch_alter_table("broker_data_flow", schema=None) as batch_op:
        batch_op.drop_index("ix_broker_data_flow_recorded")
        batch_op.drop_index("ix_broker_data_flow_output")

    op.drop_table("broker_data_flow")
    with op.batch_alter_table("broker_risk_alert", schema=None) as batch_op:
        batch_op.drop_index("ix_broker_risk_alert_raised_id")

    op.drop_table("broker_risk_alert")
    with op.batch_alter_table("broker_refusal", schema=None) as batch_op:
        batch_op.drop_index("ix_broker_refusal_at")

    op.drop_table("broker_refusal")
    with op.batch_alter_table("broker_licence", schema=None) as batch_op:
        batch_op.drop_index("ix_broker_licence_broker_applied")
        batch_op.drop_index("ix_broker_licence_applied_id")

    op.drop_table("broker_licence")
    with op.batch_alter_table("broker_evaluation", schema=None) as batch_op:
        batch_op.drop_index("ix_broker_evaluation_evaluated_id")
        batch_op.drop_index(batch_op.f("ix_broker_evaluation_broker_id"))

    op.drop_table("broker_evaluation")
    op.drop_table("supervision_indicator")
    op.drop_table("supervision_grade")
    op.drop_table("broker_risk_rule")
