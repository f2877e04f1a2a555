"""Entering a year whole with many open provisional deadlines (issue 10 §1), on SQLite:

    .venv/bin/python bench/deadlines.py [--complaints 2000] [--assets 200]

Creates a temporary SQLite database at head, bulk-inserts N unresolved complaints received
on the working days of January 2027 (due dates counted provisionally, as `file_complaint`
counts them) and M assets in public notice, then runs `authority.set_calendar_year` for a
plausible 2027 arrangement in one transaction: wall time, SQL statements, deadlines moved.
Prints the figures; copy them into BENCHMARKS.md ("## Calendar (issue 10 §1)").
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]  # bench/consent.py …
sys.path.insert(0, str(ROOT))

import authority  # noqa: E402
import consent  # noqa: E402
import registry  # noqa: E402
from core import migrate, workdays  # noqa: E402
from core.db import Database  # noqa: E402
from core.identity import Principal, Role  # noqa: E402
from core.models import Organization, OrganizationKind  # noqa: E402
from core.settings import load_settings  # noqa: E402
from core.validators import make_org_code, make_uscc  # noqa: E402

YEAR_2027 = authority.YearArrangement(
    year=2027,
    notice="bench: a plausible 2027 arrangement",
    holidays=tuple(
        authority.HolidayRange(name, date.fromisoformat(a), date.fromisoformat(b))
        for name, a, b in [
            ("元旦", "2027-01-01", "2027-01-03"),
            ("春节", "2027-02-05", "2027-02-13"),
            ("清明节", "2027-04-03", "2027-04-05"),
            ("劳动节", "2027-05-01", "2027-05-05"),
            ("端午节", "2027-06-09", "2027-06-09"),
            ("中秋节", "2027-09-15", "2027-09-15"),
            ("国庆节", "2027-10-01", "2027-10-07"),
        ]
    ),  # fmt: skip
    working_days=tuple(
        date.fromisoformat(d)
        for d in (
            "2027-01-31",
            "2027-02-20",
            "2027-04-25",
            "2027-05-08",
            "2027-09-25",
            "2027-10-09",
        )
    ),  # fmt: skip
)


async def main(complaints: int, assets: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = replace(
            load_settings(), data_dir=Path(tmp), database_url=f"sqlite+aiosqlite:///{tmp}/b.db"
        )
        db = Database(settings)
        await migrate.upgrade(db.writer)
        async with db.transaction() as session:
            boss_org = Organization(
                kind=OrganizationKind.AUTHORITY,
                name="Authority",
                uscc=make_uscc("91440700" + make_org_code("A0000001")),
            )
            firm = Organization(kind=OrganizationKind.MARKET_ENTITY, name="Firm",
                                uscc=make_uscc("91440700" + make_org_code("B0000002")))  # fmt: skip
            session.add_all([boss_org, firm])
            await session.flush()
            boss = Principal("officer", boss_org.id, frozenset({Role.AUTHORITY}))
            calendar = await workdays.load_working_calendar(session)
            days = [date(2027, 1, 4) + timedelta(i) for i in range(26)]
            for i in range(complaints):
                received = datetime.fromisoformat(f"{days[i % len(days)]}T02:00:00+00:00")
                due = calendar.deadline(received, consent.complaints.DUE_WORKING_DAYS)
                session.add(consent.Complaint(
                    subject=f"person-{i}", against_id=firm.id, text="Why?",
                    status=consent.ComplaintStatus.RECEIVED, received_at=received,
                    due_at=due.at, due_provisional=due.provisional,
                ))  # fmt: skip
            for i in range(assets):
                start = datetime.fromisoformat(f"{days[i % len(days)]}T02:00:00+00:00")
                ends = calendar.deadline(start, registry.assets.NOTICE_WORKING_DAYS)
                session.add(registry.Asset(
                    id=uuid.uuid4(), kind=registry.AssetKind.DATA_PRODUCT, name=f"Asset {i}",
                    scenario="x", rights="OPERATION", holder_id=firm.id,
                    update_frequency=registry.UpdateFrequency.MONTHLY,
                    status=registry.AssetStatus.PUBLIC_NOTICE, notice_from=start,
                    notice_days=5, notice_ends_at=ends.at, notice_ends_provisional=True,
                ))  # fmt: skip
        statements: list[str] = []
        sa.event.listen(
            db.writer.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2])
        )
        started = time.perf_counter()
        async with db.transaction() as session:
            entered = await authority.set_calendar_year(session, boss, YEAR_2027)
        seconds = time.perf_counter() - started
        moved = sum(r.moved for r in entered.recomputed)
        print(
            f"{complaints} complaints + {assets} asset notices provisional; entering 2027: "
            f"{seconds:.2f} s, {len(statements)} SQL statements, "
            f"{len(entered.recomputed)} recomputed, {moved} moved (a ledger entry each)"
        )
        await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=2000)
    parser.add_argument("--assets", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.complaints, args.assets))
