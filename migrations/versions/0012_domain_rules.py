"""risk rules need a minimum volume before a rate alerts (issue 10 §8)

Revision ID: 0012
Revises: 0010 (the integrator re-chains)
Create Date: 2026-12-02 23:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A rate rule fires only once its denominator reaches this in the period: one complaint
# about a broker with one flow is not "100 complaints per 100 flows". 20 flows: from there a
# single complaint is 5 per 100, not above the published threshold of 5; two are.
COMPLAINT_RATE_MIN_FLOWS = 20
COMPLAINT_RATE_DESCRIPTION = (
    "Complaints per 100 fusion flows in the period, once the broker recorded at least "
    "minVolume flows in it (and had at least one complaint)."
)
OLD_DESCRIPTION = "Complaints per 100 fusion flows in the period (with at least one complaint)."


def upgrade() -> None:
    with op.batch_alter_table("broker_risk_rule") as batch_op:
        batch_op.add_column(
            sa.Column("min_volume", sa.Integer(), nullable=False, server_default="0")
        )
    rule = sa.table(
        "broker_risk_rule",
        sa.column("rule", sa.String),
        sa.column("min_volume", sa.Integer),
        sa.column("description", sa.String),
    )
    op.execute(
        rule.update()
        .where(rule.c.rule == "COMPLAINT_RATE")
        .values(min_volume=COMPLAINT_RATE_MIN_FLOWS, description=COMPLAINT_RATE_DESCRIPTION)
    )


def downgrade() -> None:
    rule = sa.table("broker_risk_rule", sa.column("rule", sa.String), sa.column("description", sa.String))
    op.execute(
        rule.update().where(rule.c.rule == "COMPLAINT_RATE").values(description=OLD_DESCRIPTION)
    )
    with op.batch_alter_table("broker_risk_rule") as batch_op:
        batch_op.drop_column("min_volume")
