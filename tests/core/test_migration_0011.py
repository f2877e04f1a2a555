"""Migration 0011: unresolved complaints due after the last year the package covers were
counted on a provisional year, so they are marked provisional (and entering that year will
recompute them); the others are not."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa

from core import migrate
from core.calendar import PACKAGE_YEARS
from core.db import Database
from core.sqltypes import UTCDateTime


async def test_open_complaints_due_after_the_package_become_provisional(fresh_settings):
    db = Database(fresh_settings)
    try:
        await migrate.upgrade(db.writer, "0010")
        last = PACKAGE_YEARS.stop - 1
        org_id = uuid.uuid4()
        cases = {  # (status, due) -> provisional after the migration
            ("RECEIVED", datetime(last + 1, 1, 11, 15, 59, tzinfo=UTC)): True,
            ("ASSIGNED", datetime(last + 1, 1, 4, 15, 59, tzinfo=UTC)): True,
            ("RESOLVED", datetime(last + 1, 1, 11, 15, 59, tzinfo=UTC)): False,
            ("RECEIVED", datetime(last, 12, 31, 15, 59, tzinfo=UTC)): False,
        }
        ids = {case: uuid.uuid4() for case in cases}
        organization = sa.table(
            "organization", sa.column("id", sa.Uuid()), sa.column("kind", sa.String()),
            sa.column("name", sa.String()), sa.column("uscc", sa.String()),
            sa.column("created_at", UTCDateTime()),
        )  # fmt: skip
        complaint = sa.table(
            "complaint", *(sa.column(c, sa.String()) for c in
                           ("subject", "text", "status", "assignee", "resolution")),
            sa.column("id", sa.Uuid()), sa.column("against_id", sa.Uuid()),
            sa.column("received_at", UTCDateTime()), sa.column("due_at", UTCDateTime()),
        )  # fmt: skip
        async with db.writer.begin() as conn:
            await conn.execute(
                organization.insert().values(
                    id=org_id,
                    kind="MARKET_ENTITY",
                    name="Firm",
                    uscc="91440700MA00000000",
                    created_at=datetime(last, 12, 1, tzinfo=UTC),
                )  # fmt: skip
            )
            for (status, due), row_id in ids.items():
                await conn.execute(
                    complaint.insert().values(
                        id=row_id,
                        subject="person",
                        text="Why?",
                        status=status,
                        assignee="",
                        resolution="",
                        against_id=org_id,
                        due_at=due,
                        received_at=datetime(last, 12, 10, tzinfo=UTC),
                    )  # fmt: skip
                )
        await migrate.upgrade(db.writer)
        async with db.writer.connect() as conn:
            rows = dict(
                (await conn.execute(sa.text("SELECT id, due_provisional FROM complaint"))).all()
            )
        provisional = {str(uuid.UUID(str(k))): bool(v) for k, v in rows.items()}
        assert {case: provisional[str(row_id)] for case, row_id in ids.items()} == cases
    finally:
        await db.dispose()
