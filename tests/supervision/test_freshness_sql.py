"""Freshness counted in SQL (Art. 11, 30) equals the pure rule (`supervision.scoring`), on
entries created before and inside the period, refreshed or not, of every frequency."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

import registry
from core.clock import now
from core.usecase import run
from registry import Resource, ResourceChange
from supervision import scoring
from supervision.scorecards import catalogued_statement, freshness_statement

pytestmark = pytest.mark.article(30)


async def test_sql_freshness_matches_the_pure_rule(db, agency, catalogue):
    day = timedelta(days=1)
    made = [
        await catalogue(agency, frequency=f)
        for f in (registry.UpdateFrequency.DAILY, registry.UpdateFrequency.WEEKLY,
                  registry.UpdateFrequency.MONTHLY, registry.UpdateFrequency.ON_CHANGE)
    ]  # fmt: skip
    base = now() - 60 * day
    async with db.transaction() as session:  # back-date creation; refreshes recorded later
        for i, entry in enumerate(made):
            row = await session.get(Resource, entry.id)
            row.created_at = base + i * 20 * day
            await session.execute(
                sa.update(ResourceChange).where(ResourceChange.resource_id == entry.id)
                .values(changed_at=row.created_at)
            )  # fmt: skip
    for entry in made[:3]:
        await run(db, agency.principal,
                  lambda s, a, e=entry: registry.record_resource_update(s, a, e.id, now()))  # fmt: skip
    async with db.transaction() as session:  # spread the refreshes over the period
        for i, entry in enumerate(made[:3]):
            await session.execute(
                sa.update(ResourceChange)
                .where(ResourceChange.resource_id == entry.id, ResourceChange.version == 2)
                .values(changed_at=base + (25 + 5 * i) * day)
            )
    start, end = base + 10 * day, now()
    async with db.read() as session:
        fresh = dict((await session.execute(freshness_statement(session, start, end))).all())
        total = dict((await session.execute(catalogued_statement(session, start, end))).all())
        expected_fresh = expected_total = 0
        for entry in made:
            row = await session.get(Resource, entry.id)
            refreshes = (await session.scalars(
                sa.select(ResourceChange.changed_at)
                .where(ResourceChange.resource_id == entry.id, ResourceChange.version > 1)
            )).all()  # fmt: skip
            f, t = scoring.fresh_seconds(row.update_frequency, row.created_at, sorted(refreshes),
                                         start, end)  # fmt: skip
            expected_fresh, expected_total = expected_fresh + f, expected_total + t
    assert abs(Decimal(fresh[agency.org_id]) - expected_fresh) <= 4  # rounding, per entry
    assert abs(Decimal(total[agency.org_id]) - expected_total) <= 4
    assert 0 < expected_fresh < expected_total
