"""The demo data a new user sees: seeded once, through the real use cases, on both engines."""

from __future__ import annotations

import sqlalchemy as sa

import registry
from ledger.audit import verify_database
from server import demo


async def counts(db):
    async with db.read() as session:
        return {
            table.__tablename__: await session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in (
                registry.Asset,
                registry.Resource,
                registry.DataItem,
                registry.AssetValuation,
            )
        }


async def test_demo_seed_covers_every_status_and_is_idempotent(fresh_db):
    await demo.seed(fresh_db)
    first = await counts(fresh_db)
    async with fresh_db.read() as session:
        statuses = set((await session.execute(sa.select(registry.Asset.status))).scalars())
        methods = set((await session.execute(sa.select(registry.AssetValuation.method))).scalars())
    assert statuses == set(registry.AssetStatus)
    assert methods == {"COST", "INCOME", "MARKET"}
    assert first["resource"] >= 7 and first["data_item"] >= 7
    await demo.seed(fresh_db)
    assert await counts(fresh_db) == first
    assert (await verify_database(fresh_db)).ok
