"""calendar years entered whole; deadline bases; the asset notice clock

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

- `calendar_year`: the years whose official arrangement the authority entered whole.
- `complaint.due_provisional`, `asset.notice_ends_provisional`: the deadline was counted on a
  year whose arrangement is not known yet (recomputed when it is entered).
- `asset.notice_from`, `asset.notice_days`: the public notice clock, paused by objections.

Existing unresolved complaints due after the last year the `chinesecalendar` package covers
are marked provisional (no year was entered whole before this revision), so entering that
year recomputes them.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, time

import sqlalchemy as sa
from alembic import op

from core.calendar import PACKAGE_YEARS
from core.clock import SHANGHAI
from core.sqltypes import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_year",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("notice", sa.String(length=200), nullable=False),
        sa.Column("set_by_id", sa.Uuid(), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["set_by_id"], ["organization.id"]),
        sa.PrimaryKeyConstraint("year"),
    )
    op.add_column(
        "complaint",
        sa.Column("due_provisional", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "asset",
        sa.Column(
            "notice_ends_provisional", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
    )
    op.add_column("asset", sa.Column("notice_from", sa.DateTime(timezone=True), nullable=True))
    op.add_column("asset", sa.Column("notice_days", sa.Integer(), nullable=True))

    last_confirmed = datetime.combine(
        datetime(PACKAGE_YEARS.stop - 1, 12, 31), time.max, tzinfo=SHANGHAI
    ).astimezone(UTC)
    complaint = sa.table(
        "complaint",
        sa.column("status", sa.String()),
        sa.column("due_at", UTCDateTime()),
        sa.column("due_provisional", sa.Boolean()),
    )
    op.execute(
        complaint.update()
        .where(complaint.c.status != "RESOLVED", complaint.c.due_at > last_confirmed)
        .values(due_provisional=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("asset") as batch:
        batch.drop_column("notice_days")
        batch.drop_column("notice_from")
        batch.drop_column("notice_ends_provisional")
    with op.batch_alter_table("complaint") as batch:
        batch.drop_column("due_provisional")
    op.drop_table("calendar_year")
