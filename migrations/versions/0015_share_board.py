"""share board: late answers and deliveries tallied per source department as they happen, and
the due-date indexes cover the department, so the overdue board reads open requests only
(issue 12: board p99 < 50 ms over 100,000 requests)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DUE = (("answer", "ix_share_request_status_answer_due"),
       ("delivery", "ix_share_request_status_delivery_due"))  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "share_lateness",
        sa.Column("source_department_id", sa.Uuid(), nullable=False),
        sa.Column("late_answers", sa.Integer(), nullable=False),
        sa.Column("late_deliveries", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["source_department_id"], ["organization.id"]),
        sa.PrimaryKeyConstraint("source_department_id"),
    )
    # The tallies so far, from the requests (before this revision an overturned refusal's
    # new answer time could also count as late; from now on only the department's own acts).
    op.execute(
        "INSERT INTO share_lateness (source_department_id, late_answers, late_deliveries) "
        "SELECT source_department_id, "
        "SUM(CASE WHEN answered_at > answer_due_at THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN delivered_at > delivery_due_at THEN 1 ELSE 0 END) "
        "FROM share_request WHERE answered_at > answer_due_at OR delivered_at > delivery_due_at "
        "GROUP BY source_department_id"
    )
    with op.batch_alter_table("share_request", schema=None) as batch_op:
        for what, name in DUE:
            batch_op.drop_index(name)
            batch_op.create_index(name, ["status", f"{what}_due_at", "source_department_id"])


def downgrade() -> None:
    with op.batch_alter_table("share_request", schema=None) as batch_op:
        for what, name in DUE:
            batch_op.drop_index(name)
            batch_op.create_index(name, ["status", f"{what}_due_at"])
    op.drop_table("share_lateness")
