"""supervision: one indicator engine for brokers and agencies; CDOs, system inventory, IT
projects, agency scorecards, findings and rectifications (issue 13)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 04:30:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from core.sqltypes import Money

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("BROKER", "AGENCY")

# Art. 30: the agency indicators published at launch (the authority changes them through
# updateAgencyIndicator / updateAgencyGrade, never by migration). Codes are unique across
# subject kinds. (code, name, description, weight, scoring, parameter, veto)
AGENCY_INDICATORS = (
    ("CATALOGUE_COVERAGE", "Catalogue coverage",
     "Share of the data items the agency claims (Art. 8) that appear in one of its catalogue "
     "entries at the end of the period (Art. 9).", "0.20", "RATIO", "1", False),
    ("CATALOGUE_FRESHNESS", "Catalogue freshness",
     "Share of catalogue-entry time in the period during which the entry was not stale "
     "(Art. 11), time-weighted.", "0.20", "RATIO", "1", False),
    ("SHARE_ANSWERS_ON_TIME", "Share answers on time",
     "Share of conditional share requests falling due in the period answered within 5 "
     "working days (Art. 15).", "0.15", "RATIO", "1", False),
    ("SHARE_DELIVERIES_ON_TIME", "Deliveries on time",
     "Share of approved requests falling due for delivery in the period delivered within 5 "
     "working days (Art. 15).", "0.10", "RATIO", "1", False),
    ("REFUSALS_OVERTURNED", "Refusals overturned",
     "Refusals by the agency overturned by the data authority on dispute in the period "
     "(Art. 15); each costs 20 points.", "0.05", "PENALTY", "20", False),
    ("ANOMALIES_ANSWERED_ON_TIME", "Anomaly reports answered on time",
     "Share of anomaly reports falling due in the period answered within 5 working days "
     "(Art. 19).", "0.10", "RATIO", "1", False),
    ("USAGE_REPORTS_FILED", "Usage reports filed",
     "Share of usage reports due from the agency as a grantee that were filed (Art. 20).",
     "0.05", "RATIO", "1", False),
    ("OUT_OF_GRANT_ATTEMPTS", "Out-of-grant access attempts",
     "Access attempts by the agency as a grantee refused as outside its grant (Art. 16, 17); "
     "each costs 10 points.", "0.10", "PENALTY", "10", False),
    ("OPEN_RECTIFICATIONS", "Open rectifications",
     "Rectification orders open against the agency at the end of the period (Art. 35); each "
     "costs 25 points.", "0.05", "PENALTY", "25", False),
)  # fmt: skip
AGENCY_GRADES = (("A", "85"), ("B", "70"), ("C", "55"), ("D", "0"))


def _kind(primary_key: bool = False) -> sa.Column:
    return sa.Column(
        "subject_kind",
        sa.Enum(*KINDS, name="subjectkind", native_enum=False, length=32),
        nullable=False,
        server_default="BROKER",
        primary_key=primary_key,
    )


def upgrade() -> None:
    # One definitions table with a subject kind: the broker's rows become BROKER rows.
    with op.batch_alter_table("supervision_indicator") as batch_op:
        batch_op.add_column(_kind())
    # The grades are per subject kind: the table is rebuilt with (subject_kind, grade) as key.
    bind = op.get_bind()
    old = bind.execute(sa.text("SELECT grade, min_score FROM supervision_grade")).all()
    op.drop_table("supervision_grade")
    grade = op.create_table(
        "supervision_grade",
        _kind(primary_key=True),
        sa.Column("grade", sa.String(length=8), nullable=False, primary_key=True),
        sa.Column("min_score", sa.String(length=40), nullable=False),
    )
    op.bulk_insert(
        grade,
        [{"subject_kind": "BROKER", "grade": g, "min_score": m} for g, m in old]
        + [{"subject_kind": "AGENCY", "grade": g, "min_score": m} for g, m in AGENCY_GRADES],
    )
    indicator = sa.table(
        "supervision_indicator",
        sa.column("code", sa.String), sa.column("subject_kind", sa.String),
        sa.column("name", sa.String), sa.column("description", sa.String),
        sa.column("position", sa.Integer), sa.column("weight", sa.String),
        sa.column("scoring", sa.String), sa.column("parameter", sa.String),
        sa.column("veto", sa.Boolean), sa.column("updated_at", sa.DateTime(timezone=True)),
    )  # fmt: skip
    seeded_at = datetime(2026, 12, 3, tzinfo=UTC)
    op.bulk_insert(
        indicator,
        [
            dict(zip(("code", "name", "description", "weight", "scoring", "parameter", "veto"),
                     row, strict=True),
                 subject_kind="AGENCY", position=position, updated_at=seeded_at)
            for position, row in enumerate(AGENCY_INDICATORS, start=1)
        ],
    )  # fmt: skip

    _create_supervision_tables()


def _create_supervision_tables() -> None:
    op.create_table(
        "supervision_cdo",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("appointed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("appointed_by_id", sa.Uuid(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=2000), nullable=False),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointed_by_id"],
            ["organization.id"],
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_supervision_cdo_org_appointed",
        "supervision_cdo",
        ["organization_id", "appointed_at", "id"],
        unique=False,
    )
    op.create_index(
        "ux_supervision_cdo_current",
        "supervision_cdo",
        ["organization_id"],
        unique=True,
        postgresql_where=sa.text("ended_at IS NULL"),
        sqlite_where=sa.text("ended_at IS NULL"),
    )
    op.create_table(
        "supervision_project",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("budget", Money(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "FILED", "APPROVED", "ACCEPTED", name="projectstatus", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("override_reason", sa.String(length=2000), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["organization.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_supervision_project_agency_id"), "supervision_project", ["agency_id"], unique=False
    )
    op.create_index(
        "ix_supervision_project_filed_id", "supervision_project", ["filed_at", "id"], unique=False
    )
    op.create_table(
        "supervision_rectification",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "ORDERED",
                "REPORTED",
                "ACCEPTED",
                "REOPENED",
                "ESCALATED",
                name="rectificationstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("instructions", sa.String(length=4000), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("ordered_by_id", sa.Uuid(), nullable=False),
        sa.Column("ordered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_provisional", sa.Boolean(), nullable=False),
        sa.Column("evidence", sa.String(length=4000), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.String(length=4000), nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["organization.id"],
        ),
        sa.ForeignKeyConstraint(
            ["ordered_by_id"],
            ["organization.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_supervision_rectification_agency_id"),
        "supervision_rectification",
        ["agency_id"],
        unique=False,
    )
    op.create_index(
        "ix_supervision_rectification_ordered_id",
        "supervision_rectification",
        ["ordered_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_supervision_rectification_status_due",
        "supervision_rectification",
        ["status", "due_at"],
        unique=False,
    )
    op.create_table(
        "supervision_scorecard",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("facts", sa.String(), nullable=False),
        sa.Column("indicators", sa.String(), nullable=False),
        sa.Column("score", sa.String(length=40), nullable=False),
        sa.Column("grade", sa.String(length=8), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["organization.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("period_start", "period_end", "agency_id"),
    )
    op.create_index(
        "ix_supervision_scorecard_agency_end",
        "supervision_scorecard",
        ["agency_id", "period_end"],
        unique=False,
    )
    op.create_index(
        "ix_supervision_scorecard_evaluated_id",
        "supervision_scorecard",
        ["evaluated_at", "id"],
        unique=False,
    )
    op.create_table(
        "supervision_system",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("design_doc_sha256", sa.String(length=64), nullable=False),
        sa.Column("data_structure_doc_sha256", sa.String(length=64), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["organization.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("owner_id", "name"),
    )
    op.create_index(
        op.f("ix_supervision_system_owner_id"), "supervision_system", ["owner_id"], unique=False
    )
    op.create_index(
        "ix_supervision_system_registered_id",
        "supervision_system",
        ["registered_at", "id"],
        unique=False,
    )
    op.create_table(
        "supervision_finding",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "OVERDUE_ANSWER",
                "OVERDUE_DELIVERY",
                "STALE_CATALOGUE",
                "OUT_OF_GRANT_USE",
                "UNRECORDED_CHANGE",
                "DEMAND_ALREADY_GRANTED",
                name="findingkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("article_item", sa.String(length=16), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("subject_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.String(length=2000), nullable=False),
        sa.Column("evidence", sa.String(), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        sa.Column("rectification_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["organization.id"],
        ),
        sa.ForeignKeyConstraint(
            ["rectification_id"],
            ["supervision_rectification.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index(
        op.f("ix_supervision_finding_agency_id"), "supervision_finding", ["agency_id"], unique=False
    )
    op.create_index(
        "ix_supervision_finding_detected_id",
        "supervision_finding",
        ["detected_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_supervision_finding_subject",
        "supervision_finding",
        ["kind", "subject_id", "subject_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_supervision_finding_rectification_id"),
        "supervision_finding",
        ["rectification_id"],
        unique=False,
    )
    op.create_table(
        "supervision_project_item",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("data_item_id", sa.Uuid(), nullable=True),
        sa.Column("resource_code", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "(data_item_id IS NULL) <> (resource_code IS NULL)", name="one_kind_of_item"
        ),
        sa.ForeignKeyConstraint(
            ["data_item_id"],
            ["data_item.id"],
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["supervision_project.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_supervision_project_item_project_id"),
        "supervision_project_item",
        ["project_id"],
        unique=False,
    )
    op.create_table(
        "supervision_system_resource",
        sa.Column("system_id", sa.Uuid(), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
        ),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["supervision_system.id"],
        ),
        sa.PrimaryKeyConstraint("system_id", "resource_id"),
    )
    op.create_index(
        op.f("ix_supervision_system_resource_resource_id"),
        "supervision_system_resource",
        ["resource_id"],
        unique=False,
    )
    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_index(
        op.f("ix_supervision_system_resource_resource_id"), table_name="supervision_system_resource"
    )
    op.drop_table("supervision_system_resource")
    op.drop_index(
        op.f("ix_supervision_project_item_project_id"), table_name="supervision_project_item"
    )
    op.drop_table("supervision_project_item")
    op.drop_index(op.f("ix_supervision_finding_rectification_id"), table_name="supervision_finding")
    op.drop_index("ix_supervision_finding_subject", table_name="supervision_finding")
    op.drop_index("ix_supervision_finding_detected_id", table_name="supervision_finding")
    op.drop_index(op.f("ix_supervision_finding_agency_id"), table_name="supervision_finding")
    op.drop_table("supervision_finding")
    op.drop_index("ix_supervision_system_registered_id", table_name="supervision_system")
    op.drop_index(op.f("ix_supervision_system_owner_id"), table_name="supervision_system")
    op.drop_table("supervision_system")
    op.drop_index("ix_supervision_scorecard_evaluated_id", table_name="supervision_scorecard")
    op.drop_index("ix_supervision_scorecard_agency_end", table_name="supervision_scorecard")
    op.drop_table("supervision_scorecard")
    op.drop_index("ix_supervision_rectification_status_due", table_name="supervision_rectification")
    op.drop_index("ix_supervision_rectification_ordered_id", table_name="supervision_rectification")
    op.drop_index(
        op.f("ix_supervision_rectification_agency_id"), table_name="supervision_rectification"
    )
    op.drop_table("supervision_rectification")
    op.drop_index("ix_supervision_project_filed_id", table_name="supervision_project")
    op.drop_index(op.f("ix_supervision_project_agency_id"), table_name="supervision_project")
    op.drop_table("supervision_project")
    op.drop_index(
        "ux_supervision_cdo_current",
        table_name="supervision_cdo",
        postgresql_where=sa.text("ended_at IS NULL"),
        sqlite_where=sa.text("ended_at IS NULL"),
    )
    op.drop_index("ix_supervision_cdo_org_appointed", table_name="supervision_cdo")
    op.drop_table("supervision_cdo")
    # ### end Alembic commands ###
    op.execute(sa.text("DELETE FROM supervision_indicator WHERE subject_kind = 'AGENCY'"))
    with op.batch_alter_table("supervision_indicator") as batch_op:
        batch_op.drop_column("subject_kind")
    bind = op.get_bind()
    old = bind.execute(
        sa.text("SELECT grade, min_score FROM supervision_grade WHERE subject_kind = 'BROKER'")
    ).all()
    op.drop_table("supervision_grade")
    grade = op.create_table(
        "supervision_grade",
        sa.Column("grade", sa.String(length=8), nullable=False),
        sa.Column("min_score", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("grade"),
    )
    op.bulk_insert(grade, [{"grade": g, "min_score": m} for g, m in old])
