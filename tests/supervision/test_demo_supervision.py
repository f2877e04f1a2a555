"""The demo's supervision: a graded period for the three demo agencies, CDOs, an approved and
a blocked IT project, one open and one escalated rectification — seeded through the use
cases. Slow (a whole demo seeding): one engine."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import supervision
from core.identity import Role
from ledger.audit import verify_database
from server import demo

pytestmark = [pytest.mark.slow, pytest.mark.article(30)]


async def test_demo_supervision(fresh_db):
    orgs = await demo.seed(fresh_db)
    async with fresh_db.read() as session:

        async def values(column):
            return sorted((await session.execute(sa.select(column))).scalars())

        assert len(await values(supervision.ChiefDataOfficer.organization_id)) == 3
        graded = await values(supervision.AgencyScorecard.agency_id)
        assert orgs[Role.AGENCY] in graded and len(graded) >= 3
        assert await values(supervision.ItProject.status) == [
            supervision.ProjectStatus.APPROVED, supervision.ProjectStatus.FILED,
        ]  # fmt: skip
        assert sorted(await values(supervision.Rectification.status)) == sorted([
            supervision.RectificationStatus.ORDERED, supervision.RectificationStatus.ESCALATED,
        ])  # fmt: skip
        assert len(await values(supervision.InformationSystem.id)) == 1
    await demo.seed(fresh_db)  # seeding again adds nothing
    async with fresh_db.read() as session:
        assert (
            await session.scalar(
                sa.select(sa.func.count()).select_from(supervision.ChiefDataOfficer)
            )
            == 3
        )
    assert (await verify_database(fresh_db)).ok
