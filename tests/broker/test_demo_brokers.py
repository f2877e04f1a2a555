"""The demo's brokers: licensed, suspended and rejected; listings, deals, fusion flows and one
computed evaluation period — seeded once, through the use cases, on both engines."""

from __future__ import annotations

import sqlalchemy as sa

import broker
from ledger.audit import verify_database
from server import demo


async def test_demo_brokers(fresh_db):
    await demo.seed(fresh_db)
    async with fresh_db.read() as session:

        async def values(column):
            return set((await session.execute(sa.select(column))).scalars())

        async def count(table):
            return await session.scalar(sa.select(sa.func.count()).select_from(table))

        assert await values(broker.BrokerLicence.status) == {
            broker.LicenceStatus.LICENSED, broker.LicenceStatus.SUSPENDED,
            broker.LicenceStatus.REJECTED,
        }  # fmt: skip
        assert await values(broker.Deal.status) == {
            broker.DealStatus.DELIVERED, broker.DealStatus.MATCHED, broker.DealStatus.CANCELLED,
        }  # fmt: skip
        assert await count(broker.Listing) == 2 and await count(broker.DataFlow) == 2
        assert await count(broker.DataFlowConsent) == 1
        assert await count(broker.BrokerEvaluation) == 2  # the licensed and the suspended
        # (COMPLAINT_RATE may fire too: the consent demo files a complaint against the broker.)
        assert {
            broker.AlertRule.FLOW_BASIS_MISSING, broker.AlertRule.ACTIVITY_WHILE_SUSPENDED,
        } <= await values(broker.RiskAlert.rule)  # fmt: skip
    await demo.seed(fresh_db)
    async with fresh_db.read() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(broker.DataFlow)) == 2
    assert (await verify_database(fresh_db)).ok
