"""The demo's three agencies exchanging data (issue 12, "Done when")."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import sharing
from core.identity import Principal, Role
from ledger.audit import verify_database
from server import demo


@pytest.mark.article(15)
async def test_demo_three_agencies_exchange_data(fresh_db):
    orgs = await demo.seed(fresh_db)
    boss = Principal("demo-admin", orgs[Role.AUTHORITY], frozenset({Role.AUTHORITY}))
    async with fresh_db.read() as session:
        requests = list(await session.scalars(sa.select(sharing.ShareRequest)))
        by_status = sorted(r.status.value for r in requests)
        board = await sharing.overdue_board(session, boss)
        answers = list(await session.scalars(sa.select(sharing.VerificationQuery.answer)))
        anomalies = await session.scalar(
            sa.select(sa.func.count()).select_from(sharing.DataAnomaly)
        )
        reports = await session.scalar(sa.select(sa.func.count()).select_from(sharing.UsageReport))
        demands = list(await session.scalars(sa.select(sharing.ShareDemand.status)))
    assert by_status == ["APPROVED", "DELIVERED", "DISPUTED"]
    disputed = next(r for r in requests if r.status is sharing.ShareRequestStatus.DISPUTED)
    assert disputed.refusal_law and disputed.refusal_article == "Art. 81"
    assert [b.late_answers for b in board] == [1]
    assert answers == [sharing.VerificationAnswer.MATCH]
    assert anomalies == 1 and reports == 1
    assert sorted(d.value for d in demands) == ["MET", "OPEN"]
    await demo.seed(fresh_db)  # idempotent
    async with fresh_db.read() as session:
        assert (
            await session.scalar(sa.select(sa.func.count()).select_from(sharing.ShareRequest)) == 3
        )
    assert (await verify_database(fresh_db)).ok
